#!/usr/bin/env bash
# What Funnel's per-request metrics cost: one redis-server and two Funnel release processes side
# by side, one with --metrics 1 (commands by name and outcome, latency histograms) and one with
# --metrics 0; redis-benchmark -t get,set at -c 500, -P 1 and -P 16 against each, the order of the
# two alternating from round to round, fresh processes each round. The figure is the proxy's CPU time per request (utime +
# stime from /proc/PID/stat over the requests of the run): at -P 1 requests/s is capped by the
# benchmark client on a small machine, so CPU per request is the honest measure.
#
#   bench/metrics-cost.sh
#
# Environment (defaults in brackets):
#   FUNNEL_BIN                 funnel binary [build/release/src/server/funnel]
#   BENCH_WORKERS              Funnel --workers [nproc]
#   BENCH_CLIENTS              redis-benchmark -c [500]
#   BENCH_PIPELINES            -P values ["1 16"]
#   BENCH_REQUESTS             -n per test at -P 1 [200000]
#   BENCH_REQUESTS_PIPELINED   -n per test at -P > 1 [2000000]
#   BENCH_ROUNDS               rounds; the table shows each and the median [3]
#   BENCH_RUN_TIMEOUT_S        limit for one redis-benchmark run [300]
#
# Prints a Markdown table. Everything it starts is stopped by PID on exit; loopback only.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib/local-ports.sh
source "$repo_root/scripts/lib/local-ports.sh"
funnel_bin="${FUNNEL_BIN:-$repo_root/build/release/src/server/funnel}"
workers="${BENCH_WORKERS:-$(nproc)}"
clients="${BENCH_CLIENTS:-500}"
pipelines="${BENCH_PIPELINES:-1 16}"
requests="${BENCH_REQUESTS:-200000}"
requests_pipelined="${BENCH_REQUESTS_PIPELINED:-2000000}"
rounds="${BENCH_ROUNDS:-3}"
run_timeout="${BENCH_RUN_TIMEOUT_S:-300}"

die() {
  echo "metrics-cost: $*" >&2
  exit 1
}
for tool in redis-server redis-cli redis-benchmark ss awk; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found: run scripts/install-deps.sh"
done
[[ -x "$funnel_bin" ]] ||
  die "no funnel binary at $funnel_bin: cmake --preset release && cmake --build --preset release --target funnel"

work="$(mktemp -d -t funnel-metrics-cost.XXXXXX)"
pids=()
cleanup() {
  stop_pids "${pids[@]}"
  rm -rf "$work"
}
trap cleanup EXIT

# start NAME PORT COMMAND...: background, log to $work/NAME.log, wait until PORT answers PING.
# Sets started_pid.
start() {
  local name="$1" port="$2" i
  shift 2
  "$@" >>"$work/$name.log" 2>&1 &
  started_pid=$!
  pids+=("$started_pid")
  for ((i = 0; i < 100; i++)); do
    redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && return 0
    kill -0 "$started_pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$work/$name.log" >&2
  die "$name did not start on port $port"
}

# CPU time of a process so far, in microseconds: utime + stime (fields 14 and 15 of
# /proc/PID/stat, all threads) in clock ticks. The command name (field 2) has no spaces here.
clk_tck="$(getconf CLK_TCK)"
cpu_us() {
  awk -v hz="$clk_tck" '{ printf "%.0f\n", ($14 + $15) * 1000000 / hz }' "/proc/$1/stat"
}

redis_port="$(pick_port)" || die "no free port"
start redis "$redis_port" redis-server --port "$redis_port" --bind 127.0.0.1 --save '' \
  --appendonly no --daemonize no --maxclients 10000 --dir "$work"
declare -A port pid

# start_funnels VARIANT...: fresh Funnel processes for a round, started in the order given, then
# warmed up (links, buffers, page faults). Fresh processes each round, so that neither variant
# keeps a lucky or unlucky memory layout or thread placement for the whole run.
start_funnels() {
  local variant
  for variant in "$@"; do
    port[$variant]="$(pick_port)" || die "no free port"
    start "funnel-$variant" "${port[$variant]}" "$funnel_bin" --backend "127.0.0.1:$redis_port" \
      --listen "127.0.0.1:${port[$variant]}" --workers "$workers" --max-clients 10000 \
      --metrics "$([[ $variant == on ]] && echo 1 || echo 0)" --log-level warn
    pid[$variant]="$started_pid"
  done
  for variant in "$@"; do
    redis-benchmark -p "${port[$variant]}" -c "$clients" -n 50000 -t set -q >/dev/null 2>&1 || true
  done
}

