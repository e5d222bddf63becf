#!/usr/bin/env bash
# End-to-end benchmark: redis-benchmark against Redis directly, through Funnel and through
# nutcracker (twemproxy), side by side in one run, plus idle-client memory, memory give-back and
# added latency at -c 1. What is measured and how to read it: bench/README.md, docs/benchmarks.md.
#
#   bench/run-bench.sh                  # full run (10-14 min on 2 cores)
#   BENCH_QUICK=1 bench/run-bench.sh    # smoke run (~1 min): small counts, -c 50 only
#
# Environment (defaults in brackets; BENCH_QUICK=1 changes the ones marked *):
#   FUNNEL_BIN                 funnel binary [build/release/src/server/funnel; built if missing]
#   BENCH_PIN                  1: servers (Redis, Funnel, nutcracker) on all cores but the last,
#                              the load (redis-benchmark, idle clients, sampler) on the last one;
#                              0: everything shares every core [1 with 2+ cores]
#   BENCH_WORKERS              Funnel --workers [0: Funnel's default, one per CPU it may use]
#   BENCH_CLIENTS*             -c values for the matrix ["50 500 2000"; quick "50"]
#   BENCH_PIPELINES            -P values for the matrix ["1 16"]
#   BENCH_REQUESTS*            -n per test at -P 1 [200000; quick 20000]
#   BENCH_REQUESTS_PIPELINED*  -n per test at -P > 1 [2000000; quick 200000]
#   BENCH_NUTCRACKER_DIVISOR   nutcracker gets -n / this at -P > 1, where it is ~8x slower [4]
#   BENCH_ROUNDS*              rounds of the matrix, targets alternating; the report takes medians [3; quick 1]
#   BENCH_RECONNECT_CLIENTS    -c for the reconnect-per-request (-k 0) run [50]
#   BENCH_REQUESTS_RECONNECT*  -n per test at -k 0 [30000; quick 3000]
#   BENCH_LATENCY_REQUESTS*    -n per test for the -c 1 latency run [20000; quick 5000]
#   BENCH_LATENCY_ROUNDS*      -c 1 rounds over all targets; the report takes the median p50 [5; quick 1]
#   BENCH_IDLE_CLIENTS*        idle clients for the memory test [10000; quick 1000]
#   BENCH_IDLE_CONCURRENCY     handshakes in flight at once while they connect [256]
#   BENCH_IDLE_SLOW_CONCURRENCY  then Funnel again (fresh) with this many at once; 0 skips [8]
#   BENCH_GIVEBACK_CLIENTS*    -c of the give-back run (-P 16) [2000; quick 200]
#   BENCH_GIVEBACK_WAIT_S      seconds to wait after it before reading RSS [2]; read again at +8 s
#   BENCH_RUN_TIMEOUT_S        limit for one redis-benchmark run; past it the run is a hang [180]
#   BENCH_OUT_DIR              where results go [build/bench-results]
#
# Everything it starts (redis-server, funnel, nutcracker, samplers, idle clients) is tracked by PID
# and stopped by the EXIT trap; all traffic stays on 127.0.0.1.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib/pinning.sh
source "$repo_root/bench/lib/pinning.sh"
# grep finds nothing when no BENCH_ variable is set: that must not end the script (pipefail).
command_line="$({ env | grep -E '^(BENCH_[A-Z_]+|FUNNEL_BIN)=' || true; } | sort | tr '\n' ' ')bench/run-bench.sh${*:+ $*}"
cd "$repo_root"

quick="${BENCH_QUICK:-0}"
if [[ "$quick" == 1 ]]; then
  d_clients="50" d_req=20000 d_req_p=200000 d_req_k0=3000 d_lat=5000 d_idle=1000 d_gb=200 d_rounds=1 d_mrounds=1
else
  d_clients="50 500 2000" d_req=200000 d_req_p=2000000 d_req_k0=30000 d_lat=20000 d_idle=10000 d_gb=2000
  d_rounds=5 d_mrounds=3
