#!/usr/bin/env bash
# The storm demo (issue 3, docs/storm.md): reproduces the serverless connection storm of
# ../shared/seed/case-study.md on this machine and shows it fixed by Funnel. Starts a throwaway
# redis-server with a lowered maxclients and Funnel in front of it, both on free loopback ports,
# runs `funnel-storm compare --scenario launch-event` (the same ~300-concurrent spike once
# directly, once through Funnel), prints the side-by-side summary and where report.html is, and
# stops what it started, by PID. scripts/run.sh calls it.
#
#   scripts/storm-demo.sh                      # 30 s spike per path, maxclients 200
#   scripts/storm-demo.sh --quick              # 10 s spike per path
#   scripts/storm-demo.sh --out /tmp/storm     # where result.json and report.html go
#   scripts/storm-demo.sh --maxclients 250 -- --strategy pooled   # after --: funnel-storm flags
#
# FUNNEL_BINARY / FUNNEL_STORM_BINARY use those binaries; otherwise the release preset is built
# (cmake --preset release) if its binaries are missing.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

usage() { sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

out_dir="$repo_root/build/storm-demo"
# Below the spike's peak of ~300 concurrent invocations: each one holds a connection while it
# runs, so the direct path crosses the limit during the spike, as 18k connections crossed the
# real one in the case. Through Funnel the backend sees only Funnel's few links.
maxclients=200
funnel_workers=2
quick=0
storm_args=()
while (($# > 0)); do
  case "$1" in
    --out) out_dir="${2:?--out needs a directory}"; shift ;;
    --maxclients) maxclients="${2:?--maxclients needs a number}"; shift ;;
    --workers) funnel_workers="${2:?--workers needs a number}"; shift ;;
    --quick) quick=1 ;;
    -h | --help) usage; exit 0 ;;
    --) shift; storm_args=("$@"); break ;;
    *) echo "storm-demo: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
if ((quick)); then
  storm_args=(--duration 10 "${storm_args[@]}")
fi

for tool in redis-server redis-cli ss; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "storm-demo: $tool not found; scripts/install-deps.sh installs it" >&2
    exit 1
  fi
done

funnel="${FUNNEL_BINARY:-build/release/src/server/funnel}"
storm="${FUNNEL_STORM_BINARY:-build/release/tools/storm/funnel-storm}"
if [[ ! -x "$funnel" || ! -x "$storm" ]]; then
  if [[ -n "${FUNNEL_BINARY:-}${FUNNEL_STORM_BINARY:-}" ]]; then
    echo "storm-demo: $funnel or $storm is not an executable" >&2
    exit 1
  fi
  echo "storm-demo: building funnel and funnel-storm (release preset)"
  [[ -f build/release/CMakeCache.txt ]] || cmake --preset release >/dev/null
  cmake --build --preset release --target funnel funnel-storm
fi

workdir="$(mktemp -d -t funnel-storm-demo.XXXXXX)"
redis_pid=""
funnel_pid=""

stop_pid() {  # stop_pid PID NAME: SIGTERM, up to 5 s, then SIGKILL; only the PID we started
  local pid="$1" name="$2"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  echo "storm-demo: stopped $name (pid $pid)"
}

cleanup() {
  stop_pid "$funnel_pid" funnel
  stop_pid "$redis_pid" redis-server
  rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# port_in_use, pick_port, wait_ready
# shellcheck source=scripts/lib/local-ports.sh
source scripts/lib/local-ports.sh

start_redis() {
  local port="$1"
  setsid redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
    --maxclients "$maxclients" --dir "$workdir" --daemonize no \
    --logfile "$workdir/redis.log" </dev/null &
  redis_pid=$!
  wait_ready "$redis_pid" "$port" && return 0
  stop_pid "$redis_pid" redis-server >/dev/null
  redis_pid=""
  return 1
}

start_funnel() {
  local port="$1"
  setsid "$funnel" --backend "127.0.0.1:$redis_port" --listen "127.0.0.1:$port" \
    --workers "$funnel_workers" </dev/null >"$workdir/funnel.log" 2>&1 &
  funnel_pid=$!
  wait_ready "$funnel_pid" "$port" && return 0
  stop_pid "$funnel_pid" funnel >/dev/null
  funnel_pid=""
  return 1
}

redis_port=""
for _ in 1 2 3 4 5; do
  candidate="$(pick_port)"
  if start_redis "$candidate"; then redis_port="$candidate"; break; fi
done
if [[ -z "$redis_port" ]]; then
  echo "storm-demo: could not start redis-server; its log:" >&2
  cat "$workdir/redis.log" >&2 || true
  exit 1
fi
funnel_port=""
for _ in 1 2 3 4 5; do
  candidate="$(pick_port)"
  if start_funnel "$candidate"; then funnel_port="$candidate"; break; fi
done
if [[ -z "$funnel_port" ]]; then
  echo "storm-demo: could not start funnel; its log:" >&2
  cat "$workdir/funnel.log" >&2 || true
  exit 1
fi

echo "storm-demo: redis-server (pid $redis_pid) on 127.0.0.1:$redis_port with maxclients $maxclients"
echo "storm-demo: funnel (pid $funnel_pid) on 127.0.0.1:$funnel_port in front of it"
echo "storm-demo: the launch-event storm runs twice, directly and through Funnel (about a minute)"
"$storm" compare --backend "127.0.0.1:$redis_port" --via "127.0.0.1:$funnel_port" \
  --scenario launch-event --out "$out_dir" "${storm_args[@]}"
echo "storm-demo: open $out_dir/report.html in a browser (self-contained, works offline)"
