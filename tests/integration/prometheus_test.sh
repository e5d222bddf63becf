#!/usr/bin/env bash
# Integration test: a real Prometheus (Debian's package) scrapes Funnel's admin listener every
# second, and its HTTP API must show the values this test's own traffic produced. Then the Grafana
# dashboard's PromQL must use only metric names that Funnel exports, and every query must run.
#
#   tests/integration/prometheus_test.sh FUNNEL_BINARY DASHBOARD_JSON
#
# Every process runs on free 127.0.0.1 ports and is stopped by its own PID. FUNNEL_TEST_KEEP_TMP=1
# keeps the work directory (configs, logs, Prometheus data).
set -euo pipefail
# shellcheck source=scripts/lib/local-ports.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/local-ports.sh"

funnel_bin="${1:?usage: prometheus_test.sh FUNNEL_BINARY DASHBOARD_JSON}"
dashboard="${2:?usage: prometheus_test.sh FUNNEL_BINARY DASHBOARD_JSON}"

held_clients=7     # connections the test keeps open: funnel_client_connections must say 7
sets=137           # SET commands: funnel_commands_total{command="set",outcome="ok"} must say 137
wait_seconds=60    # bound on every wait

work="$(mktemp -d -t funnel-prometheus.XXXXXX)"
pids=()
failed=0

log() { echo "prometheus_test: $*"; }

stop_all() {
  stop_pids "${pids[@]}"
  pids=()
}

