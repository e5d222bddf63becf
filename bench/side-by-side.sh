#!/usr/bin/env bash
# Two Funnel binaries side by side on one Redis, for changes whose effect is smaller than the
# run-to-run noise of bench/run-bench.sh (docs/benchmarks.md, session 4):
#   p16  BENCH_ROUNDS rounds [3] of redis-benchmark GET -c 500 -P 16 -n 2,000,000, alternating
#        Redis direct, funnel A and funnel B: req/s and each proxy's CPU per request
#        (utime + stime from /proc/PID/stat)
#   c1   BENCH_C1_ROUNDS rounds [30] of GET -c 1 -n 15,000 over direct, A, B and nutcracker (if
#        installed), in a shuffled order each round: median p50 and mean of the averages
#
#   bench/side-by-side.sh FUNNEL_A FUNNEL_B [p16|c1|all]      (default all)
# Starts its own redis-server, both funnels and nutcracker on free loopback ports and stops them
# by PID on exit. A and B may be the same binary with different flags:
#   SIDE_A_ARGS, SIDE_B_ARGS   extra funnel flags for A and B ["--workers 2"]
#   BENCH_PIN                  1: servers on cpu 0.., redis-benchmark on the last cpu, as
#                              bench/run-bench.sh does by default; 0: all share every core [0]
# e.g. one worker against two, pinned:
#   BENCH_PIN=1 SIDE_A_ARGS="--workers 1" SIDE_B_ARGS="--workers 2" bench/side-by-side.sh F F p16
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib/local-ports.sh
source "$repo_root/scripts/lib/local-ports.sh"
# shellcheck source=bench/lib/pinning.sh
source "$repo_root/bench/lib/pinning.sh"

[[ $# -ge 2 ]] || { echo "usage: bench/side-by-side.sh FUNNEL_A FUNNEL_B [p16|c1|all]" >&2; exit 2; }
bin_a="$1" bin_b="$2" what="${3:-all}"
rounds="${BENCH_ROUNDS:-3}"
c1_rounds="${BENCH_C1_ROUNDS:-30}"
read -r -a args_a <<<"${SIDE_A_ARGS:---workers 2}"
read -r -a args_b <<<"${SIDE_B_ARGS:---workers 2}"
set_pinning "${BENCH_PIN:-0}" || exit 2
work_dir="$(mktemp -d)"
pids=()
cleanup() {
  stop_pids "${pids[@]}"
  rm -rf "$work_dir"
}
trap cleanup EXIT
for bin in "$bin_a" "$bin_b"; do
  [[ -x "$bin" ]] || { echo "side-by-side: $bin is not an executable" >&2; exit 1; }
done

declare -A port_of pid_of
port="$(pick_port)"
"${server_run[@]}" redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no >"$work_dir/redis.log" 2>&1 &
pids+=("$!")
pid_of[redis]=$! port_of[redis]=$port
wait_ready "$!" "$port" || { echo "side-by-side: redis-server did not start" >&2; exit 1; }
redis_port="$port"
start_funnel() {  # start_funnel NAME BINARY FLAGS...
  local name="$1" bin="$2" port
  shift 2
  port="$(pick_port)"
  "${server_run[@]}" "$bin" --backend "127.0.0.1:$redis_port" --listen "127.0.0.1:$port" "$@" \
    >"$work_dir/$name.log" 2>&1 &
  pids+=("$!")
  pid_of[$name]=$! port_of[$name]=$port
  wait_ready "$!" "$port" || { echo "side-by-side: funnel $name did not start" >&2; exit 1; }
}
start_funnel a "$bin_a" "${args_a[@]}"
start_funnel b "$bin_b" "${args_b[@]}"
targets=(redis a b)
if command -v nutcracker >/dev/null; then
  nut_port="$(pick_port)"
  printf 'pool:\n  listen: 127.0.0.1:%s\n  redis: true\n  auto_eject_hosts: false\n  server_connections: 1\n  servers:\n   - 127.0.0.1:%s:1\n' \
    "$nut_port" "$redis_port" >"$work_dir/nutcracker.yml"
  "${server_run[@]}" nutcracker -c "$work_dir/nutcracker.yml" -s "$(pick_port)" >"$work_dir/nutcracker.log" 2>&1 &
  pids+=("$!")
  pid_of[nutcracker]=$! port_of[nutcracker]=$nut_port
  wait_ready "$!" "$nut_port" || { echo "side-by-side: nutcracker did not start" >&2; exit 1; }
fi
ticks="$(getconf CLK_TCK)"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

p16() {
  echo "GET -c 500 -P 16 -n 2000000, $rounds rounds (A = $bin_a ${args_a[*]}, B = $bin_b ${args_b[*]})"
  for ((r = 1; r <= rounds; r++)); do
    for target in redis a b; do
      local before after rps
      before="$(cpu_ticks "${pid_of[$target]}")"
      rps="$("${load_run[@]}" redis-benchmark -p "${port_of[$target]}" -c 500 -P 16 -n 2000000 -t get --csv 2>/dev/null |
        tail -1 | tr -d '"' | cut -d, -f2)"
      after="$(cpu_ticks "${pid_of[$target]}")"
      awk -v t="$target" -v r="$r" -v rps="$rps" -v d="$((after - before))" -v hz="$ticks" \
        'BEGIN {printf "round %d %-6s %10.0f req/s  %.3f us of CPU per request\n", r, t, rps, d / hz * 1e6 / 2000000}'
    done
  done
}

c1() {
  local c1_targets=("${targets[@]}")
  [[ -n "${pid_of[nutcracker]:-}" ]] && c1_targets+=(nutcracker)
  echo "GET -c 1 -n 15000, $c1_rounds rounds in shuffled order"
  declare -A p50s avgs
  for ((r = 1; r <= c1_rounds; r++)); do
    for target in $(printf '%s\n' "${c1_targets[@]}" | shuf); do
      local line
      line="$("${load_run[@]}" redis-benchmark -p "${port_of[$target]}" -c 1 -n 15000 -t get --csv 2>/dev/null | tail -1 | tr -d '"')"
      p50s[$target]+="$(cut -d, -f5 <<<"$line") "
      avgs[$target]+="$(cut -d, -f3 <<<"$line") "
    done
  done
  for target in "${c1_targets[@]}"; do
    printf '%-10s median p50 %s ms, mean of averages %s ms\n' "$target" \
      "$(tr ' ' '\n' <<<"${p50s[$target]}" | sed '/^$/d' | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')" \
      "$(tr ' ' '\n' <<<"${avgs[$target]}" | sed '/^$/d' | awk '{s += $1} END {printf "%.4f", s / NR}')"
  done
}

case "$what" in
  p16) p16 ;;
  c1) c1 ;;
  all) p16; c1 ;;
  *) echo "side-by-side: unknown part '$what' (p16, c1 or all)" >&2; exit 2 ;;
esac
