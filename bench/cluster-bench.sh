#!/usr/bin/env bash
# Funnel in front of a Redis Cluster (issue #16, docs/benchmarks.md "Redis Cluster"), side by side
# in one run:
#   - redis-benchmark --cluster straight at a 3-shard cluster it starts (3 primaries, no replicas,
#     made with redis-cli --cluster create as tests/support/redis_cluster.cpp does);
#   - redis-benchmark through Funnel (--cluster) to the same cluster;
#   - redis-benchmark through Funnel (--backend) to one redis-server: Funnel's single-node figure,
#     measured in the same run on the same machine;
# each with -t get,set at -P 1 and -P 16, reporting requests/s and Funnel's CPU per request (utime
# + stime of its threads from /proc/PID/stat, as bench/run-bench.sh); the cluster/single ratio is
# the issue's target (within 1.3x). Then (part "instructions") callgrind's instructions per request
# through the cluster and to one node, one worker, -c 50 -P 16 (bench/hot-path-cost.sh's method).
#
#   bench/cluster-bench.sh [cpu|instructions|all]   (default all)
# Environment: FUNNEL_BIN [build/release/src/server/funnel], BENCH_N [200000], BENCH_CLIENTS [50],
# BENCH_WORKERS [2]. Needs redis-server, redis-cli, redis-benchmark (7.0: --cluster), valgrind.
# Everything runs on 127.0.0.1, on free ports, and is stopped by PID on exit.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib/local-ports.sh
source "$repo_root/scripts/lib/local-ports.sh"

what="${1:-all}"
funnel_bin="${FUNNEL_BIN:-$repo_root/build/release/src/server/funnel}"
requests="${BENCH_N:-200000}"
clients="${BENCH_CLIENTS:-50}"
workers="${BENCH_WORKERS:-2}"
[[ -x "$funnel_bin" ]] || { echo "cluster-bench: no funnel binary at $funnel_bin (cmake --build --preset release)" >&2; exit 1; }
work_dir="$(mktemp -d)"
pids=()
cleanup() {
  stop_pids "${pids[@]}"
  rm -rf "$work_dir"
}
trap cleanup EXIT

# start_node DIR [ARGS...]: a redis-server on a free port; sets node_port.
start_node() {
  local dir="$1"
  shift
  mkdir -p "$dir"
  node_port="$(pick_port)"
  (cd "$dir" && exec redis-server --port "$node_port" --bind 127.0.0.1 --save '' --appendonly no \
    --maxclients 10000 "$@" >redis.log 2>&1) &
  pids+=("$!")
  wait_ready "$!" "$node_port" || { echo "redis-server did not start" >&2; exit 1; }
}

start_cluster() {
  local addrs=() i
  for i in 0 1 2; do
    start_node "$work_dir/node$i" --cluster-enabled yes --cluster-config-file nodes.conf \
      --cluster-node-timeout 2000
    addrs+=("127.0.0.1:$node_port")
  done
  cluster_seed="${addrs[0]}"
  cluster_port="${addrs[0]##*:}"
  redis-cli --cluster create "${addrs[@]}" --cluster-yes >"$work_dir/create.log" 2>&1
  for ((i = 0; i < 100; i++)); do  # at most 10 s until every node says ok
    local ok=0 a
    for a in "${addrs[@]}"; do
      redis-cli -p "${a##*:}" cluster info 2>/dev/null | grep -q 'cluster_state:ok' && ok=$((ok + 1))
    done
    ((ok == 3)) && return 0
    sleep 0.1
  done
  echo "the cluster did not become ok" >&2
  exit 1
}