fi
workers="${BENCH_WORKERS:-0}"
cores="$(nproc)"
pin="${BENCH_PIN:-$( ((cores >= 2)) && echo 1 || echo 0)}"
clients_list="${BENCH_CLIENTS:-$d_clients}"
pipelines_list="${BENCH_PIPELINES:-1 16}"
req_p1="${BENCH_REQUESTS:-$d_req}"
req_pipelined="${BENCH_REQUESTS_PIPELINED:-$d_req_p}"
nutcracker_divisor="${BENCH_NUTCRACKER_DIVISOR:-4}"
matrix_rounds="${BENCH_ROUNDS:-$d_mrounds}"
reconnect_clients="${BENCH_RECONNECT_CLIENTS:-50}"
req_k0="${BENCH_REQUESTS_RECONNECT:-$d_req_k0}"
req_latency="${BENCH_LATENCY_REQUESTS:-$d_lat}"
latency_rounds="${BENCH_LATENCY_ROUNDS:-$d_rounds}"
idle_clients_n="${BENCH_IDLE_CLIENTS:-$d_idle}"
idle_concurrency="${BENCH_IDLE_CONCURRENCY:-256}"
idle_slow_concurrency="${BENCH_IDLE_SLOW_CONCURRENCY:-8}"
giveback_clients="${BENCH_GIVEBACK_CLIENTS:-$d_gb}"
giveback_wait="${BENCH_GIVEBACK_WAIT_S:-2}"
run_timeout="${BENCH_RUN_TIMEOUT_S:-180}"
out_dir="${BENCH_OUT_DIR:-$repo_root/build/bench-results}"
funnel_bin="${FUNNEL_BIN:-$repo_root/build/release/src/server/funnel}"
targets=(redis funnel nutcracker)

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- prerequisites
for tool in redis-server redis-benchmark redis-cli nutcracker gcc node ss timeout; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found: run scripts/install-deps.sh (Debian: redis-server redis-tools nutcracker gcc nodejs iproute2)"
done
# Pinning: redis-benchmark is single-threaded and, straight at Redis, needs a whole core. Sharing
# cores with it, a proxy is judged by how much CPU it takes away from the load generator rather
# than by what it serves, and the scheduler's placement (which moves from run to run on a VM)
# sets the -c 1 latency. With the load on a core of its own, Redis direct gets the server
# cores alone and a proxy shares them with Redis: its cost shows as lost throughput, the same
# way for Funnel and for nutcracker. Funnel sizes its workers from the cores it is given.
set_pinning "$pin" || die "cannot pin (see above)"
if [[ ! -x "$funnel_bin" ]]; then
  [[ -n "${FUNNEL_BIN:-}" ]] && die "FUNNEL_BIN=$funnel_bin is not an executable"
  log "building Funnel (release preset)"
  [[ -f build/release/CMakeCache.txt ]] || cmake --preset release >&2
  cmake --build --preset release --target funnel >&2 || die "release build failed"
fi

# -c 2000 and 10,000 idle clients need descriptors; root may raise the soft limit to the hard one.
hard_nofile="$(ulimit -Hn)"
want_nofile=20000
[[ "$hard_nofile" != unlimited && "$hard_nofile" -lt "$want_nofile" ]] && want_nofile="$hard_nofile"
ulimit -Sn "$want_nofile" 2>/dev/null || ulimit -n "$want_nofile" || die "cannot raise ulimit -n to $want_nofile"
needed=$((idle_clients_n + 100))
for c in $clients_list "$giveback_clients"; do ((c + 100 > needed)) && needed=$((c + 100)); done
(($(ulimit -n) >= needed)) || die "ulimit -n is $(ulimit -n); this run needs $needed (lower BENCH_IDLE_CLIENTS)"

stamp="$(date +%Y-%m-%d_%H%M%S)"
mkdir -p "$out_dir"
raw_dir="$out_dir/$stamp-raw"
mkdir -p "$raw_dir"
records="$raw_dir/records.jsonl"
: >"$records"
tmp_dir="$(mktemp -d /tmp/funnel-bench.XXXXXX)"

# ---------------------------------------------------------------- process tracking and cleanup
declare -A pid_of=()     # service name -> pid
declare -A port_of=()    # service name -> port
helper_pids=()           # samplers and idle-client processes still running
used_ports=" "

