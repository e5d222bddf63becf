#!/usr/bin/env bash
# Read coalescing and the near cache (issue #18, docs/spike-shield.md), side by side in one run:
# BENCH_CLIENTS concurrent clients (default 300, the launch-event figure) each reading one hot key
# (redis-benchmark GET hot, one request at a time per client), straight to Redis, through Funnel,
# through Funnel with --coalesce, and through Funnel with the near cache (--near-cache hot). For
# each: requests per second, p50/p99 latency, and the backend's GET calls per client request
# (INFO commandstats before and after).
#
#   bench/coalesce.sh
# Environment: FUNNEL_BIN [build/release/src/server/funnel], BENCH_N [200000],
# BENCH_CLIENTS [300], BENCH_WORKERS [2], BENCH_PIPELINE [1].
# Starts its own redis-server and funnel on free loopback ports; stops them by PID on exit.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib/local-ports.sh
source "$repo_root/scripts/lib/local-ports.sh"

funnel_bin="${FUNNEL_BIN:-$repo_root/build/release/src/server/funnel}"
requests="${BENCH_N:-200000}"
clients="${BENCH_CLIENTS:-300}"
workers="${BENCH_WORKERS:-2}"
pipeline="${BENCH_PIPELINE:-1}"
work_dir="$(mktemp -d)"
pids=()
cleanup() {
  stop_pids "${pids[@]}"
  rm -rf "$work_dir"
}
trap cleanup EXIT
[[ -x "$funnel_bin" ]] || { echo "coalesce: no funnel binary at $funnel_bin (cmake --build --preset release)" >&2; exit 1; }

redis_port="$(pick_port)"
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --maxclients 10000 \
  >"$work_dir/redis.log" 2>&1 &
redis_pid=$!
pids+=("$redis_pid")
wait_ready "$redis_pid" "$redis_port" || { echo "redis-server did not start" >&2; exit 1; }
redis-cli -p "$redis_port" SET hot "$(head -c 100 /dev/zero | tr '\0' v)" >/dev/null

get_calls() {
  redis-cli -p "$redis_port" INFO commandstats | tr -d '\r' |
    awk -F'[:=,]' '$1 == "cmdstat_get" {print $3}' | { read -r n || true; echo "${n:-0}"; }
}

# run LABEL PORT: one redis-benchmark run against PORT and its line of figures.
run() {
  local label="$1" port="$2" before after csv
  before="$(get_calls)"
  csv="$(redis-benchmark -p "$port" -c "$clients" -n "$requests" -P "$pipeline" --csv GET hot 2>/dev/null | tail -1)"
  after="$(get_calls)"
  # "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  echo "$csv" | tr -d '"' | awk -F, -v label="$label" -v calls="$((after - before))" -v n="$requests" \
    '{printf "%-18s %9.0f req/s  p50 %6.3f ms  p99 %6.3f ms  backend GETs per request %.3f\n", label, $2, $5, $7, calls / n}'
}

# start_funnel ARGS...: funnel in front of redis; sets funnel_pid and funnel_port.
start_funnel() {
  funnel_port="$(pick_port)"
  "$funnel_bin" --backend "127.0.0.1:$redis_port" --listen "127.0.0.1:$funnel_port" \
    --workers "$workers" --max-clients 5000 "$@" >"$work_dir/funnel.log" 2>&1 &
  funnel_pid=$!
  pids+=("$funnel_pid")
  wait_ready "$funnel_pid" "$funnel_port" || { cat "$work_dir/funnel.log" >&2; exit 1; }
}
stop_funnel() {
  kill -TERM "$funnel_pid"
  wait "$funnel_pid" || true
}

echo "GET of one hot key, $clients clients, -P $pipeline, $requests requests, funnel --workers $workers"
run direct "$redis_port"
start_funnel
run funnel "$funnel_port"
stop_funnel
start_funnel --coalesce
run "funnel --coalesce" "$funnel_port"
stop_funnel
# The near cache: serves only once its tracking link is subscribed (a GET or two fill it).
start_funnel --near-cache hot
for _ in 1 2 3 4 5 6 7 8 9 10; do redis-cli -p "$funnel_port" GET hot >/dev/null; done
run "funnel --near-cache" "$funnel_port"
stop_funnel
