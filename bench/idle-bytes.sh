#!/usr/bin/env bash
# Issue #20 item 4: resident memory per idle client after node-redis 6's handshake. For each
# Funnel binary (FUNNEL_BIN, and FUNNEL_BASE beside it when set) and each round: a fresh Funnel
# (default workers) in front of one redis-server, VmRSS from /proc/PID/status, then N clients of
# bench/lib/idle_clients.c connect CONCURRENCY at a time, send node-redis 6.3.1's pipelined
# handshake (HELLO 3, CLIENT SETINFO LIB-VER, CLIENT SETINFO LIB-NAME, CLIENT MAINT_NOTIFICATIONS),
# read the four replies and stay idle; VmRSS again. bytes/client = (after - before) / clients that
# completed the handshake. Rounds alternate the binaries; compare within one run only.
#
#   bench/idle-bytes.sh
#
# Environment: FUNNEL_BIN [build/release/src/server/funnel], FUNNEL_BASE [a second binary, e.g.
# main's, measured beside it as "funnel-base"], BENCH_IDLE_CLIENTS [10000],
# BENCH_IDLE_CONCURRENCY [256 handshakes in flight at once], BENCH_ROUNDS [2], BENCH_PIN [1:
# servers on cpu 0, clients on the last cpu; 0: unpinned], FUNNEL_ARGS [extra funnel flags].
# 127.0.0.1 only; every wait is bounded; stops only the processes it started (by PID).
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib/local-ports.sh
source "$repo_root/scripts/lib/local-ports.sh"
# shellcheck source=bench/lib/pinning.sh
source "$repo_root/bench/lib/pinning.sh"

funnel_bin="${FUNNEL_BIN:-$repo_root/build/release/src/server/funnel}"
base_bin="${FUNNEL_BASE:-}"
clients="${BENCH_IDLE_CLIENTS:-10000}"
concurrency="${BENCH_IDLE_CONCURRENCY:-256}"
rounds="${BENCH_ROUNDS:-2}"
read -r -a funnel_args <<<"${FUNNEL_ARGS:-}"
set_pinning "${BENCH_PIN:-1}" || exit 2
for bin in "$funnel_bin" ${base_bin:+"$base_bin"}; do
  [[ -x "$bin" ]] || { echo "idle-bytes: $bin missing (cmake --build --preset release --target funnel)" >&2; exit 1; }
done
for tool in redis-server redis-cli gcc; do
  command -v "$tool" >/dev/null || { echo "idle-bytes: '$tool' not found" >&2; exit 1; }
done
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
(($(ulimit -n) >= clients + 100)) || { echo "idle-bytes: ulimit -n is $(ulimit -n); $clients clients need $((clients + 100))" >&2; exit 1; }

work_dir="$(mktemp -d)"
pids=()
cleanup() {
  stop_pids "${pids[@]}"
  rm -rf "$work_dir"
}
trap cleanup EXIT
gcc -O2 -Wall -o "$work_dir/idle_clients" "$repo_root/bench/lib/idle_clients.c"

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

redis_port="$(pick_port)"
"${server_run[@]}" redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
  >"$work_dir/redis.log" 2>&1 &
redis_pid=$!
pids+=("$redis_pid")
wait_ready "$redis_pid" "$redis_port" || { echo "idle-bytes: redis-server did not start" >&2; exit 1; }

# one_round NAME BIN: writes "NAME ok failed before_kb after_kb bytes_per_client" to
# $work_dir/result (run in this shell, not a subshell, so the EXIT trap knows its PIDs).
one_round() {
  local name="$1" bin="$2" port pid before after ready="" i
  port="$(pick_port)"
  "${server_run[@]}" "$bin" --backend "127.0.0.1:$redis_port" --listen "127.0.0.1:$port" \
    "${funnel_args[@]}" >"$work_dir/$name.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  wait_ready "$pid" "$port" || { echo "idle-bytes: $name did not start; log:" >&2; cat "$work_dir/$name.log" >&2; exit 1; }
  before="$(rss_kb "$pid")"
  "${load_run[@]}" "$work_dir/idle_clients" 127.0.0.1 "$port" "$clients" node-redis6 "$concurrency" 150 600 \
    >"$work_dir/clients.out" 2>&1 &
  local ic_pid=$!
  pids+=("$ic_pid")
  for ((i = 0; i < 1600; i++)); do  # up to ~160 s (idle_clients gives up at 150)
    ready="$(grep -m1 '^READY' "$work_dir/clients.out" || true)"
    [[ -n "$ready" ]] && break
    kill -0 "$ic_pid" 2>/dev/null || break
    sleep 0.1
  done
  sleep 1  # whatever Funnel does after the last reply (buffers back to the pool) is done by then
  after="$(rss_kb "$pid")"
  kill -0 "$pid" 2>/dev/null || { echo "idle-bytes: $name died during the run" >&2; exit 1; }
  stop_pids "$ic_pid" "$pid"
  pids=("$redis_pid")  # stopped and reaped: no later signal may reach a reused PID
  local ok failed
  ok="$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' <<<"$ready")"
  failed="$(sed -n 's/.* failed=\([0-9]*\).*/\1/p' <<<"$ready")"
  [[ -n "$ok" && "$ok" -gt 0 ]] || { echo "idle-bytes: no client of $name completed the handshake ($ready)" >&2; exit 1; }
  echo "$name $ok ${failed:-?} $before $after $(((after - before) * 1024 / ok))" >"$work_dir/result"
}

echo "idle-bytes: $clients clients, node-redis 6 handshake, $concurrency at a time, $rounds round(s); pinned: servers $server_cpus, clients $load_cpus"
printf '| %-12s | %5s | %7s | %6s | %13s | %12s | %12s |\n' target round clients failed "RSS before kB" "RSS after kB" "bytes/client"
printf '|%s|%s|%s|%s|%s|%s|%s|\n' -------------- ------- --------- -------- --------------- -------------- --------------
for ((r = 1; r <= rounds; r++)); do
  targets=("funnel=$funnel_bin")
  [[ -n "$base_bin" ]] && targets+=("funnel-base=$base_bin")
  ((r % 2 == 0)) && [[ -n "$base_bin" ]] && targets=("funnel-base=$base_bin" "funnel=$funnel_bin")
  for t in "${targets[@]}"; do
    one_round "${t%%=*}" "${t#*=}"
    read -r name ok failed before after per <"$work_dir/result"
    printf '| %-12s | %5s | %7s | %6s | %13s | %12s | %12s |\n' "$name" "$r" "$ok" "$failed" "$before" "$after" "$per"
  done
done
