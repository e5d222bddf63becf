#!/usr/bin/env bash
# Stable per-request cost figures for the data path, independent of machine noise:
#   instructions  callgrind instruction count of one Funnel worker while redis-benchmark sends
#                 BENCH_N SETs and BENCH_N GETs at -c 50 -P 16 (parse, classify, routing, framing)
#   syscalls      system calls and CPU time per GET at -c BENCH_CLIENTS -P 1 (perf stat)
#   reconnect     the same per GET when every request opens a new connection (-k 0, -c 50,
#                 BENCH_N / 10 requests): the serverless pattern
#   p16           the same per GET at -c 500 -P 16 (BENCH_N x 10 requests)
#   c1            the same per GET from one client (-c 1, BENCH_N / 10 requests)
# Besides system calls and CPU, each perf-stat part prints context switches (the worker going to
# sleep and being woken) and epoll_wait / epoll_ctl calls per request.
#
#   bench/hot-path-cost.sh [instructions|syscalls|reconnect|p16|c1|all]   (default: the first three)
# Environment: FUNNEL_BIN [build/release/src/server/funnel], FUNNEL_ARGS [extra funnel flags: on a
# loaded machine, --config with limits.slowlog_max_len = 0 keeps requests that callgrind makes
# slow from counting FUNNEL SLOWLOG's work], BENCH_N [200000],
# BENCH_CLIENTS [500], BENCH_WORKERS [2, for the perf-stat parts], BENCH_PIN [0; 1: Redis and
# Funnel on cpu 0.., redis-benchmark on the last cpu, as bench/run-bench.sh does].
# Needs valgrind and perf (linux-perf).
# Starts its own redis-server and funnel on free loopback ports; stops them by PID on exit.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib/local-ports.sh
source "$repo_root/scripts/lib/local-ports.sh"
# shellcheck source=bench/lib/pinning.sh
source "$repo_root/bench/lib/pinning.sh"

what="${1:-all}"
funnel_bin="${FUNNEL_BIN:-$repo_root/build/release/src/server/funnel}"
read -r -a funnel_args <<<"${FUNNEL_ARGS:-}"  # extra funnel flags, e.g. --config FILE
requests="${BENCH_N:-200000}"
clients="${BENCH_CLIENTS:-500}"
workers="${BENCH_WORKERS:-2}"
set_pinning "${BENCH_PIN:-0}" || exit 2
work_dir="$(mktemp -d)"
pids=()
cleanup() {
  stop_pids "${pids[@]}"
  rm -rf "$work_dir"
}
trap cleanup EXIT
[[ -x "$funnel_bin" ]] || { echo "hot-path-cost: no funnel binary at $funnel_bin (cmake --build --preset release)" >&2; exit 1; }

start_redis() {
  redis_port="$(pick_port)"
  "${server_run[@]}" redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
    --maxclients 10000 >"$work_dir/redis.log" 2>&1 &
  redis_pid=$!
  pids+=("$redis_pid")
  wait_ready "$redis_pid" "$redis_port" || { echo "redis-server did not start" >&2; exit 1; }
}

# start_funnel PREFIX-COMMAND... : funnel (under the given wrapper, if any) in front of redis.
start_funnel() {
  funnel_port="$(pick_port)"
  "${server_run[@]}" "$@" "$funnel_bin" --backend "127.0.0.1:$redis_port" --listen "127.0.0.1:$funnel_port" \
    --workers "$funnel_workers" --max-clients 5000 "${funnel_args[@]}" >"$work_dir/funnel.log" 2>&1 &
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
  perf stat -e raw_syscalls:sys_enter,task-clock,context-switches \
    -e syscalls:sys_enter_epoll_wait,syscalls:sys_enter_epoll_ctl \
    -p "$funnel_pid" -o "$work_dir/perf.txt" &
  local perf_pid=$!
  sleep 0.2
  "${load_run[@]}" redis-benchmark -p "$funnel_port" -n "$n" -t get -q "$@" >/dev/null 2>&1
  kill -INT "$perf_pid"; wait "$perf_pid" || true
  stop_funnel
  # "<count> [unit] <event> ...": task-clock has a unit (msec) between the two.
  count() { awk -v e="$1" '$2 == e || $3 == e {gsub(",", "", $1); print $1; exit}' "$work_dir/perf.txt"; }
  per() { awk -v x="$1" -v scale="${2:-1}" -v n="$n" 'BEGIN {printf "%.3g", x * scale / n}'; }
  echo "$label: $(per "$(count raw_syscalls:sys_enter)") syscalls and $(per "$(count task-clock)" 1000) µs CPU per request;" \
    "per request: $(per "$(count context-switches)") context switches, $(per "$(count syscalls:sys_enter_epoll_wait)") epoll_wait," \
    "$(per "$(count syscalls:sys_enter_epoll_ctl)") epoll_ctl (perf stat, GET $*, $workers workers${load_run[*]:+, pinned})"
  kill "$redis_pid"; wait "$redis_pid" || true
}

syscalls() { per_request_cost syscalls "$requests" -c "$clients" -P 1; }
reconnect() { per_request_cost reconnect "$((requests / 10))" -c 50 -k 0; }
p16() { per_request_cost p16 "$((requests * 10))" -c 500 -P 16; }
c1() { per_request_cost c1 "$((requests / 10))" -c 1; }

case "$what" in
  instructions) instructions ;;
  syscalls) syscalls ;;
  reconnect) reconnect ;;
  p16) p16 ;;
  c1) c1 ;;
  all) instructions; syscalls; reconnect ;;
  *) echo "hot-path-cost: unknown part '$what' (instructions, syscalls, reconnect, p16, c1 or all)" >&2; exit 2 ;;
esac