stop_pid() {  # stop_pid PID: TERM, wait up to 5 s, then KILL. Only PIDs this script started.
  local pid="$1" i
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

forget_helper() {  # forget_helper PID: drop a finished helper, so no later signal hits a reused PID
  local p kept=()
  for p in "${helper_pids[@]}"; do [[ "$p" == "$1" ]] || kept+=("$p"); done
  helper_pids=("${kept[@]}")
}
stop_helper() {  # stop_helper PID: stop it and forget it
  stop_pid "$1"
  forget_helper "$1"
}

stop_service() {  # stop_service NAME: stop redis, funnel or nutcracker and forget its PID
  stop_pid "${pid_of[$1]:-}"
  pid_of[$1]=""
}

cleanup() {
  local rc=$? name pid
  trap - EXIT INT TERM
  for pid in "${helper_pids[@]}"; do stop_pid "$pid"; done
  for name in nutcracker funnel redis; do stop_service "$name"; done
  for f in redis.log funnel.log nutcracker.log nutcracker.yml; do
    [[ -f "$tmp_dir/$f" ]] && cp "$tmp_dir/$f" "$raw_dir/" 2>/dev/null
  done
  rm -rf "$tmp_dir"
  ((rc != 0)) && log "exited with status $rc; raw output kept in $raw_dir"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {  # a loopback port nobody listens on, below the ephemeral range
  local p i
  for ((i = 0; i < 100; i++)); do
    p=$((20000 + RANDOM % 12000))
    [[ "$used_ports" == *" $p "* ]] && continue
    if [[ -z "$(ss -Htln "sport = :$p" 2>/dev/null)" ]]; then
      used_ports+="$p "
      echo "$p"
      return 0
    fi
  done
  return 1
}

wait_ping() {  # wait_ping PORT PID: PONG within 10 s while PID lives
  local i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$2" 2>/dev/null || return 1
    [[ "$(timeout 2 redis-cli -p "$1" PING 2>/dev/null)" == PONG ]] && return 0
    sleep 0.1
  done
  return 1
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
cpu_ticks() {  # utime + stime of all threads, in clock ticks (fields 14 and 15 of /proc/PID/stat)
  local s
  s="$(cat "/proc/$1/stat" 2>/dev/null)" || { echo 0; return; }
  s="${s##*) }"
  local -a f=($s)
  echo $((f[11] + f[12]))
}
clk_tck="$(getconf CLK_TCK)"

# ---------------------------------------------------------------- services
start_redis() {
  local attempt port
  for ((attempt = 0; attempt < 5; attempt++)); do
    port="$(free_port)" || die "no free port"
    "${server_run[@]}" redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --maxclients 19000 \
      --protected-mode no --daemonize no --logfile "$tmp_dir/redis.log" >/dev/null 2>&1 &
    pid_of[redis]=$!
    port_of[redis]=$port
    wait_ping "$port" "${pid_of[redis]}" && return 0
    stop_service redis
  done
  die "redis-server did not start (see $tmp_dir/redis.log)"
}

start_funnel() {
  local attempt port
  for ((attempt = 0; attempt < 5; attempt++)); do
    port="$(free_port)" || die "no free port"
    "${server_run[@]}" "$funnel_bin" --listen "127.0.0.1:$port" --backend "127.0.0.1:${port_of[redis]}" \
      --workers "$workers" --max-clients $((needed + 1000)) --log-level warn \
      >>"$tmp_dir/funnel.log" 2>&1 &
    pid_of[funnel]=$!
    port_of[funnel]=$port
    if wait_ping "$port" "${pid_of[funnel]}" &&
      [[ "$(timeout 2 redis-cli -p "$port" SET bench:probe ok 2>/dev/null)" == OK ]]; then
      return 0
    fi
    stop_service funnel
  done
  die "funnel did not start or does not forward SET (see $raw_dir/funnel.log)"
}

start_nutcracker() {
  local attempt port stats
  for ((attempt = 0; attempt < 5; attempt++)); do
    port="$(free_port)" || die "no free port"
    stats="$(free_port)" || die "no free port"
    cat >"$tmp_dir/nutcracker.yml" <<EOF
bench:
  listen: 127.0.0.1:$port
  hash: fnv1a_64
  distribution: ketama
  redis: true
  auto_eject_hosts: false
  server_connections: 1
  servers:
   - 127.0.0.1:${port_of[redis]}:1
EOF
    "${server_run[@]}" nutcracker -c "$tmp_dir/nutcracker.yml" -o "$tmp_dir/nutcracker.log" -s "$stats" -a 127.0.0.1 \
      -p "$tmp_dir/nutcracker.pid" >/dev/null 2>&1 &
    pid_of[nutcracker]=$!
    port_of[nutcracker]=$port
    if wait_ping "$port" "${pid_of[nutcracker]}" &&
      [[ "$(timeout 2 redis-cli -p "$port" SET bench:probe ok 2>/dev/null)" == OK ]]; then
      return 0
    fi
    stop_service nutcracker
  done
  die "nutcracker did not start (see $raw_dir/nutcracker.log)"
}

restart_proxies() {
  stop_service funnel
  stop_service nutcracker
  start_funnel
  start_nutcracker
}

# Funnel died or hung during a run: note it, keep its log, and start a fresh one so the remaining
# runs still happen.
check_funnel() {
  local what="$1" rc
  if ! kill -0 "${pid_of[funnel]}" 2>/dev/null; then
    wait "${pid_of[funnel]}" 2>/dev/null && rc=0 || rc=$?
    log "FUNNEL EXITED during $what (status $rc); restarting it"
    echo "{\"kind\":\"incident\",\"what\":\"funnel exited (status $rc) during $what\"}" >>"$records"
    start_funnel
  elif [[ "$(timeout 3 redis-cli -p "${port_of[funnel]}" PING 2>/dev/null)" != PONG ]]; then
    log "FUNNEL DOES NOT ANSWER PING after $what; restarting it"
    echo "{\"kind\":\"incident\",\"what\":\"funnel stopped answering PING after $what\"}" >>"$records"
    stop_service funnel
    start_funnel
  fi
}

# ---------------------------------------------------------------- backend connection sampler
# One redis-cli connection, opened before the load, repeats a command every 0.2 s. For Redis
# directly it reads INFO clients (connected_clients minus itself and the proxies' idle links,
# counted once before the run); for a proxy it reads CLIENT
# LIST and counts the proxy's links: Funnel's by their CLIENT SETNAME (name=funnel...),
# nutcracker's as every other client except the sampler itself (cmd=client|list).
sampler_pid=""
sampler_out=""
proxy_links=0  # for Redis direct: the proxies' own (idle) links, subtracted from connected_clients
start_sampler() {
  local target="$1" cmd=(INFO clients)
  [[ "$target" != redis ]] && cmd=(CLIENT LIST)
  if [[ "$target" == redis ]]; then
    proxy_links="$(timeout 5 redis-cli -p "${port_of[redis]}" CLIENT LIST 2>/dev/null | grep -c -v 'cmd=client|list' || true)"
  fi
  sampler_out="$raw_dir/sampler.$2.out"
  "${load_run[@]}" redis-cli -p "${port_of[redis]}" -r 3000 -i 0.2 "${cmd[@]}" >"$sampler_out" 2>&1 &
  sampler_pid=$!
  helper_pids+=("$sampler_pid")
  sleep 0.3
}
stop_sampler() {  # prints "min max" of the target's backend connections over the samples
  local target="$1"
  stop_helper "$sampler_pid"
  if [[ "$target" == redis ]]; then
    awk -F: -v links="${proxy_links:-0}" '/^connected_clients:/ {v=$2-1-links; if (n==0||v<mn) mn=v; if (n==0||v>mx) mx=v; n++}
             END {if (n) print mn, mx; else print "null null"}' "$sampler_out"
  else
    awk -v want="$target" '
      function flush() { if (lines) { v = (want=="funnel") ? f : o; if (n==0||v<mn) mn=v; if (n==0||v>mx) mx=v; n++ }
                         f=0; o=0; lines=0 }
      # CLIENT LIST is not in id order, but an id appears once per reply: a repeat starts the next.
      /^id=/ { id = $1; if (id in seen) { flush(); delete seen } seen[id] = 1; lines++
               if ($0 ~ / name=funnel/) f++; else if ($0 !~ / cmd=client\|list /) o++ }
      END { flush(); if (n) print mn, mx; else print "null null" }' "$sampler_out"
  fi
}

# ---------------------------------------------------------------- one redis-benchmark run
cur_round=1
requests_for() {  # requests_for TARGET PIPELINE BASE_N: nutcracker gets fewer pipelined requests
  if [[ "$1" == nutcracker && "$2" -gt 1 ]]; then echo $(($3 / nutcracker_divisor)); else echo "$3"; fi
}
json_str() { printf '%s' "$1" | tr -d '"\\' | tr '\n\r\t' '   ' | cut -c1-300; }

# bench_run PHASE TARGET TEST CLIENTS PIPELINE KEEPALIVE REQUESTS
bench_run() {
  local phase="$1" target="$2" test="$3" c="$4" p="$5" k="$6" n="$7"
  local port="${port_of[$target]}" proxy_pid="" tag="$phase.r$cur_round.$target.$test.c$4.P$5.k$6"
  [[ "$target" != redis ]] && proxy_pid="${pid_of[$target]}"
  if [[ "$target" == funnel ]] && ! kill -0 "${pid_of[funnel]}" 2>/dev/null; then
    check_funnel "the pause before $tag"
    proxy_pid="${pid_of[funnel]}"
  fi
  local out="$raw_dir/$tag.csv" err="$raw_dir/$tag.err"
  start_sampler "$target" "$tag"
  local p0=0 p1=0 r0 r1 t0 t1 rc=0
  [[ -n "$proxy_pid" ]] && p0="$(cpu_ticks "$proxy_pid")"
  r0="$(cpu_ticks "${pid_of[redis]}")"
  t0="$(date +%s.%N)"
  # redis-benchmark retries forever when its server is gone: watch the target while it runs.
  "${load_run[@]}" redis-benchmark -h 127.0.0.1 -p "$port" -c "$c" -n "$n" -P "$p" -k "$k" -t "$test" --csv \
    >"$out" 2>"$err" &
  local bench_pid=$! waited=0 target_died=0
  helper_pids+=("$bench_pid")
  while kill -0 "$bench_pid" 2>/dev/null; do
    if ! kill -0 "${pid_of[$target]}" 2>/dev/null; then target_died=1; break; fi
    if ((waited >= run_timeout * 5)); then rc=124; break; fi
    sleep 0.2
    waited=$((waited + 1))
  done
  if ((rc == 124 || target_died)); then
    stop_helper "$bench_pid"
  else
    wait "$bench_pid" && rc=0 || rc=$?
    forget_helper "$bench_pid"
  fi
  t1="$(date +%s.%N)"
  [[ -n "$proxy_pid" ]] && p1="$(cpu_ticks "$proxy_pid")"
  r1="$(cpu_ticks "${pid_of[redis]}")"
  local conns
  conns="$(stop_sampler "$target")"
  local row rps=null p50=null p99=null avg=null
  row="$(grep -i "^\"$test\"" "$out" | tail -1 | tr -d '"' || true)"
  if [[ -n "$row" ]]; then
    IFS=, read -r _ rps avg _ p50 _ p99 _ <<<"$row"
  fi
  local status=ok
  ((rc == 124)) && status="timeout after ${run_timeout}s (hang)"
  ((target_died)) && status="$target exited during the run" && rc=125
  ((rc != 0 && rc != 124 && rc != 125)) && status="redis-benchmark exit $rc"
  [[ -z "$row" && "$status" == ok ]] && status="no result line"
  # Errors redis-benchmark saw (the CONFIG warning is expected through proxies).
  local errs
  errs="$(grep -v -i 'could not fetch server config' "$err" | grep -i -m3 -E 'error|reset|refused|closed' || true)"
  [[ -n "$errs" ]] && status="$status; $(json_str "$errs")"
  local proxy_us=null redis_us=null
  [[ -n "$proxy_pid" ]] && proxy_us="$(awk -v d=$((p1 - p0)) -v t="$clk_tck" -v n="$n" 'BEGIN {printf "%.3f", d / t * 1e6 / n}')"
  redis_us="$(awk -v d=$((r1 - r0)) -v t="$clk_tck" -v n="$n" 'BEGIN {printf "%.3f", d / t * 1e6 / n}')"
  local secs
  secs="$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')"
  read -r cmin cmax <<<"$conns"
  cmin="${cmin:-null}" cmax="${cmax:-null}"
  printf '{"kind":"run","phase":"%s","round":%s,"target":"%s","test":"%s","clients":%s,"pipeline":%s,"keepalive":%s,"requests":%s,"rps":%s,"avg_ms":%s,"p50_ms":%s,"p99_ms":%s,"proxy_cpu_ticks":%s,"redis_cpu_ticks":%s,"proxy_us_per_req":%s,"redis_us_per_req":%s,"backend_conns_min":%s,"backend_conns_max":%s,"wall_s":%s,"status":"%s"}\n' \
    "$phase" "$cur_round" "$target" "$test" "$c" "$p" "$k" "$n" "${rps:-null}" "${avg:-null}" "${p50:-null}" "${p99:-null}" \
    $((p1 - p0)) $((r1 - r0)) "$proxy_us" "$redis_us" "$cmin" "$cmax" "$secs" "$(json_str "$status")" >>"$records"
  log "$(printf '%-8s r%s %-10s %-3s c=%-4s P=%-2s k=%s n=%-8s %10s rps p50=%s p99=%s proxy=%sus redis=%sus conns=%s-%s %ss %s' \
    "$phase" "$cur_round" "$target" "$test" "$c" "$p" "$k" "$n" "${rps:-?}" "${p50:-?}" "${p99:-?}" "$proxy_us" "$redis_us" "$cmin" "$cmax" "$secs" "$status")"
  [[ "$target" == funnel ]] && check_funnel "$tag"
  return 0
}

# ---------------------------------------------------------------- start
log "results: $out_dir/$stamp.md (raw output: $raw_dir)"
gcc -O2 -Wall -o "$tmp_dir/idle_clients" bench/lib/idle_clients.c || die "cannot compile bench/lib/idle_clients.c"
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
start_redis
start_funnel
start_nutcracker
funnel_workers="$(timeout 2 redis-cli -p "${port_of[funnel]}" INFO | tr -d '\r' | sed -n 's/^funnel_workers://p')"
[[ "$funnel_workers" =~ ^[0-9]+$ ]] || die "INFO through funnel has no funnel_workers line"
log "servers on cpus $server_cpus, load on cpus $load_cpus"
log "redis :${port_of[redis]} pid ${pid_of[redis]}; funnel :${port_of[funnel]} pid ${pid_of[funnel]} ($funnel_workers workers, --workers $workers); nutcracker :${port_of[nutcracker]} pid ${pid_of[nutcracker]}"

git_rev="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
git_dirty="$(git status --porcelain -- src 2>/dev/null | wc -l)"
cat >"$raw_dir/meta.json" <<EOF
{"command":"$(json_str "$command_line")","date":"$(date -u +%Y-%m-%dT%H:%M:%SZ)","host_cores":$(nproc),
 "cpu":"$(json_str "$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)")",
 "kernel":"$(uname -r)","mem_total_kb":$(awk '/^MemTotal:/ {print $2}' /proc/meminfo),
 "redis_version":"$(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p')",
 "redis_benchmark":"$(json_str "$(redis-benchmark --version 2>&1 | head -1)")",
 "nutcracker_version":"$(nutcracker --version 2>&1 | sed -n 's/.*nutcracker-\([^ ]*\).*/\1/p' | head -1)",
 "funnel_bin":"$(json_str "$funnel_bin")","funnel_version":"$(json_str "$("$funnel_bin" --version 2>&1 | head -1)")",
 "funnel_sha256":"$(sha256sum "$funnel_bin" | cut -c1-12)","funnel_workers":$funnel_workers,"funnel_workers_flag":$workers,
 "pinned":$([[ "$pin" == 1 ]] && echo true || echo false),"server_cpus":"$server_cpus","load_cpus":"$load_cpus","git_rev":"$git_rev","git_dirty_src_files":$git_dirty,
 "clk_tck":$clk_tck,"quick":$([[ "$quick" == 1 ]] && echo true || echo false),"load_start":"$load_start",
 "requests_p1":$req_p1,"requests_pipelined":$req_pipelined,"requests_reconnect":$req_k0,"requests_latency":$req_latency,"latency_rounds":$latency_rounds,"matrix_rounds":$matrix_rounds,"nutcracker_divisor":$nutcracker_divisor,
 "idle_clients":$idle_clients_n,"giveback_clients":$giveback_clients,"giveback_wait_s":$giveback_wait}
EOF

# ---------------------------------------------------------------- phase 1: idle client memory
# Fresh processes: RSS before, N idle clients that completed node-redis 6's handshake, RSS after.
idle_phase() {  # idle_phase TARGET CONCURRENCY
  local target="$1" concurrency="$2" mode=node-redis6 pid port probe=""
  pid="${pid_of[$target]}" port="${port_of[$target]}"
  if [[ "$target" == nutcracker ]]; then
    # nutcracker does not know HELLO and closes the connection: show that with 10 clients, then
    # measure with a PING handshake (reconnecting the closed ones would reuse nutcracker's freed
    # connection objects and understate its memory).
    probe="$(timeout 30 "$tmp_dir/idle_clients" 127.0.0.1 "$port" 10 node-redis6 10 20 0 2>&1 | grep -m1 '^READY' || true)"
    log "nutcracker with node-redis 6's handshake: $probe"
    mode=ping
    sleep 0.5
  fi
  start_sampler "$target" "idle.$target.conc$concurrency"
  sleep 0.5
  local before hwm_before
  before="$(rss_kb "$pid")"
  local ic_out="$raw_dir/idle.$target.conc$concurrency.out"
  : >"$ic_out"
  "${load_run[@]}" "$tmp_dir/idle_clients" 127.0.0.1 "$port" "$idle_clients_n" "$mode" "$concurrency" 150 600 >"$ic_out" 2>&1 &
  local ic_pid=$!
  helper_pids+=("$ic_pid")
  local i ready=""
  for ((i = 0; i < 1600; i++)); do  # up to ~160 s
    ready="$(grep -m1 '^READY' "$ic_out" || true)"
    [[ -n "$ready" ]] && break
    kill -0 "$ic_pid" 2>/dev/null || break
    sleep 0.1
  done
  sleep 1  # let the server finish whatever it does after the last reply
  local after
  after="$(rss_kb "$pid")"
  local proxy_alive=true
  kill -0 "$pid" 2>/dev/null || proxy_alive=false
  stop_helper "$ic_pid"
  local conns
  conns="$(stop_sampler "$target")"
  read -r cmin cmax <<<"$conns"
  cmin="${cmin:-null}" cmax="${cmax:-null}"
  local ok failed fallback
  ok="$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' <<<"$ready")"
  failed="$(sed -n 's/.* failed=\([0-9]*\).*/\1/p' <<<"$ready")"
  fallback="$(sed -n 's/.* fallback=\([0-9]*\).*/\1/p' <<<"$ready")"
  local closed_idle
  closed_idle="$(sed -n 's/^EXIT .*closed_while_idle=\([0-9]*\).*/\1/p' "$ic_out")"
  local per_client=null
  [[ -n "$ok" && "$ok" -gt 0 ]] && per_client=$(((after - before) * 1024 / ok))
  printf '{"kind":"idle","target":"%s","concurrency":%s,"mode":"%s","clients":%s,"ok":%s,"failed":%s,"fallback":%s,"closed_while_idle":%s,"rss_before_kb":%s,"rss_after_kb":%s,"bytes_per_client":%s,"backend_conns_min":%s,"backend_conns_max":%s,"proxy_alive":%s,"ready":"%s","hello_probe":"%s"}\n' \
    "$target" "$concurrency" "$mode" "$idle_clients_n" "${ok:-0}" "${failed:-null}" "${fallback:-0}" "${closed_idle:-null}" \
    "$before" "$after" "$per_client" "$cmin" "$cmax" "$proxy_alive" "$(json_str "$ready")" "$(json_str "$probe")" >>"$records"
  log "idle $target (${concurrency} at a time): $ready; RSS $before -> $after kB = $per_client bytes/client; backend conns $cmin-$cmax"
  [[ "$target" == funnel ]] && check_funnel "idle-client phase"
  sleep 1
}
log "phase 1/4: resident memory per idle client ($idle_clients_n clients)"
for t in "${targets[@]}"; do idle_phase "$t" "$idle_concurrency"; done
# Handshake buffers in flight while clients connect may stay in Funnel's heap: measure once more
# with clients arriving a few at a time, to separate that from the idle session's own cost.
if ((idle_slow_concurrency > 0)); then
  stop_service funnel
  start_funnel
  idle_phase funnel "$idle_slow_concurrency"
fi

# ---------------------------------------------------------------- phase 2: memory give-back
# Fresh proxies: idle RSS, a -c $giveback_clients -P 16 run, the clients leave, wait, RSS again.
log "phase 2/4: memory give-back after -c $giveback_clients -P 16"
restart_proxies
sleep 1
for t in funnel nutcracker; do
  base="$(rss_kb "${pid_of[$t]}")"
  n="$(requests_for "$t" 16 "$req_pipelined")"
  bench_run giveback "$t" set "$giveback_clients" 16 1 "$n"
  bench_run giveback "$t" get "$giveback_clients" 16 1 "$n"
  peak="$(hwm_kb "${pid_of[$t]}")"
  sleep "$giveback_wait"
  after="$(rss_kb "${pid_of[$t]}")"
  sleep 8
  late="$(rss_kb "${pid_of[$t]}")"
  printf '{"kind":"giveback","target":"%s","clients":%s,"rss_idle_kb":%s,"rss_peak_kb":%s,"rss_after_kb":%s,"wait_s":%s,"ratio":%s,"rss_late_kb":%s,"late_wait_s":%s}\n' \
    "$t" "$giveback_clients" "$base" "$peak" "$after" "$giveback_wait" \
    "$(awk -v a="$after" -v b="$base" 'BEGIN {printf "%.2f", (b > 0) ? a / b : 0}')" "$late" \
    "$(awk -v w="$giveback_wait" 'BEGIN {print w + 8}')" >>"$records"
  log "giveback $t: idle $base kB, peak $peak kB, after ${giveback_wait}s $after kB, after another 8 s $late kB"
done

# ---------------------------------------------------------------- phase 3: throughput matrix
# Rounds sit inside each configuration, targets alternating, so that background noise at any
# moment hits all targets alike.
log "phase 3/4: redis-benchmark matrix (-c $clients_list) x (-P $pipelines_list) + -k 0, $matrix_rounds round(s)"
for c in $clients_list; do
  for p in $pipelines_list; do
    base_n="$req_p1"
    ((p > 1)) && base_n="$req_pipelined"
    for ((cur_round = 1; cur_round <= matrix_rounds; cur_round++)); do
      for t in "${targets[@]}"; do
        n="$(requests_for "$t" "$p" "$base_n")"
        bench_run matrix "$t" set "$c" "$p" 1 "$n"
        bench_run matrix "$t" get "$c" "$p" 1 "$n"
      done
    done
  done
done
for ((cur_round = 1; cur_round <= matrix_rounds; cur_round++)); do
  for t in "${targets[@]}"; do
    bench_run matrix "$t" set "$reconnect_clients" 1 0 "$req_k0"
    bench_run matrix "$t" get "$reconnect_clients" 1 0 "$req_k0"
  done
done

# ---------------------------------------------------------------- phase 4: added latency at -c 1
# Targets alternate within each round so that background noise hits them alike.
log "phase 4/4: latency at -c 1 -P 1 ($latency_rounds rounds)"
for ((cur_round = 1; cur_round <= latency_rounds; cur_round++)); do
  for t in "${targets[@]}"; do
    bench_run latency "$t" set 1 1 1 "$req_latency"
    bench_run latency "$t" get 1 1 1 "$req_latency"
  done
done
cur_round=1

# Final state of the processes (memory after everything, still alive?).
for t in "${targets[@]}"; do
  alive=true
  kill -0 "${pid_of[$t]}" 2>/dev/null || alive=false
  printf '{"kind":"final","target":"%s","alive":%s,"rss_kb":%s,"hwm_kb":%s}\n' \
    "$t" "$alive" "$(rss_kb "${pid_of[$t]}")" "$(hwm_kb "${pid_of[$t]}")" >>"$records"
done
if [[ "$(timeout 3 redis-cli -p "${port_of[funnel]}" GET bench:probe 2>/dev/null)" != ok ]]; then
  echo '{"kind":"incident","what":"GET bench:probe through funnel did not return the value set at start"}' >>"$records"
fi
sed -i "s/\"load_start\":/\"load_end\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"load_start\":/" "$raw_dir/meta.json"

node bench/lib/report.mjs "$raw_dir" "$out_dir/$stamp.md" "$out_dir/$stamp.json"
cat "$out_dir/$stamp.md"
log "wrote $out_dir/$stamp.md and $out_dir/$stamp.json (raw: $raw_dir)"
