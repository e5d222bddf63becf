# shellcheck shell=bash
# Sourced (not run) by the scripts that start throwaway processes on loopback (scripts/run.sh,
# scripts/storm-demo.sh, bench/*.sh, tests/integration/prometheus_test.sh): free ports, waiting for
# a Redis-protocol server to answer, and stopping what they started by PID.

# port_in_use PORT: something listens on PORT (any address).
port_in_use() { [[ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]]; }

# pick_port: a random port nothing listens on now, below the kernel's ephemeral range (32768+) so
# outgoing connections do not take it meanwhile; fails after 200 tries. Callers retry if a server
# loses the race anyway.
pick_port() {
  local port i
  for ((i = 0; i < 200; i++)); do
    port=$((20000 + RANDOM % 12000))
    if ! port_in_use "$port"; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

# stop_pids PID...: SIGTERM to each, up to 10 s for each to exit, then SIGKILL; reaps them.
stop_pids() {
  local pid i
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "$@"; do
    for ((i = 0; i < 100; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}

# wait_ready PID PORT: until 127.0.0.1:PORT answers PING (0), or PID dies or 10 s pass (1).
wait_ready() {
  local pid="$1" port="$2" deadline=$((SECONDS + 10))
  while ((SECONDS < deadline)); do
    kill -0 "$pid" 2>/dev/null || return 1
    [[ "$(redis-cli -p "$port" ping 2>/dev/null)" == "PONG" ]] && return 0
    sleep 0.05
  done
  return 1
}