# start_funnel ARGS... (under FUNNEL_WRAP, if set): sets funnel_port and funnel_pid.
start_funnel() {
  funnel_port="$(pick_port)"
  ${FUNNEL_WRAP:-} "$funnel_bin" --listen "127.0.0.1:$funnel_port" --workers "$funnel_workers" \
    --max-clients 5000 "$@" >"$work_dir/funnel.log" 2>&1 &
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

cpu_ticks() { # utime + stime of all threads, in clock ticks (fields 14 and 15 of /proc/PID/stat)
  local s
  s="$(cat "/proc/$1/stat" 2>/dev/null)" || { echo 0; return; }
  s="${s##*) }"
  local -a f=($s)
  echo $((f[11] + f[12]))
}
clk_tck="$(getconf CLK_TCK)"

# rps ARGS...: redis-benchmark's requests/s per test, "set=N get=N".
rps() {
  redis-benchmark -n "$requests" -c "$clients" -t set,get -q "$@" 2>/dev/null |
    tr '\r' '\n' | awk '/requests per second/ {gsub(":", "", $1); printf "%s=%s ", tolower($1), $2}'
}

# through_funnel LABEL PIPELINE: redis-benchmark through the running Funnel; prints requests/s and
# Funnel's CPU per request; sets last_us.
through_funnel() {
  local label="$1" pipeline="$2" before after figures
  before="$(cpu_ticks "$funnel_pid")"
  figures="$(rps -p "$funnel_port" -P "$pipeline")"
  after="$(cpu_ticks "$funnel_pid")"
  last_us="$(awk -v t=$((after - before)) -v hz="$clk_tck" -v n=$((2 * requests)) \
    'BEGIN {printf "%.2f", t * 1e6 / hz / n}')"
  printf '  %-34s -P %-2s %s funnel CPU %s µs/request\n' "$label" "$pipeline" "$figures" "$last_us"
}

cpu() {
  echo "cluster-bench: -n $requests -c $clients -t set,get, Funnel with $workers workers ($(nproc) CPUs)"
  start_cluster
  start_node "$work_dir/single"
  single_port="$node_port"
  funnel_workers="$workers"
  declare -A single cluster
  local p
  for p in 1 16; do
    printf '  %-34s -P %-2s %s\n' "redis-benchmark --cluster (direct)" "$p" \
      "$(rps -p "$cluster_port" --cluster -P "$p")"
    start_funnel --cluster "$cluster_seed"
    through_funnel "through Funnel to the cluster" "$p"
    cluster[$p]="$last_us"
    stop_funnel
    start_funnel --backend "127.0.0.1:$single_port"
    through_funnel "through Funnel to one node" "$p"
    single[$p]="$last_us"
    stop_funnel
    awk -v c="${cluster[$p]}" -v s="${single[$p]}" -v p="$p" \
      'BEGIN {if (s > 0) printf "  -P %s: Funnel CPU per request, cluster / single node = %.2fx (target <= 1.3x)\n", p, c / s}'
  done
}

instructions() {
  [[ -n "${single_port:-}" ]] || { start_cluster; start_node "$work_dir/single"; single_port="$node_port"; }
  funnel_workers=1
  local target total
  for target in cluster single; do
    local args=(--cluster "$cluster_seed")
    [[ "$target" == single ]] && args=(--backend "127.0.0.1:$single_port")
    FUNNEL_WRAP="valgrind --tool=callgrind --callgrind-out-file=$work_dir/callgrind.$target" start_funnel "${args[@]}"
    redis-benchmark -p "$funnel_port" -c 50 -P 16 -n "$requests" -t set,get -q >/dev/null 2>&1
    stop_funnel
    total="$(callgrind_annotate "$work_dir/callgrind.$target" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",","",$1); print $1}')"
    echo "  instructions ($target): $total for $((2 * requests)) requests = $((total / (2 * requests))) per request (callgrind, -c 50 -P 16, 1 worker)"
  done
}

case "$what" in
  cpu) cpu ;;
  instructions) instructions ;;
  all) cpu; instructions ;;
  *) echo "cluster-bench: unknown part '$what' (cpu, instructions or all)" >&2; exit 2 ;;
esac
