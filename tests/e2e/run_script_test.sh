#!/usr/bin/env bash
# End-to-end: the README's first command, scripts/run.sh (without the storm demo, on a free port),
# serves through Funnel in front of the redis-server it starts, and a SIGTERM to the script (what a
# service manager or a CI job sends) drains Funnel, stops that redis-server and ends the script
# with status 0. Stops what it started by PID if anything is left.
#   FUNNEL_BINARY=build/release/src/server/funnel tests/e2e/run_script_test.sh
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=scripts/lib/local-ports.sh
source "$repo_root/scripts/lib/local-ports.sh"

if [[ -z "${FUNNEL_BINARY:-}" || ! -x "${FUNNEL_BINARY}" ]]; then
  echo "FAIL: set FUNNEL_BINARY to the funnel binary (ctest does)" >&2
  exit 1
fi
for tool in redis-server redis-cli ss; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
done

work="$(mktemp -d -t funnel-e2e-run.XXXXXX)"
script_pid="" redis_pid="" funnel_pid=""
cleanup() {
  local status=$?
  [[ -n "$script_pid" ]] && stop_pids "$script_pid"
  # A script that failed to pass SIGTERM on leaves its funnel behind once killed: stop that too.
  [[ -n "$funnel_pid" ]] && kill -0 "$funnel_pid" 2>/dev/null && stop_pids "$funnel_pid"
  [[ -n "$redis_pid" ]] && kill -0 "$redis_pid" 2>/dev/null && stop_pids "$redis_pid"
  if ((status != 0)); then
    echo "--- scripts/run.sh output ---"
    cat "$work/run.log" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

port="$(pick_port)" || fail "no free port"
FUNNEL_BINARY="$FUNNEL_BINARY" bash "$repo_root/scripts/run.sh" --no-demo --listen "127.0.0.1:$port" \
  >"$work/run.log" 2>&1 &
script_pid=$!
wait_ready "$script_pid" "$port" || fail "scripts/run.sh did not serve on 127.0.0.1:$port"
redis_pid="$(sed -n 's/^run: local redis-server (pid \([0-9]*\)).*/\1/p' "$work/run.log")"
[[ -n "$redis_pid" ]] || fail "scripts/run.sh did not say which redis-server it started"
funnel_pid="$(ps -o pid= -o comm= --ppid "$script_pid" | awk '$2 == "funnel" {print $1}')"
[[ -n "$funnel_pid" ]] || fail "no funnel process under scripts/run.sh"

[[ "$(redis-cli -p "$port" SET run:e2e hello)" == OK ]] || fail "SET through Funnel"
[[ "$(redis-cli -p "$port" GET run:e2e)" == hello ]] || fail "GET through Funnel"
echo "PASS: scripts/run.sh serves on $port (redis-server pid $redis_pid behind it)"

kill -TERM "$script_pid"
for ((i = 0; i < 150; i++)); do
  kill -0 "$script_pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$script_pid" 2>/dev/null && fail "scripts/run.sh still runs 15 s after SIGTERM"
status=0
wait "$script_pid" || status=$?
script_pid=""
((status == 0)) || fail "scripts/run.sh exited $status after SIGTERM (expected 0: Funnel drained)"
grep -q "received SIGTERM; draining" "$work/run.log" || fail "Funnel did not get the SIGTERM"
kill -0 "$funnel_pid" 2>/dev/null && fail "funnel (pid $funnel_pid) still runs after scripts/run.sh exited"
funnel_pid=""
kill -0 "$redis_pid" 2>/dev/null && fail "the redis-server scripts/run.sh started (pid $redis_pid) is still running"
redis_pid=""
port_in_use "$port" && fail "something still listens on $port"
echo "PASS: SIGTERM to scripts/run.sh drained Funnel, stopped its redis-server and exited 0"
