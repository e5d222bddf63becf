#!/usr/bin/env bash
# The launch-event hot-key scenario (issue #18 item 5, docs/storm.md), side by side in one run:
# funnel-storm's hot-key workload (GETs of 100 Zipf-distributed keys, s=1.1, while a writer SETs
# the 10 hottest) at STORM_PEAK concurrent invocations, straight to Redis, through Funnel, through
# Funnel with --coalesce, through Funnel with the near cache (writer through Funnel), and through
# Funnel with the near cache and the writer straight to Redis. For each: invocations, failures,
# p50/p99 invocation latency, the backend's reads per invocation (GET and the near cache's PTTL probes, INFO commandstats), the shares
# served by coalescing and the near cache (Funnel's /metrics), stale reads and the maximum
# staleness.
#
#   bench/storm-hot-key.sh
# Environment: FUNNEL_BIN [build/release/src/server/funnel], STORM_BIN
# [build/release/tools/storm/funnel-storm], STORM_DURATION [20], STORM_PEAK [300],
# STORM_WRITE_RATE [20], STORM_WORKERS [2] (Funnel's), STORM_OUT [build/bench-results/storm-hot-key],
# STORM_FUNNEL_ARGS (more flags for every Funnel run, e.g. --max-in-flight-per-link 4),
# STORM_TARGETS (which runs, default all: direct funnel funnel-coalesce funnel-near-cache
# funnel-near-cache-direct-writer),
# STORM_SCENARIO [--scenario launch-event --peak-concurrency $STORM_PEAK]: funnel-storm's arrival
# and strategy flags (a denser read pattern, say: --scenario constant --rate 3000 --containers
# 300 --strategy pooled --think-ms 0 --commands 8).
# Starts its own redis-server and funnel on free loopback ports; stops them by PID on exit.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib/local-ports.sh
source "$repo_root/scripts/lib/local-ports.sh"

funnel_bin="${FUNNEL_BIN:-$repo_root/build/release/src/server/funnel}"
storm_bin="${STORM_BIN:-$repo_root/build/release/tools/storm/funnel-storm}"
duration="${STORM_DURATION:-20}"
peak="${STORM_PEAK:-300}"
write_rate="${STORM_WRITE_RATE:-20}"
workers="${STORM_WORKERS:-2}"
read -r -a funnel_extra <<<"${STORM_FUNNEL_ARGS:-}"
read -r -a targets <<<"${STORM_TARGETS:-direct funnel funnel-coalesce funnel-near-cache funnel-near-cache-direct-writer}"
work_dir="$(mktemp -d)"
out_dir="${STORM_OUT:-$repo_root/build/bench-results/storm-hot-key}"
pids=()
cleanup() {
  stop_pids "${pids[@]}"
  rm -rf "$work_dir"
}
trap cleanup EXIT
for bin in "$funnel_bin" "$storm_bin"; do
  [[ -x "$bin" ]] || { echo "storm-hot-key: no binary at $bin (cmake --build --preset release)" >&2; exit 1; }
done
command -v jq >/dev/null || { echo "storm-hot-key: needs jq" >&2; exit 1; }

redis_port="$(pick_port)"
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --maxclients 10000 \
  >"$work_dir/redis.log" 2>&1 &
pids+=("$!")
wait_ready "$!" "$redis_port" || { echo "redis-server did not start" >&2; exit 1; }

read -r -a arrivals <<<"${STORM_SCENARIO:---scenario launch-event --peak-concurrency $peak}"
scenario=(--workload hot-key --write-rate "$write_rate" --duration "$duration" --quiet "${arrivals[@]}")

# start_funnel ARGS...: funnel in front of redis with an admin port; sets funnel_pid,
# funnel_port and admin_port.
start_funnel() {
  funnel_port="$(pick_port)"
  admin_port="$(pick_port)"
  "$funnel_bin" --backend "127.0.0.1:$redis_port" --listen "127.0.0.1:$funnel_port" \
    --admin "127.0.0.1:$admin_port" --workers "$workers" --max-clients 5000 "${funnel_extra[@]}" "$@" \
    >"$work_dir/funnel.log" 2>&1 &
  funnel_pid=$!
  pids+=("$funnel_pid")
  wait_ready "$funnel_pid" "$funnel_port" || { cat "$work_dir/funnel.log" >&2; exit 1; }
}
stop_funnel() {
  kill -TERM "$funnel_pid"
  wait "$funnel_pid" || true
}

# storm LABEL ARGS...: one funnel-storm run into $out_dir/LABEL.
storm() {
  local label="$1"
  shift
  "$storm_bin" run --backend "127.0.0.1:$redis_port" "${scenario[@]}" "$@" \
    --out "$out_dir/$label" >"$work_dir/$label.log" 2>&1 || { cat "$work_dir/$label.log" >&2; exit 1; }
}
via() { echo --via "127.0.0.1:$funnel_port" --funnel-admin "127.0.0.1:$admin_port"; }

# run_target LABEL: one of the five runs, each with its own Funnel.
run_target() {
  case "$1" in
    direct) storm direct ;;
    funnel) start_funnel ;;
    funnel-coalesce) start_funnel --coalesce ;;
    funnel-near-cache | funnel-near-cache-direct-writer) start_funnel --near-cache storm:hot: ;;
    *) echo "storm-hot-key: unknown target $1" >&2; exit 1 ;;
  esac
  [[ "$1" == direct ]] && return
  local writer=()
  [[ "$1" == funnel-near-cache-direct-writer ]] && writer=(--direct-writer)
  # shellcheck disable=SC2046
  storm "$1" $(via) "${writer[@]}"
  stop_funnel
}

mkdir -p "$out_dir"
for label in "${targets[@]}"; do run_target "$label"; done

echo "hot-key workload: ${arrivals[*]}, ${duration} s, writer ${write_rate}/s, funnel --workers $workers ${funnel_extra[*]}"
echo "| target | invocations | failed | p50 ms | p99 ms | backend reads per invocation (GET+PTTL) | coalesced | near cache | writes (writer) | stale reads | max staleness ms |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for label in "${targets[@]}"; do
  jq -r --arg name "$label" '.runs[0].totals as $t | $t.hot_key as $h |
    def pct: if . < 0 then "-" else ((. * 1000 | round) / 10 | tostring) + "%" end;
    "| \($name) | \($t.invocations) | \($t.failed) | \($t.latency_ms.p50 * 100 | round / 100) | \($t.latency_ms.p99 * 100 | round / 100) | \($h.backend_commands_per_invocation * 1000 | round / 1000) | \($h.coalesced_share | pct) | \($h.near_cache_share | pct) | \($h.writes) (\($h.writer)) | \($h.stale_reads) | \($h.max_staleness_ms * 1000 | round / 1000) |"' \
    "$out_dir/$label/result.json"
done
echo "reports: $out_dir/*/report.html"