cleanup() {
  stop_all
  if ((failed)) || [[ "${FUNNEL_TEST_KEEP_TMP:-}" == 1 ]]; then
    log "work directory kept: $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

fail() {
  failed=1
  echo "prometheus_test: FAIL: $*" >&2
  local f
  for f in "$work"/*.log; do
    [[ -f "$f" ]] || continue
    echo "---- last lines of $f" >&2
    tail -n 20 "$f" >&2
  done
  exit 1
}

for tool in prometheus promtool redis-server redis-cli curl node ss; do
  command -v "$tool" >/dev/null 2>&1 || fail "'$tool' not found: run scripts/install-deps.sh"
done
[[ -x "$funnel_bin" ]] || fail "funnel binary '$funnel_bin' is not executable"
[[ -f "$dashboard" ]] || fail "dashboard '$dashboard' not found"

# wait_for SECONDS COMMAND...: polls COMMAND every 0.2 s until it succeeds; false on timeout.
wait_for() {
  local seconds="$1" i
  shift
  for ((i = 0; i < seconds * 5; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

# start_service NAME READY_CHECK COMMAND...: starts COMMAND (with @PORT@ replaced by a free port)
# in the background, logging to $work/NAME.log, and waits until READY_CHECK (with @PORT@ replaced)
# succeeds. Retries with another port if the process dies first. Sets started_port.
start_service() {
  local name="$1" check="$2" attempt port pid
  shift 2
  for ((attempt = 0; attempt < 5; attempt++)); do
    port="$(pick_port)" || fail "no free port for $name"
    "${@//@PORT@/$port}" >>"$work/$name.log" 2>&1 &
    pid=$!
    pids+=("$pid")
    local i
    for ((i = 0; i < wait_seconds * 5; i++)); do
      if bash -c "${check//@PORT@/$port}" >/dev/null 2>&1; then
        started_port="$port"
        log "$name (pid $pid) ready on 127.0.0.1:$port"
        return 0
      fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -0 "$pid" 2>/dev/null && fail "$name did not become ready within ${wait_seconds}s"
    log "$name exited before it was ready (port $port taken?); retrying"
  done
  fail "$name did not start"
}

# --- redis-server, Funnel (with its admin listener), Prometheus ----------------------------------
mkdir -p "$work/redis" "$work/tsdb"
start_service redis "redis-cli -p @PORT@ ping | grep -q PONG" \
  redis-server --port @PORT@ --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
  --dir "$work/redis"
redis_port="$started_port"

admin_port="$(pick_port)" || fail "no free port for the admin listener"
start_service funnel "curl -sf http://127.0.0.1:$admin_port/readyz && redis-cli -p @PORT@ ping | grep -q PONG" \
  "$funnel_bin" --backend "127.0.0.1:$redis_port" --listen 127.0.0.1:@PORT@ \
  --admin "127.0.0.1:$admin_port" --workers 2
funnel_port="$started_port"

cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: funnel
    static_configs:
      - targets: ['127.0.0.1:$admin_port']
EOF
promtool check config "$work/prometheus.yml" >"$work/promtool-config.log" 2>&1 ||
  fail "promtool rejects the generated prometheus.yml"
start_service prometheus "curl -sf http://127.0.0.1:@PORT@/-/ready" \
  prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address=127.0.0.1:@PORT@
prom_port="$started_port"

# --- known traffic -------------------------------------------------------------------------------
for ((i = 1; i <= sets; i++)); do echo "SET prom:key:$i value$i"; done |
  redis-cli -p "$funnel_port" >"$work/sets.out"
[[ "$(grep -c '^OK$' "$work/sets.out")" == "$sets" ]] || fail "not every SET answered OK"
redis-cli -p "$funnel_port" GET prom:key:1 | grep -q '^value1$' || fail "GET through Funnel failed"
# One error and one proxy error, so the dashboard's error panels have series to show.
redis-cli -p "$funnel_port" NOSUCHCMD >/dev/null
redis-cli -p "$funnel_port" WAIT 0 0 | grep -q 'funnel:' || fail "WAIT was not refused"

held=()
for ((i = 0; i < held_clients; i++)); do
  exec {fd}<>"/dev/tcp/127.0.0.1/$funnel_port" || fail "cannot connect to Funnel"
  held+=("$fd")
done

curl -sf "http://127.0.0.1:$admin_port/metrics" >"$work/metrics.txt" || fail "GET /metrics failed"
promtool check metrics <"$work/metrics.txt" >"$work/promtool-metrics.log" 2>&1 ||
  fail "promtool check metrics: $(cat "$work/promtool-metrics.log")"
[[ ! -s "$work/promtool-metrics.log" ]] ||
  fail "promtool check metrics warns: $(cat "$work/promtool-metrics.log")"

# --- Prometheus must see exactly that ------------------------------------------------------------
# instant_value QUERY: the value of the single series QUERY returns, or "none".
instant_value() {
  curl -sfG "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1" |
    node -e '
      let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
        const r = JSON.parse(s);
        const res = r.status === "success" ? r.data.result : [];
        console.log(res.length === 1 ? res[0].value[1] : "none");
      });'
}
clients_query='funnel_client_connections{job="funnel"}'
sets_query='funnel_commands_total{job="funnel",command="set",outcome="ok"}'
clients="none"
set_count="none"
for ((i = 0; i < wait_seconds * 2; i++)); do
  clients="$(instant_value "$clients_query" || echo none)"
  set_count="$(instant_value "$sets_query" || echo none)"
  [[ "$clients" == "$held_clients" && "$set_count" == "$sets" ]] && break
  sleep 0.5
done
if [[ "$clients" != "$held_clients" || "$set_count" != "$sets" ]]; then
  targets="$(curl -s "http://127.0.0.1:$prom_port/api/v1/targets" || true)"
  fail "after ${wait_seconds}s Prometheus shows $clients_query = $clients (want $held_clients)" \
    "and $sets_query = $set_count (want $sets); targets: $targets"
fi
log "Prometheus sees funnel_client_connections = $clients and set/ok = $set_count"

# --- the dashboard -------------------------------------------------------------------------------
# Every PromQL expression in the dashboard (panel targets, nested rows, template variables), one
# per line; also checks the JSON's shape: schema version and a Prometheus data source variable.
node -e '
  const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const fail = m => { console.error(m); process.exit(1); };
  if (!(d.schemaVersion >= 36)) fail("schemaVersion " + d.schemaVersion + " is too old");
  const vars = (d.templating && d.templating.list) || [];
  if (!vars.some(v => v.type === "datasource" && v.query === "prometheus"))
    fail("no Prometheus data source variable");
  const out = [];
  const walk = ps => (ps || []).forEach(p => {
    (p.targets || []).forEach(t => { if (t.expr) out.push(t.expr); });
    walk(p.panels);
  });
  walk(d.panels);
  vars.forEach(v => { if (v.definition) out.push(v.definition); });
  if (out.length < 10) fail("only " + out.length + " expressions found");
  out.forEach(e => console.log(e.replace(/\s+/g, " ")));
' "$dashboard" >"$work/dashboard-exprs.txt" || fail "dashboard JSON: $(cat "$work/dashboard-exprs.txt")"

curl -sf "http://127.0.0.1:$admin_port/metrics" >"$work/metrics.txt" || fail "GET /metrics failed"
missing=()
while read -r name; do
  grep -qE "^${name}[{ ]" "$work/metrics.txt" || missing+=("$name")
done < <(grep -oE 'funnel_[a-zA-Z0-9_:]+' "$work/dashboard-exprs.txt" | sort -u)
((${#missing[@]} == 0)) ||
  fail "the dashboard uses metric names Funnel does not export: ${missing[*]}"
log "every metric name in the dashboard exists in /metrics"

# Each expression must run in Prometheus and return series (rates need two scrapes in the window).
query_ok() {
  curl -sfG "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1" |
    node -e '
      let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
        const r = JSON.parse(s);
        process.exit(r.status === "success" && r.data.result.length > 0 ? 0 : 1);
      });'
}
while IFS= read -r expr; do
  [[ "$expr" == label_values* ]] && continue  # a Grafana function, not PromQL
  promql="${expr//\$__rate_interval/10s}"
  promql="${promql//\$instance/.*}"
  wait_for 30 query_ok "$promql" ||
    fail "dashboard query returns nothing or an error in Prometheus: $promql"
done <"$work/dashboard-exprs.txt"
log "every dashboard query runs in Prometheus and returns series"

for fd in "${held[@]}"; do exec {fd}>&-; done
log "PASS"
