#!/usr/bin/env bash
# Redis's own test suite through Funnel (issue 15, docs/compatibility.md): runs the tests/unit
# files of a Redis source tree one by one against a fresh redis-server with Funnel in front of it
# (`--deny-commands ""`, as a new user would try it), and prints one table row per file. A
# developer tool, not a CI stage: the suite is not in this tree and nothing is downloaded.
#
#   scripts/redis-suite.sh                         # every tests/unit/*.tcl and type/*.tcl
#   scripts/redis-suite.sh /path/to/redis pubsub type/list   # a tree, then the files named
#   scripts/redis-suite.sh --direct                # the same, straight to redis-server (baseline)
#   scripts/redis-suite.sh --file-limit 600 --out /tmp/suite   # seconds per file; logs go there
#   scripts/redis-suite.sh other -- --skiptest "RESET clears client state"   # after --: runtest's
#
# REDIS_SRC is the tree when no directory is given (default /tmp/redis-src); it is never written:
# its tests/ and runtest are copied to a scratch directory (runtest writes tmp files there).
# FUNNEL_BIN is the proxy (default build/release/src/server/funnel); FUNNEL_ARGS, more flags for
# it (e.g. "--workers 1"). Each file gets its own
# redis-server and Funnel on free loopback ports, stopped by PID afterwards, and a wall-clock
# limit (timeout(1)) so a hang cannot stall the run. Exit status: 0 when every file passed.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

