#!/usr/bin/env bash
# Quick start: builds the release preset and runs Funnel. Without --backend or --config it first
# shows the storm demo (scripts/storm-demo.sh: the serverless connection storm of the case study,
# direct and through Funnel, with an HTML report), then starts a throwaway local redis-server (the
# "embedded default") on a free loopback port and points Funnel at it; that redis-server is
# stopped again, by its PID, when Funnel exits.
#
#   scripts/run.sh                       # storm demo, then redis-server + funnel on 127.0.0.1:6380
#   scripts/run.sh --no-demo             # skip the demo
#   scripts/run.sh --demo-only           # the demo, then exit
#   scripts/run.sh --workers 2           # extra flags go to funnel
#   scripts/run.sh --backend 10.0.0.5:6379 --listen 0.0.0.0:6380   # your own Redis
#
# FUNNEL_BINARY=/path/to/funnel skips installing and building and runs that binary instead.
# The cleanup trap handler is called indirectly, which shellcheck cannot see.
# shellcheck disable=SC2317
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

# run.sh's own flags; everything else goes to funnel.
demo=1
demo_only=0
passthrough=()
for arg in "$@"; do
  case "$arg" in
    --no-demo) demo=0 ;;
    --demo-only) demo_only=1 ;;
    *) passthrough+=("$arg") ;;
  esac
done
set -- "${passthrough[@]+"${passthrough[@]}"}"

if [[ -n "${FUNNEL_BINARY:-}" ]]; then
  funnel="$FUNNEL_BINARY"
else
  scripts/install-deps.sh
  cmake --preset release
  # Only the proxy and the load tool: the tests and benchmarks in the same preset would add
  # minutes to a quick start.
  cmake --build --preset release --target funnel funnel-storm -j "$(nproc)"
  funnel="build/release/src/server/funnel"
  export FUNNEL_STORM_BINARY="${FUNNEL_STORM_BINARY:-build/release/tools/storm/funnel-storm}"
fi

# Flags that either bring their own backend or never start a proxy: hand everything to funnel.
for arg in "$@"; do
  case "$arg" in
    --backend | --backend=* | --config | --config=* | -h | --help | --version | --check-config)
      exec "$funnel" "$@"
      ;;
  esac
done

if ((demo || demo_only)); then
  echo "run: first, the storm demo: a launch-day spike of ~300 concurrent serverless invocations,"
  echo "run: once straight at a redis-server with a low maxclients, once through Funnel (about a minute)"
  FUNNEL_BINARY="$funnel" scripts/storm-demo.sh || echo "run: the storm demo failed (see above); starting Funnel anyway" >&2
  ((demo_only)) && exit 0
fi

# Where funnel will listen: the user's --listen if given, else funnel's default.
listen="127.0.0.1:6380"
extra_listen=(--listen "$listen")
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --listen) listen="${args[i + 1]:-}" extra_listen=() ;;
    --listen=*) listen="${args[i]#--listen=}" extra_listen=() ;;
  esac
done
listen_host="${listen%:*}"
listen_port="${listen##*:}"
# The address a client on this machine dials: a wildcard listen is reached via loopback.
case "$listen_host" in
  "" | 0.0.0.0 | "*" | 127.0.0.1 | localhost) connect_cmd="redis-cli -p $listen_port" ;;
  "[::]" | "::") connect_cmd="redis-cli -h ::1 -p $listen_port" ;;
  *) connect_cmd="redis-cli -h $listen_host -p $listen_port" ;;
esac
case "$listen_host" in
  "" | 0.0.0.0 | "*") connect_host="127.0.0.1" ;;
  *) connect_host="$listen_host" ;;
esac

# port_in_use, pick_port, wait_ready
# shellcheck source=scripts/lib/local-ports.sh
source scripts/lib/local-ports.sh

# Fail before starting anything, with the fix in the message, rather than letting funnel die
# on bind after redis-server is already up.
if port_in_use "$listen_port"; then
  echo "run: port $listen_port is already in use, so Funnel cannot listen on $listen." >&2
  ss -Hltnp "sport = :$listen_port" >&2 || true
  echo "run: stop what is using it, or choose another port: scripts/run.sh --listen 127.0.0.1:6390" >&2
  exit 1
fi

workdir="$(mktemp -d -t funnel-run.XXXXXX)"
redis_pid=""

cleanup() {
  # Stop only the redis-server this script started, by its PID.
  if [[ -n "$redis_pid" ]] && kill -0 "$redis_pid" 2>/dev/null; then
    kill -TERM "$redis_pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$redis_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
    echo "run: stopped the local redis-server (pid $redis_pid)"
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT
# Turn Ctrl-C and SIGTERM into a normal exit so the EXIT trap runs (until funnel starts; then
# they are passed on to it, below).
trap 'exit 130' INT
trap 'exit 143' TERM

start_redis() {
  local port="$1"
  # setsid: Ctrl-C in the terminal reaches funnel only; redis-server is stopped after it.
  setsid redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$workdir" --daemonize no --logfile "$workdir/redis.log" </dev/null &
  redis_pid=$!
  # Until it answers PING, or dies (for example because it lost the port to a race).
  wait_ready "$redis_pid" "$port" && return 0
  kill -TERM "$redis_pid" 2>/dev/null || true
  wait "$redis_pid" 2>/dev/null || true
  redis_pid=""
  return 1
}

redis_port=""
for _ in 1 2 3 4 5; do
  candidate="$(pick_port)"
  if start_redis "$candidate"; then
    redis_port="$candidate"
    break
  fi
done
if [[ -z "$redis_port" ]]; then
  echo "run: could not start a local redis-server; its log:" >&2
  cat "$workdir/redis.log" >&2 || true
  exit 1
fi

echo "run: local redis-server (pid $redis_pid) on 127.0.0.1:$redis_port, data not persisted"
echo "run: starting funnel on $listen; connect with:"
echo "       $connect_cmd"
echo "       redis://$connect_host:$listen_port"
echo "run: Ctrl-C stops funnel and the local redis-server"

# Not exec: the EXIT trap must still stop redis-server after funnel returns. In the background
# with the signals passed on, because bash runs a trap only once its foreground child has ended:
# a SIGTERM to this script (a service manager, a CI job) would otherwise wait forever.
"$funnel" --backend "127.0.0.1:$redis_port" "${extra_listen[@]}" "$@" &
funnel_pid=$!
trap 'kill -TERM "$funnel_pid" 2>/dev/null || true' TERM
trap 'kill -INT "$funnel_pid" 2>/dev/null || true' INT
status=0
while true; do
  # A signal ends `wait` early (status > 128) while funnel drains: wait again until it has exited.
  wait "$funnel_pid" && status=0 || status=$?
  kill -0 "$funnel_pid" 2>/dev/null || break
done
exit "$status"
