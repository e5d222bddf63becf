#!/usr/bin/env bash
# Stable per-request cost figures for the data path, independent of machine noise:
#   instructions  callgrind instruction count of one Funnel worker while redis-benchmark sends
#                 BENCH_N SETs and BENCH_N GETs at -c 50 -P 16 (parse, classify, routing, framing)
#   syscalls      system calls and CPU time per GET at -c BENCH_CLIENTS -P 1 (perf stat)
#   reconnect     the same per GET when every request opens a new connection (-k 0, -c 50,
#                 BENCH_N / 10 requests): the serverless pattern
#
#   bench/hot-path-cost.sh [instructions|syscalls|reconnect|all]      (default all)
# Environment: FUNNEL_BIN [build/release/src/server/funnel], BENCH_N [200000],
# BENCH_CLIENTS [500], BENCH_WORKERS [2, for syscalls]. Needs valgrind and perf (linux-perf).
# Starts its own redis-server and funnel on free loopback ports; stops them by PID on exit.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib/local-ports.sh
source "$repo_root/scripts/lib/local-ports.sh"

what="${1:-all}"
funnel_bin="${FUNNEL_BIN:-$repo_root/build/release/src/server/funnel}"
requests="${BENCH_N:-200000}"
clients="${BENCH_CLIENTS:-500}"
workers="${BENCH_WORKERS:-2}"
work_dir="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work_dir"
}
trap cleanup EXIT
[[ -x "$funnel_bin" ]] || { echo "hot-path-cost: no funnel binary at $funnel_bin (cmake --build --preset release)" >&2; exit 1; }

start_redis() {
  redis_port="$(pick_port)"
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
    --maxclients 10000 >"$work_dir/redis.log" 2>&1 &
  redis_pid=$!
  pids+=("$redis_pid")
  wait_ready "$redis_pid" "$redis_port" || { echo "redis-server did not start" >&2; exit 1; }
}

# start_funnel PREFIX-COMMAND... : funnel (under the given wrapper, if any) in front of redis.
start_funnel() {
  funnel_port="$(pick_port)"
  "$@" "$funnel_bin" --backend "127.0.0.1:$redis_port" --listen "127.0.0.1:$funnel_port" \
    --workers "$funnel_workers" --max-clients 5000 >"$work_dir/funnel.log" 2>&1 &
  funnel_pid=$!
  pids+=("$funnel_pid")
  wait_ready "$funnel_pid" "$funnel_port" || {
    echo "funnel did not start; its log:" >&2
    cat "$work_dir/funnel.log" >&2
    exit 1
  }
}

stop_funnel() {
  kill -TERM "$funnel_pid"
  wait "$funnel_pid" || true
}

instructions() {
  start_redis
  funnel_workers=1
  start_funnel valgrind --tool=callgrind --callgrind-out-file="$work_dir/callgrind.out"
  # Start-up and the PING probes are in the count too; they are small next to 2 x BENCH_N requests.
  redis-benchmark -p "$funnel_port" -c 50 -P 16 -n "$requests" -t set,get -q >/dev/null 2>&1
  stop_funnel
  local total
  total="$(callgrind_annotate "$work_dir/callgrind.out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",","",$1); print $1}')"
  echo "instructions: $total for $((2 * requests)) requests = $((total / (2 * requests))) per request (callgrind, -c 50 -P 16, 1 worker)"
  callgrind_annotate "$work_dir/callgrind.out" 2>/dev/null | sed -n '/file:function/,$p' | sed -n "3,$((2 + ${BENCH_TOP:-10}))p" | cut -c1-140
  kill "$redis_pid"; wait "$redis_pid" || true
}

# per_request_cost LABEL N REDIS-BENCHMARK-ARGS...: perf stat over Funnel during one run.
per_request_cost() {
  local label="$1" n="$2"
  shift 2
  start_redis
  funnel_workers="$workers"
  start_funnel
  perf stat -e raw_syscalls:sys_enter,task-clock -p "$funnel_pid" -o "$work_dir/perf.txt" &
  local perf_pid=$!
  sleep 0.2
  redis-benchmark -p "$funnel_port" -n "$n" -t get -q "$@" >/dev/null 2>&1
  kill -INT "$perf_pid"; wait "$perf_pid" || true
  stop_funnel
  local calls ms
  calls="$(awk '/sys_enter/ {gsub(",","",$1); print $1}' "$work_dir/perf.txt")"
  ms="$(awk '/task-clock/ {gsub(",","",$1); print $1}' "$work_dir/perf.txt")"
  echo "$label: $(echo "scale=2; $calls / $n" | bc) syscalls and $(echo "scale=2; $ms * 1000 / $n" | bc) µs CPU per request (perf stat, GET $*, $workers workers)"
  kill "$redis_pid"; wait "$redis_pid" || true
}

syscalls() { per_request_cost syscalls "$requests" -c "$clients" -P 1; }
reconnect() { per_request_cost reconnect "$((requests / 10))" -c 50 -k 0; }

case "$what" in
  instructions) instructions ;;
  syscalls) syscalls ;;
  reconnect) reconnect ;;
  all) instructions; syscalls; reconnect ;;
  *) echo "hot-path-cost: unknown part '$what' (instructions, syscalls, reconnect or all)" >&2; exit 2 ;;
esac