usage() { sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

redis_src="${REDIS_SRC:-/tmp/redis-src}"
funnel="${FUNNEL_BIN:-build/release/src/server/funnel}"
read -r -a funnel_args <<<"${FUNNEL_ARGS:-}"
out_dir="$repo_root/build/redis-suite"
file_limit=900 # seconds; the slowest files (type/list, zset) take a few minutes through Funnel
direct=0
names=()
runtest_args=()
while (($# > 0)); do
  case "$1" in
    --out) out_dir="${2:?--out needs a directory}"; shift ;;
    --file-limit) file_limit="${2:?--file-limit needs seconds}"; shift ;;
    --direct) direct=1 ;;
    -h | --help) usage; exit 0 ;;
    --) shift; runtest_args=("$@"); break ;;
    -*) echo "redis-suite: unknown option '$1' (try --help)" >&2; exit 2 ;;
    *)
      if ((${#names[@]} == 0)) && [[ -d "$1" ]]; then redis_src="$1"; else names+=("${1%.tcl}"); fi
      ;;
  esac
  shift
done

for tool in redis-server redis-cli ss timeout tclsh; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "redis-suite: $tool not found (apt-get install redis-server redis-tools tcl iproute2)" >&2
    exit 1
  fi
done
if [[ ! -x "$redis_src/runtest" || ! -d "$redis_src/tests/unit" ]]; then
  echo "redis-suite: $redis_src is not a Redis source tree (no runtest, tests/unit)" >&2
  exit 1
fi
if ((!direct)) && [[ ! -x "$funnel" ]]; then
  echo "redis-suite: $funnel is not an executable: build it (cmake --preset release &&" \
    "cmake --build --preset release --target funnel) or set FUNNEL_BIN" >&2
  exit 1
fi
if ((${#names[@]} == 0)); then
  # Top-level files and type/*, not cluster/ or moduleapi/ (they need a cluster or modules);
  # list-common.tcl is a helper the list files source, not a test file.
  for path in "$redis_src"/tests/unit/*.tcl "$redis_src"/tests/unit/type/*.tcl; do
    path="${path#"$redis_src"/tests/unit/}"
    [[ "$path" == type/list-common.tcl ]] || names+=("${path%.tcl}")
  done
fi

mkdir -p "$out_dir"
workdir="$(mktemp -d -t funnel-redis-suite.XXXXXX)"
redis_pid=""
funnel_pid=""
stop_started() {
  # shellcheck disable=SC2086 # an empty PID must vanish, not become an argument
  stop_pids $funnel_pid $redis_pid
  funnel_pid=""
  redis_pid=""
}
# shellcheck disable=SC2317 # run by the EXIT trap, which shellcheck cannot see
cleanup() {
  stop_started
  rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# pick_port, wait_ready, stop_pids
# shellcheck source=scripts/lib/local-ports.sh
source scripts/lib/local-ports.sh

# The copy runtest runs in. Some tests call src/redis-cli or src/redis-benchmark: the installed ones.
suite="$workdir/redis"
mkdir -p "$suite/src"
cp -R "$redis_src/runtest" "$redis_src/tests" "$suite/"
for tool in redis-cli redis-benchmark redis-server redis-check-aof redis-check-rdb; do
  if command -v "$tool" >/dev/null 2>&1; then ln -s "$(command -v "$tool")" "$suite/src/$tool"; fi
done

start_redis() { # start_redis PORT: a fresh, empty redis-server on 127.0.0.1:PORT
  rm -rf "$workdir/data" && mkdir -p "$workdir/data"
  setsid redis-server --port "$1" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$workdir/data" --logfile "$workdir/redis.log" </dev/null >/dev/null 2>&1 &
  redis_pid=$!
  wait_ready "$redis_pid" "$1" && return 0
  stop_started
  return 1
}

start_funnel() { # start_funnel PORT BACKEND_PORT: Funnel as a new user would run it
  setsid "$funnel" --listen "127.0.0.1:$1" --backend "127.0.0.1:$2" --deny-commands "" \
    "${funnel_args[@]}" </dev/null >"$workdir/funnel.log" 2>&1 &
  funnel_pid=$!
  wait_ready "$funnel_pid" "$1" && return 0
  kill -0 "$funnel_pid" 2>/dev/null && stop_pids "$funnel_pid"
  funnel_pid=""
  return 1
}

# start_pair: sets target_port (what runtest talks to); tries a few ports if one loses a race.
start_pair() {
  local redis_port="" port
  for _ in 1 2 3 4 5; do
    port="$(pick_port)" && start_redis "$port" && redis_port="$port" && break
  done
  [[ -n "$redis_port" ]] || { echo "redis-server did not start" && return 1; }
  if ((direct)); then target_port="$redis_port" && return 0; fi
  for _ in 1 2 3 4 5; do
    port="$(pick_port)" && start_funnel "$port" "$redis_port" && target_port="$port" && return 0
  done
  echo "funnel did not start: $(tail -n 3 "$workdir/funnel.log" 2>/dev/null)"
  return 1
}

# summarize LOG RC: "ok|err|skipped|stop|first failure" for one runtest log (colours stripped).
summarize() {
  local log="$1" rc="$2" ok err skipped stop first
  ok="$(grep -c '^\[ok\]: ' "$log" || true)"
  skipped="$(grep -c '^\[\(ignore\|skip\)\]: ' "$log" || true)"
  err="$(grep -c '^\[err\]: ' "$log" || true)"
  first="$(grep -m1 '^\[err\]: ' "$log" | sed -e 's/^\[err\]: //' -e 's/ in tests\/unit\/.*$//' || true)"
  stop="-"
  if grep -q '^\[exception\]: ' "$log"; then
    stop="exception"
    # The test that raised it, when the traceback names one; else the error's first line.
    [[ -n "$first" ]] || first="$(exception_test "$log")"
  elif grep -q '^\[TIMEOUT\]: ' "$log"; then
    stop="timeout (runtest)"
    [[ -n "$first" ]] || first="$(grep -m1 '(IN PROGRESS)' "$log" | sed 's/^.*(IN PROGRESS) //' || true)"
  elif ((rc == 124 || rc == 137)); then
    stop="timeout (${file_limit}s)"
  elif ((rc != 0)) && ((err == 0)); then
    stop="exit $rc"
  fi
  echo "$ok|$err|$skipped|$stop|${first:--}"
}

exception_test() { # the test named in an exception's traceback, or the exception's own text
  local name
  name="$(grep -m1 -o '^"test {[^}]*}\|^"test "[^"]*"' "$1" | sed -e 's/^"test [{"]//' -e 's/[}"]$//' || true)"
  [[ -n "$name" ]] && { echo "$name" && return; }
  grep -m1 -A1 '^\[exception\]: ' "$1" | tail -n 1 | cut -c1-120
}

# run_file NAME: one file against a fresh pair; sets row (its table line); 1 if it failed.
run_file() {
  local name="$1" log="$out_dir/${1//\//-}.log" rc=0 summary ok err skipped stop first
  target_port=""
  if ! start_pair >"$workdir/start.err" 2>&1; then
    row="| $name | - | - | - | $(tr '\n' ' ' <"$workdir/start.err") | - |"
    stop_started
    return 1
  fi
  # runtest's own test server listens below --baseport (default 21111): a random base keeps two
  # runs on one machine (other developers' too) from taking the same port.
  (cd "$suite" && timeout --kill-after=10 "$file_limit" ./runtest --host 127.0.0.1 \
    --port "$target_port" --baseport "$(($(pick_port) + 32))" --single "unit/$name" \
    --tags -needs:debug --tags -needs:repl \
    --timeout 120 "${runtest_args[@]}" </dev/null 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >"$log") || rc=$?
  ((rc == 0)) || rc="$(runtest_status "$log" "$rc")"
  if ((!direct)) && ! kill -0 "$funnel_pid" 2>/dev/null; then
    cp "$workdir/funnel.log" "$out_dir/${name//\//-}.funnel.log"
    echo "[funnel-exited]: see ${name//\//-}.funnel.log" >>"$log"
  fi
  stop_started
  summary="$(summarize "$log" "$rc")"
  IFS='|' read -r ok err skipped stop first <<<"$summary"
  grep -q '^\[funnel-exited\]' "$log" && stop="funnel exited"
  row="| $name | $ok | $err | $skipped | $stop | $first |"
  [[ "$err" == 0 && "$stop" == "-" ]]
}

# runtest_status LOG RC: timeout(1)'s verdict wins; otherwise runtest's own exit status.
runtest_status() {
  if grep -q 'All tests passed without errors' "$1" && (($2 != 124 && $2 != 137)); then
    echo 0
  else
    echo "$2"
  fi
}

redis_version() { redis-server --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p'; }

main() {
  local name failed=0 passed=0
  echo "redis-suite: tests of $redis_src through" \
    "$(if ((direct)); then echo "nothing (straight to redis-server $(redis_version))"; else echo "$funnel (redis-server $(redis_version) behind)"; fi)," \
    "${#names[@]} files, logs in $out_dir"
  echo "| file | ok | err | skipped | stopped by | first failing test |"
  echo "|---|---|---|---|---|---|"
  for name in "${names[@]}"; do
    if run_file "$name"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
    echo "$row"
  done
  echo "redis-suite: $passed of ${#names[@]} files pass entirely, $failed do not"
  ((failed == 0))
}

main; exit  # one line: bash has read all it runs before main starts
