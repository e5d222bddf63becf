#!/usr/bin/env bash
# Issue #20: what a connection per invocation costs each server, side by side in one run, against
# the floor (bench/floor-server.c: a do-nothing epoll server, i.e. the kernel's share):
#   plain     redis-benchmark -k 0 -c 50 -t get (connect, GET, close per request)
#   node6     bench/invoke-driver node6 (connect, node-redis 6's pipelined handshake, HGET, QUIT,
#             close) and resp2 (connect, HGET, QUIT, close; the only form nutcracker serves)
#   syscalls  strace -c -f on each server over a bounded node6/resp2 run: calls per invocation
#   tls       node6 over TLS 1.3, Funnel --tls-listen against redis-server --tls-port, with an
#             ECDSA P-256 and an RSA-2048 certificate (made here with openssl), full handshakes
#             and resumed sessions
#
#   instructions  callgrind on fresh floor, redis-server and Funnel processes over BENCH_STRACE_N
#             node6 invocations: user-space instructions per invocation and where they go
#
#   bench/invocation-path.sh [plain|node6|syscalls|tls|instructions|all]     (default all)
#
# CPU per invocation is each server's CPU time (the sum over its threads of
# /proc/PID/task/*/schedstat, in ns) over the run divided by the invocations. Behind Funnel and
# nutcracker the redis-server they forward to is counted separately ("+ backend"). Rounds
# alternate the targets; the figures are totals over the rounds. Compare within one run only.
# Environment: FUNNEL_BIN [build/release/src/server/funnel], BENCH_BIN_DIR [build/release/bench:
# floor-server, invoke-driver], BENCH_N [20000 per round and target], BENCH_ROUNDS [3],
# BENCH_THREADS [50, driver connections at once], BENCH_STRACE_N [2000], BENCH_PIN [1: servers
# on cpu 0, load on the last cpu; 0: unpinned], FUNNEL_ARGS [extra funnel flags], FUNNEL_BASE [a
# second funnel binary, e.g. the commit before a change, measured beside the first as
# "funnel-base" in plain, node6 and syscalls].
# Starts its own servers on free loopback ports; stops them by PID on exit.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib/local-ports.sh
source "$repo_root/scripts/lib/local-ports.sh"
# shellcheck source=bench/lib/pinning.sh
source "$repo_root/bench/lib/pinning.sh"

what="${1:-all}"
funnel_bin="${FUNNEL_BIN:-$repo_root/build/release/src/server/funnel}"
bin_dir="${BENCH_BIN_DIR:-$repo_root/build/release/bench}"
n="${BENCH_N:-20000}"
rounds="${BENCH_ROUNDS:-3}"
threads="${BENCH_THREADS:-50}"
strace_n="${BENCH_STRACE_N:-2000}"
base_bin="${FUNNEL_BASE:-}"
read -r -a funnel_args <<<"${FUNNEL_ARGS:-}"
set_pinning "${BENCH_PIN:-1}" || exit 2
for tool in "$funnel_bin" "$bin_dir/floor-server" "$bin_dir/invoke-driver"; do
  [[ -x "$tool" ]] || { echo "invocation-path: $tool missing (cmake --build --preset release --target funnel floor-server invoke-driver)" >&2; exit 1; }
done
for tool in redis-server redis-benchmark redis-cli nutcracker strace openssl; do
  command -v "$tool" >/dev/null || { echo "invocation-path: '$tool' not found" >&2; exit 1; }
