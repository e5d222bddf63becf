#!/usr/bin/env bash
# End-to-end: Debian's redis-tools (redis-cli, redis-benchmark) work through Funnel unchanged.
# Starts its own redis-server and Funnel on free loopback ports, stops both by PID on exit.
#   FUNNEL_BINARY=build/release/src/server/funnel tests/e2e/redis_tools_test.sh
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
host=127.0.0.1

funnel_binary="${FUNNEL_BINARY:-}"
if [[ -z "$funnel_binary" ]]; then
  for preset in release lead debug asan; do
    if [[ -x "$repo_root/build/$preset/src/server/funnel" ]]; then
      funnel_binary="$repo_root/build/$preset/src/server/funnel"
      break
    fi
  done
fi
if [[ -z "$funnel_binary" || ! -x "$funnel_binary" ]]; then
  echo "FAIL: no funnel binary: set FUNNEL_BINARY or build the 'funnel' target" >&2
  exit 1
fi
for tool in redis-server redis-cli redis-benchmark; do
  if ! command -v "$tool" >/dev/null; then
    echo "FAIL: $tool is missing (Debian package redis-server / redis-tools; scripts/install-deps.sh installs it)" >&2
    exit 1
  fi
done

work="$(mktemp -d -t funnel-e2e-tools.XXXXXX)"
redis_pid=""
funnel_pid=""
failures=0