# stop_funnels: SIGTERM to this round's two Funnel PIDs, and wait for them.
stop_funnels() {
  stop_pids "${pid[on]}" "${pid[off]}"
}

# run VARIANT PIPELINE ROUND: one redis-benchmark run; appends "pipeline variant round us_per_req
# requests_per_s" to $work/results.
run() {
  local variant="$1" pipeline="$2" round="$3" n="$requests"
  ((pipeline > 1)) && n="$requests_pipelined"
  local before after out
  before="$(cpu_us "${pid[$variant]}")"
  out="$(timeout "$run_timeout" redis-benchmark -h 127.0.0.1 -p "${port[$variant]}" -c "$clients" \
    -P "$pipeline" -n "$n" -r 100000 -t get,set --csv 2>/dev/null)" ||
    die "redis-benchmark against funnel --metrics $variant (-P $pipeline) failed or hung"
  after="$(cpu_us "${pid[$variant]}")"
  # --csv: "test","rps",...; two tests of n requests each.
  local rps
  rps="$(awk -F'"' '/^"(SET|GET)"/ { s += $4; k++ } END { if (k) printf "%.0f", s / k }' <<<"$out")"
  [[ -n "$rps" ]] || die "could not read redis-benchmark's output: $out"
  awk -v p="$pipeline" -v v="$variant" -v r="$round" -v cpu=$((after - before)) -v n=$((2 * n)) \
    -v rps="$rps" 'BEGIN { printf "%s %s %s %.3f %s\n", p, v, r, cpu / n, rps }' >>"$work/results"
  echo "metrics-cost: round $round -P $pipeline metrics $variant: $(tail -1 "$work/results" |
    awk '{ printf "%s us/request, %s requests/s", $4, $5 }')" >&2
}

for ((round = 1; round <= rounds; round++)); do
  order=(on off)
  ((round % 2 == 0)) && order=(off on)
  start_funnels "${order[@]}"
  for pipeline in $pipelines; do
    for variant in "${order[@]}"; do run "$variant" "$pipeline" "$round"; done
  done
  stop_funnels
done

# The table: per pipeline, each round's CPU µs/request for both, the median, and the cost.
awk -v rounds="$rounds" '
  function median(a, n,    i, j, t) {
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  { us[$1, $2, $3] = $4; rps[$1, $2, $3] = $5; if (!($1 in seen)) { seen[$1] = 1; order[++np] = $1 } }
  END {
    printf "| -P | metrics | CPU µs/request, rounds 1..%d | median µs/request | median requests/s | cost of metrics |\n", rounds
    printf "|---:|---|---|---:|---:|---:|\n"
    for (k = 1; k <= np; k++) {
      p = order[k]
      for (v = 1; v <= 2; v++) {
        variant = v == 1 ? "off" : "on"
        list = ""; delete a; delete b
        for (r = 1; r <= rounds; r++) { a[r] = us[p, variant, r]; b[r] = rps[p, variant, r]; list = list (r > 1 ? ", " : "") sprintf("%.3f", a[r]) }
        m[variant] = median(a, rounds); q = median(b, rounds)
        cost = ""
        if (variant == "on") cost = sprintf("%+.1f%%", (m["on"] / m["off"] - 1) * 100)
        printf "| %s | %s | %s | %.3f | %.0f | %s |\n", p, variant == "on" ? "on (`--metrics 1`)" : "off (`--metrics 0`)", list, m[variant], q, cost
      }
    }
  }' "$work/results"
echo
echo "Paired per round (on / off - 1): $(awk '
  { us[$1, $2, $3] = $4; if (!($1 in seen)) { seen[$1] = 1; order[++np] = $1 }; if ($3 > nr) nr = $3 }
  END { for (k = 1; k <= np; k++) { p = order[k]; s = "-P " p ":"; for (r = 1; r <= nr; r++) s = s sprintf(" %+.1f%%", (us[p, "on", r] / us[p, "off", r] - 1) * 100); printf "%s%s", (k > 1 ? "; " : ""), s } }' "$work/results")"
echo "Funnel --workers $workers, redis-benchmark -c $clients -r 100000 -t get,set, -n $requests (-P 1) / $requests_pipelined (-P > 1) per test; $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)); $(date -u '+%Y-%m-%d %H:%M UTC')."