done
work_dir="$(mktemp -d)"
pids=()
cleanup() {
  stop_pids "${pids[@]}"
  rm -rf "$work_dir"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

declare -A pid_of port_of backend_of
started() {  # started NAME PID PORT [BACKEND-NAME]
  pids+=("$2")
  pid_of[$1]=$2 port_of[$1]=$3 backend_of[$1]="${4:-}"
  wait_ready "$2" "$3" || { echo "invocation-path: $1 did not start; log:" >&2; cat "$work_dir/$1.log" >&2; exit 1; }
}
start_redis() {  # start_redis NAME [TLS-FLAGS...]
  local name="$1" port
  shift
  port="$(pick_port)"
  "${server_run[@]}" redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
    --maxclients 10000 "$@" >"$work_dir/$name.log" 2>&1 &
  started "$name" $! "$port"
}
start_funnel() {  # start_funnel NAME [FLAGS...]
  local name="$1" port bin="$funnel_bin"
  shift
  [[ "$name" == funnel-base ]] && bin="$base_bin"
  port="$(pick_port)"
  "${server_run[@]}" "$bin" --backend "127.0.0.1:${port_of[redis]}" --listen "127.0.0.1:$port" \
    "${funnel_args[@]}" "$@" >"$work_dir/$name.log" 2>&1 &
  started "$name" $! "$port" redis
}
start_servers() {
  start_redis redis
  local port
  port="$(pick_port)"
  "${server_run[@]}" "$bin_dir/floor-server" "$port" >"$work_dir/floor.log" 2>&1 &
  started floor $! "$port"
  start_funnel funnel
  funnels=(funnel)
  if [[ -n "$base_bin" ]]; then
    start_funnel funnel-base
    funnels+=(funnel-base)
  fi
  port="$(pick_port)"
  printf 'pool:\n  listen: 127.0.0.1:%s\n  redis: true\n  auto_eject_hosts: false\n  server_connections: 1\n  servers:\n   - 127.0.0.1:%s:1\n' \
    "$port" "${port_of[redis]}" >"$work_dir/nutcracker.yml"
  "${server_run[@]}" nutcracker -c "$work_dir/nutcracker.yml" -s "$(pick_port)" >"$work_dir/nutcracker.log" 2>&1 &
  started nutcracker $! "$port" redis
}

# cpu_ns PID: CPU time of every thread of PID so far, in ns (schedstat: ns resolution, unlike
# the 10 ms ticks of /proc/PID/stat).
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f", s}'; }

declare -A cpu_front cpu_back count_of
# measure KEY NAME COUNT COMMAND...: run the load, add the CPU NAME (and its backend) spent.
measure() {
  local key="$1" name="$2" count="$3" pid="${pid_of[$2]}" back="${backend_of[$2]}"
  shift 3
  local f0 b0=0 f1 b1=0
  f0="$(cpu_ns "$pid")"
  [[ -n "$back" ]] && b0="$(cpu_ns "${pid_of[$back]}")"
  if ! "${load_run[@]}" "$@" >"$work_dir/load.out" 2>&1; then
    echo "invocation-path: load on $name failed: $(tail -3 "$work_dir/load.out")" >&2
  fi
  f1="$(cpu_ns "$pid")"
  [[ -n "$back" ]] && b1="$(cpu_ns "${pid_of[$back]}")"
  cpu_front[$key]=$((${cpu_front[$key]:-0} + f1 - f0))
  cpu_back[$key]=$((${cpu_back[$key]:-0} + b1 - b0))
  count_of[$key]=$((${count_of[$key]:-0} + count))
}

# report TITLE FLOOR-KEY KEY...: µs per invocation, and the ratio to the floor.
report() {
  local title="$1" floor_key="$2"
  shift 2
  echo
  echo "$title"
  printf '| %-22s | %10s | %12s | %10s | %9s |\n' target "µs/invoc." "+ backend µs" "total µs" "× floor"
  printf '|%s|%s|%s|%s|%s|\n' ------------------------ ------------ -------------- ------------ -----------
  local floor_us key
  floor_us="$(awk -v c="${cpu_front[$floor_key]}" -v n="${count_of[$floor_key]}" 'BEGIN {print c / n / 1000}')"
  for key in "$@"; do
    [[ -n "${count_of[$key]:-}" ]] || continue
    awk -v k="$key" -v f="${cpu_front[$key]}" -v b="${cpu_back[$key]}" -v n="${count_of[$key]}" -v fl="$floor_us" \
      'BEGIN {printf "| %-22s | %10.2f | %12.2f | %10.2f | %8.2fx |\n", k, f/n/1000, b/n/1000, (f+b)/n/1000, f/n/1000/fl}'
  done
}

plain() {
  local r name
  for ((r = 0; r < rounds; r++)); do
    for name in floor redis "${funnels[@]}" nutcracker; do
      measure "plain $name" "$name" "$n" redis-benchmark -h 127.0.0.1 -p "${port_of[$name]}" -k 0 -c 50 -n "$n" -t get -q
    done
  done
  report "(a) redis-benchmark -k 0 -c 50 -n $n -t get, $rounds rounds: CPU per connection" \
    "plain floor" "plain floor" "plain redis" "plain funnel" "plain funnel-base" "plain nutcracker"
}

# driver PORT MODE COUNT [tls|tls-resume]: the command line of one bounded driver run.
driver() { driver_cmd=("$bin_dir/invoke-driver" 127.0.0.1 "$1" "$2" "$threads" "$3" 120 "${@:4}"); }

node6() {
  local r name
  for ((r = 0; r < rounds; r++)); do
    for name in floor redis "${funnels[@]}"; do
      driver "${port_of[$name]}" node6 "$n"
      measure "node6 $name" "$name" "$n" "${driver_cmd[@]}"
    done
    for name in floor redis "${funnels[@]}" nutcracker; do
      driver "${port_of[$name]}" resp2 "$n"
      measure "resp2 $name" "$name" "$n" "${driver_cmd[@]}"
    done
  done
  report "(b) invoke-driver node6 (connect, HELLO 3, CLIENT SETINFO x2, CLIENT MAINT_NOTIFICATIONS, HGET, QUIT), $threads threads, $rounds x $n: CPU per invocation" \
    "node6 floor" "node6 floor" "node6 redis" "node6 funnel" "node6 funnel-base"
  report "(b) invoke-driver resp2 (connect, HGET, QUIT), $threads threads, $rounds x $n: CPU per invocation" \
    "resp2 floor" "resp2 floor" "resp2 redis" "resp2 funnel" "resp2 funnel-base" "resp2 nutcracker"
}

# strace_calls NAME MODE: system calls per invocation in NAME over STRACE_N invocations, the
# five most frequent named.
strace_calls() {
  local name="$1" mode="$2" spid
  strace -c -f -p "${pid_of[$name]}" -o "$work_dir/strace.txt" 2>/dev/null &
  spid=$!
  sleep 0.5  # strace attaches to every thread before it counts; nothing to wait on instead
  driver "${port_of[$name]}" "$mode" "$strace_n"
  "${load_run[@]}" "${driver_cmd[@]}" >/dev/null || true
  kill -INT "$spid"
  wait "$spid" || true
  awk -v n="$strace_n" -v label="$name $mode" '
    $NF == "total" {total = $4; next}
    $1 ~ /^[0-9.]+$/ && NF >= 5 {calls[$NF] = $4}
    END {
      top = ""
      for (k = 0; k < 6; k++) {
        best = ""; for (c in calls) if (best == "" || calls[c] + 0 > calls[best] + 0) best = c
        if (best == "") break
        top = top sprintf("%s %.2f, ", best, calls[best] / n); delete calls[best]
      }
      printf "| %-18s | %8.2f | %s |\n", label, total / n, substr(top, 1, length(top) - 2)
    }' "$work_dir/strace.txt"
}

syscalls() {
  echo
  echo "(c) system calls per invocation (strace -c -f over $strace_n invocations, $threads threads)"
  echo "| target             | calls    | most frequent, per invocation |"
  echo "|--------------------|----------|-------------------------------|"
  local name
  for name in floor redis "${funnels[@]}"; do strace_calls "$name" node6; done
  for name in floor redis "${funnels[@]}" nutcracker; do strace_calls "$name" resp2; done
}

# instructions_of NAME MODE COMMAND...: a fresh server (COMMAND, on PORT) under callgrind,
# instrumented only while BENCH_STRACE_N driver invocations run: user-space instructions per
# invocation (the kernel's work is not counted) and the functions that take the most.
instructions_of() {
  local name="$1" mode="$2" pid
  shift 2
  "${server_run[@]}" valgrind --tool=callgrind --instr-atstart=no \
    --callgrind-out-file="$work_dir/$name.callgrind" "$@" >"$work_dir/$name-cg.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  wait_ready "$pid" "$port" || { echo "invocation-path: $name under valgrind did not start" >&2; cat "$work_dir/$name-cg.log" >&2; exit 1; }
  callgrind_control -i on "$pid" >/dev/null
  driver "$port" "$mode" "$strace_n"
  "${load_run[@]}" "${driver_cmd[@]}" >/dev/null || echo "invocation-path: driver on $name (callgrind) failed" >&2
  callgrind_control -i off "$pid" >/dev/null
  kill -TERM "$pid"
  wait "$pid" || true
  callgrind_annotate "$work_dir/$name.callgrind" 2>/dev/null >"$work_dir/$name.annotate"
  awk -v n="$strace_n" -v label="$name $mode" '/PROGRAM TOTALS/ {gsub(",", "", $1); printf "%s: %d instructions per invocation (callgrind, %d invocations)\n", label, $1 / n, n}' "$work_dir/$name.annotate"
  # One awk reads to the end (a head here would end the pipe early: SIGPIPE under pipefail).
  sed -n '/file:function/,$p' "$work_dir/$name.annotate" | cut -c1-150 |
    awk -v n="$strace_n" -v top="${BENCH_TOP:-12}" '$1 ~ /^[0-9,]+$/ && $2 ~ /^\(/ && shown++ < top {
      c = $1; gsub(",", "", c); printf "  %8d  %s\n", c / n, substr($0, index($0, $2))}'
}