# stop_pid PID: SIGTERM, then SIGKILL after 10 s; only ever a PID this script started.
stop_pid() {
  local pid="$1" i
  [[ -n "$pid" ]] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 200; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  stop_pid "$funnel_pid"
  stop_pid "$redis_pid"
  if ((status != 0)); then
    ((failures > 0)) || echo "FAIL: stopped at an unexpected error (exit $status, line ${error_line:-?})" >&2
    echo "--- funnel log (kept in $work) ---"
    tail -n 30 "$work"/funnel-*.log 2>/dev/null || true
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'error_line=$LINENO' ERR

pass() { echo "PASS: $*"; }
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# port_is_free PORT: nothing accepts on it right now.
port_is_free() { ! (exec 3<>"/dev/tcp/$host/$1") 2>/dev/null; }

pick_port() {
  local port i
  for ((i = 0; i < 100; i++)); do
    port=$((20000 + RANDOM % 12000)) # below the kernel's ephemeral range (32768+)
    if port_is_free "$port"; then
      echo "$port"
      return 0
    fi
  done
  echo "no free port found" >&2
  return 1
}

# wait_until DEADLINE_SECONDS WHAT COMMAND...: polls COMMAND until it succeeds or the deadline.
wait_until() {
  local deadline=$((SECONDS + $1)) what="$2"
  shift 2
  until "$@"; do
    if ((SECONDS >= deadline)); then
      echo "timed out waiting for $what" >&2
      return 1
    fi
    sleep 0.05
  done
}

answers_ping() { [[ "$(redis-cli -h "$host" -p "$1" PING 2>/dev/null)" == PONG ]]; }
alive() { kill -0 "$1" 2>/dev/null; }
answers_or_dead() { answers_ping "$1" || ! alive "$2"; }

start_redis() {
  local attempt
  for ((attempt = 0; attempt < 5; attempt++)); do
    redis_port="$(pick_port)"
    redis-server --port "$redis_port" --bind "$host" --save '' --appendonly no --dir "$work" \
      --daemonize no >"$work/redis-$redis_port.log" 2>&1 &
    redis_pid=$!
    wait_until 10 "redis-server on $redis_port" answers_or_dead "$redis_port" "$redis_pid"
    if alive "$redis_pid"; then return 0; fi
    wait "$redis_pid" 2>/dev/null || true
    redis_pid=""
    grep -q "Address already in use" "$work/redis-$redis_port.log" || {
      echo "FAIL: redis-server exited at start; its output:" >&2
      cat "$work/redis-$redis_port.log" >&2
      return 1
    }
  done
  return 1
}

start_funnel() {
  local attempt
  for ((attempt = 0; attempt < 5; attempt++)); do
    funnel_port="$(pick_port)"
    "$funnel_binary" --listen "$host:$funnel_port" --backend "$host:$redis_port" --workers 2 \
      >"$work/funnel-$funnel_port.log" 2>&1 &
    funnel_pid=$!
    wait_until 15 "funnel on $funnel_port" answers_or_dead "$funnel_port" "$funnel_pid"
    if alive "$funnel_pid"; then return 0; fi
    wait "$funnel_pid" 2>/dev/null || true
    funnel_pid=""
    grep -qi "in use" "$work/funnel-$funnel_port.log" || {
      echo "FAIL: funnel exited at start ($funnel_binary); its output:" >&2
      cat "$work/funnel-$funnel_port.log" >&2
      return 1
    }
  done
  return 1
}

start_redis
start_funnel
echo "redis-server pid $redis_pid on $redis_port; funnel pid $funnel_pid on $funnel_port ($funnel_binary)"

cli() { timeout 30 redis-cli -h "$host" -p "$funnel_port" "$@"; }
direct() { timeout 30 redis-cli -h "$host" -p "$redis_port" "$@"; }

# 1. PING
out="$(cli PING)"
if [[ "$out" == PONG ]]; then pass "redis-cli PING -> PONG"; else fail "redis-cli PING: got '$out'"; fi

# 2. SET / GET, and the value is on the backend
out="$(cli SET tools:key 'hello funnel')"
if [[ "$out" == OK ]]; then pass "redis-cli SET -> OK"; else fail "redis-cli SET: got '$out'"; fi
out="$(cli GET tools:key)"
if [[ "$out" == "hello funnel" ]]; then pass "redis-cli GET -> the value"; else fail "redis-cli GET: got '$out'"; fi
out="$(direct GET tools:key)"
if [[ "$out" == "hello funnel" ]]; then pass "the backend holds the value"; else fail "backend GET: got '$out'"; fi

# 3. redis-cli -3 (RESP3): HELLO 3 through Funnel answers like the backend (except the client id)
out="$(cli -3 HELLO 3)"
want="$(direct -3 HELLO 3)"
if grep -qx 'proto 3' <<<"$out" && [[ "$(grep -v '^id ' <<<"$out")" == "$(grep -v '^id ' <<<"$want")" ]]; then
  pass "redis-cli -3 HELLO 3 -> proto 3, same fields as the backend"
else
  fail "redis-cli -3 HELLO 3: got '$(tr '\n' ' ' <<<"$out")', backend says '$(tr '\n' ' ' <<<"$want")'"
fi
out="$(cli -3 SET tools:r3 v3; cli -3 GET tools:r3)"
if [[ "$out" == $'OK\nv3' ]]; then
  pass "redis-cli -3 SET/GET"
else
  fail "redis-cli -3 SET/GET: got '$(tr '\n' '|' <<<"$out")'"
fi

# 4. --pipe mass insertion of 10,000 keys (RESP multibulk, as the Redis docs describe)
keys=10000
for ((i = 0; i < keys; i++)); do
  k="pipe:$i"
  v="value-$i"
  printf '*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n' "${#k}" "$k" "${#v}" "$v"
done >"$work/mass.resp"
out="$(cli --pipe <"$work/mass.resp" 2>&1)"
if grep -q "errors: 0, replies: $keys" <<<"$out"; then
  pass "redis-cli --pipe: errors: 0, replies: $keys"
else
  fail "redis-cli --pipe: $(tr '\n' ' ' <<<"$out")"
fi
count="$(direct --scan --pattern 'pipe:*' | wc -l)"
if [[ "$count" == "$keys" ]]; then pass "the backend holds $count pipe:* keys"; else fail "the backend holds $count pipe:* keys, want $keys"; fi
out="$(cli MGET pipe:0 pipe:4999 pipe:9999 | tr '\n' ' ')"
if [[ "$out" == "value-0 value-4999 value-9999 " ]]; then
  pass "MGET of mass-inserted keys through Funnel"
else
  fail "MGET pipe:0 pipe:4999 pipe:9999: got '$out'"
fi

# 5. INFO: the backend's sections plus '# Funnel'
out="$(cli INFO)"
if grep -q '^# Funnel' <<<"$out" && grep -q '^redis_version:' <<<"$out"; then
  pass "INFO has redis_version and a '# Funnel' section"
else
  fail "INFO lacks '# Funnel' or redis_version: $(head -c 300 <<<"$out")"
fi

# 6. redis-benchmark through Funnel: completes, every test reports a rate, no error line
# bench NAME ARGS...: runs redis-benchmark -q against Funnel and checks its output.
bench() {
  local name="$1" status=0 out
  shift
  out="$(timeout 120 redis-benchmark -h "$host" -p "$funnel_port" "$@" -q 2>&1)" || status=$?
  # -q rewrites its progress line with \r; keep the final lines only.
  out="$(tr '\r' '\n' <<<"$out" | grep -v 'rps=' | grep -v '^[[:space:]]*$' || true)"
  echo "$out" | sed 's/^/    /'
  local ok=1 test
  ((status == 0)) || ok=0
  for test in "${bench_tests[@]}"; do
    grep -Eq "^[[:space:]]*$test: [0-9.]+ requests per second" <<<"$out" || ok=0
  done
  if grep -Eiq 'error|ERR |timeout|reset' <<<"$out"; then ok=0; fi
  if ((ok)); then pass "redis-benchmark $name"; else fail "redis-benchmark $name (exit $status)"; fi
}
bench_tests=(SET GET)
bench "-t set,get -n 20000 -c 50 -P 16" -t set,get -n 20000 -c 50 -P 16
bench_tests=(GET)
bench "-t get -n 2000 -c 20 -k 0 (a new connection per request)" -t get -n 2000 -c 20 -k 0

# 7. Funnel survived all of it and exits 0 on SIGTERM
if alive "$funnel_pid"; then
  kill -TERM "$funnel_pid"
  # Bounded: SIGKILL (and a failure) if Funnel has not exited within 15 s.
  gone() { ! alive "$1"; }
  wait_until 15 "funnel to exit after SIGTERM" gone "$funnel_pid" || kill -KILL "$funnel_pid" 2>/dev/null || true
  status=0
  wait "$funnel_pid" || status=$?
  funnel_pid=""
  if ((status == 0)); then pass "funnel exits 0 on SIGTERM"; else fail "funnel exit status $status after SIGTERM"; fi
else
  fail "funnel died during the checks"
fi

if ((failures > 0)); then
  echo "redis_tools_test: $failures check(s) FAILED"
  exit 1
fi
echo "redis_tools_test: all checks passed"
