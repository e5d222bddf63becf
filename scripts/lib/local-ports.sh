# Shared by scripts/run.sh and scripts/storm-demo.sh (sourced, not run): loopback ports for the
# throwaway processes they start, and waiting for a Redis-protocol server to answer.

# port_in_use PORT: something listens on PORT (any address).
port_in_use() { [[ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]]; }

# pick_port: a random high port not in use now; the caller retries if a server loses the race.
pick_port() {
  local port
  while true; do
    port=$((20000 + RANDOM % 12000)) # below the kernel's ephemeral range (32768+)
    port_in_use "$port" || break
  done
  echo "$port"
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