instructions() {
  echo
  echo "(e) user-space instructions per invocation, node6 path (callgrind; the kernel is not counted)"
  port="$(pick_port)"
  instructions_of floor-cg node6 "$bin_dir/floor-server" "$port"
  port="$(pick_port)"
  instructions_of redis-cg node6 redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no
  port="$(pick_port)"
  instructions_of funnel-cg node6 "$funnel_bin" --backend "127.0.0.1:${port_of[redis]}" --listen "127.0.0.1:$port" "${funnel_args[@]}"
  if [[ -n "$base_bin" ]]; then
    port="$(pick_port)"
    instructions_of funnel-base-cg node6 "$base_bin" --backend "127.0.0.1:${port_of[redis]}" --listen "127.0.0.1:$port" "${funnel_args[@]}"
  fi
  port="$(pick_port)"
  instructions_of funnel-cg-plain resp2 "$funnel_bin" --backend "127.0.0.1:${port_of[redis]}" --listen "127.0.0.1:$port" "${funnel_args[@]}"
}

make_cert() {  # make_cert NAME OPENSSL-KEY-ARGS...
  local name="$1"
  shift
  openssl req -x509 -newkey "$@" -nodes -days 2 -subj "/CN=127.0.0.1" \
    -keyout "$work_dir/$name.key" -out "$work_dir/$name.crt" >/dev/null 2>&1
}

