# shellcheck shell=bash
# Sourced by bench/run-bench.sh, bench/side-by-side.sh and bench/hot-path-cost.sh: which CPUs the
# servers (Redis, Funnel, nutcracker) and the load generator run on. Why the benchmarks pin:
# bench/README.md ("Why pin").

# set_pinning PIN: with PIN=1, the servers on every core but the last and the load on the last
# one; otherwise everything on every core. Sets server_cpus and load_cpus (a taskset list, or
# "all") and server_run / load_run (the command prefix, empty when not pinned). Fails with a
# message when PIN=1 cannot be done here.
set_pinning() {
  server_run=() load_run=() server_cpus="all" load_cpus="all"
  [[ "$1" == 1 ]] || return 0
  local cores
  cores="$(nproc)"
  if ((cores < 2)); then
    echo "BENCH_PIN=1 needs at least 2 cores (this machine has $cores)" >&2
    return 1
  fi
  if ! command -v taskset >/dev/null 2>&1; then
    echo "'taskset' not found (Debian: util-linux)" >&2
    return 1
  fi
  load_cpus="$((cores - 1))"
  server_cpus="0"
  ((cores > 2)) && server_cpus="0-$((cores - 2))"
  server_run=(taskset -c "$server_cpus") load_run=(taskset -c "$load_cpus")
}