tls() {
  make_cert ecdsa ec -pkeyopt ec_paramgen_curve:P-256
  make_cert rsa rsa:2048
  local cert r name mode tls_port funnel_tls_port
  for cert in ecdsa rsa; do
    tls_port="$(pick_port)"
    start_redis "redis-tls-$cert" --tls-port "$tls_port" --tls-cert-file "$work_dir/$cert.crt" \
      --tls-key-file "$work_dir/$cert.key" --tls-ca-cert-file "$work_dir/$cert.crt" \
      --tls-auth-clients no --tls-protocols TLSv1.3
    funnel_tls_port="$(pick_port)"
    start_funnel "funnel-tls-$cert" --tls-listen "127.0.0.1:$funnel_tls_port" \
      --tls-cert "$work_dir/$cert.crt" --tls-key "$work_dir/$cert.key"
    for ((r = 0; r < rounds; r++)); do
      for mode in tls tls-resume; do
        driver "$tls_port" node6 "$((n / 4))" "$mode"
        measure "$cert $mode redis" "redis-tls-$cert" "$((n / 4))" "${driver_cmd[@]}"
        driver "$funnel_tls_port" node6 "$((n / 4))" "$mode"
        measure "$cert $mode funnel" "funnel-tls-$cert" "$((n / 4))" "${driver_cmd[@]}"
      done
    done
    stop_pids "${pid_of[redis-tls-$cert]}" "${pid_of[funnel-tls-$cert]}"
  done
  echo
  echo "(d) TLS 1.3, node6 path, $threads threads, $rounds x $((n / 4)): CPU per invocation (x floor: x redis-server's, same certificate and mode)"
  for cert in ecdsa rsa; do
    for mode in tls tls-resume; do
      report "$cert, $mode" "$cert $mode redis" "$cert $mode redis" "$cert $mode funnel"
    done
  done
}

start_servers
echo "# bench/invocation-path.sh $what (BENCH_N=$n BENCH_ROUNDS=$rounds BENCH_THREADS=$threads BENCH_PIN=${BENCH_PIN:-1} FUNNEL_ARGS='${FUNNEL_ARGS:-}' FUNNEL_BASE='$base_bin')"
echo "# $(date -u '+%F %T UTC'), funnel $funnel_bin, servers on cpu $server_cpus, load on cpu $load_cpus, load average $(cut -d' ' -f1-3 /proc/loadavg)"
case "$what" in
  plain) plain ;;
  node6) node6 ;;
  syscalls) syscalls ;;
  tls) tls ;;
  instructions) instructions ;;
  all) plain; node6; syscalls; tls; instructions ;;
  *) echo "invocation-path: unknown part '$what' (plain, node6, syscalls, tls, instructions or all)" >&2; exit 2 ;;
esac
