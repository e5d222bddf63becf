// Turns the raw records of one bench/run-bench.sh run into the Markdown report and the JSON file.
//   node bench/lib/report.mjs RAW_DIR OUT.md OUT.json
// RAW_DIR holds meta.json and records.jsonl (one JSON object per line, "kind" = run | idle |
// giveback | final | incident). The targets checked are issue 2's "Benchmark" paragraph.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [rawDir, mdPath, jsonPath] = process.argv.slice(2);
if (!rawDir || !mdPath || !jsonPath) {
  console.error('usage: node bench/lib/report.mjs RAW_DIR OUT.md OUT.json');
  process.exit(2);
}
const meta = JSON.parse(readFileSync(join(rawDir, 'meta.json'), 'utf8'));
const records = readFileSync(join(rawDir, 'records.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l));
const runs = records.filter((r) => r.kind === 'run');
const idle = records.filter((r) => r.kind === 'idle');
const giveback = records.filter((r) => r.kind === 'giveback');
const finals = records.filter((r) => r.kind === 'final');
const incidents = records.filter((r) => r.kind === 'incident');
const targets = ['redis', 'funnel', 'nutcracker'];
const tests = ['set', 'get'];

const fmt = (v, digits = 0) =>
  v === null || v === undefined || Number.isNaN(v) ? 'n/a' : Number(v).toLocaleString('en-US', {
    minimumFractionDigits: digits, maximumFractionDigits: digits });
const median = (xs) => {
  const v = xs.filter((x) => x !== null && x !== undefined).sort((a, b) => a - b);
  if (v.length === 0) return null;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
const minOf = (xs) => {
  const v = xs.filter((x) => x !== null && x !== undefined);
  return v.length ? Math.min(...v) : null;
};
const maxOf = (xs) => {
  const v = xs.filter((x) => x !== null && x !== undefined);
  return v.length ? Math.max(...v) : null;
};
// One configuration's runs over all rounds: medians of req/s, p50 and p99; CPU per request as total
// ticks over total requests; the widest range of backend connections; every non-ok status.
function find(phase, target, test, c, p, k) {
  const rs = runs.filter((r) => r.phase === phase && r.target === target && r.test === test &&
    r.clients === c && r.pipeline === p && r.keepalive === k);
  if (rs.length === 0) return null;
  const sum = (f) => rs.reduce((a, r) => a + r[f], 0);
  const reqs = sum('requests');
  const bad = rs.filter((r) => r.status !== 'ok').map((r) => `round ${r.round ?? 1}: ${r.status}`);
  return {
    rounds: rs.length, requests: reqs, requests_per_round: rs[0].requests,
    rps: median(rs.map((r) => r.rps)), rps_min: minOf(rs.map((r) => r.rps)), rps_max: maxOf(rs.map((r) => r.rps)),
    p50_ms: median(rs.map((r) => r.p50_ms)), p50_all: rs.map((r) => r.p50_ms), p50_min: minOf(rs.map((r) => r.p50_ms)),
    p99_ms: median(rs.map((r) => r.p99_ms)), avg_ms: median(rs.map((r) => r.avg_ms)),
    proxy_cpu_ticks: sum('proxy_cpu_ticks'), redis_cpu_ticks: sum('redis_cpu_ticks'),
    proxy_us_per_req: (sum('proxy_cpu_ticks') / meta.clk_tck) * 1e6 / reqs,
    redis_us_per_req: (sum('redis_cpu_ticks') / meta.clk_tck) * 1e6 / reqs,
    backend_conns_min: minOf(rs.map((r) => r.backend_conns_min)),
    backend_conns_max: maxOf(rs.map((r) => r.backend_conns_max)),
    status: bad.length ? bad.join('; ') : 'ok',
  };
}
const latency = (target, test) => find('latency', target, test, 1, 1, 1);
// CPU per request over both tests of a configuration: total ticks over total requests.
function cpuPerRequest(phase, target, c, p, k, field) {
  const rs = tests.map((t) => find(phase, target, t, c, p, k)).filter(Boolean);
  if (rs.length === 0 || rs.some((r) => r.status !== 'ok')) return null;
  const ticks = rs.reduce((a, r) => a + r[field], 0);
  const reqs = rs.reduce((a, r) => a + r.requests, 0);
  return (ticks / meta.clk_tck) * 1e6 / reqs;
}
const conns = (r) => r.backend_conns_min === null ? 'n/a'
  : r.backend_conns_min === r.backend_conns_max ? `${r.backend_conns_max}`
  : `${r.backend_conns_min}–${r.backend_conns_max}`;

// ------------------------------------------------------------------ targets
const verdicts = [];
const verdict = (name, target, measured, met, note = '') =>
  verdicts.push({ name, target, measured, met, note });
const mark = (met) => (met === null ? 'not measured' : met ? '**met**' : '**not met**');

{
  const f = cpuPerRequest('matrix', 'funnel', 500, 1, 1, 'proxy_cpu_ticks');
  const n = cpuPerRequest('matrix', 'nutcracker', 500, 1, 1, 'proxy_cpu_ticks');
  verdict('Proxy CPU per request at -c 500 -P 1', '≤ 0.8× nutcracker',
    f === null || n === null ? 'n/a' : `Funnel ${fmt(f, 2)} µs, nutcracker ${fmt(n, 2)} µs (${fmt(f / n, 2)}×)`,
    f === null || n === null ? null : f <= 0.8 * n);
}
{
  const parts = [];
  let met = true;
  for (const t of tests) {
    const f = find('matrix', 'funnel', t, 500, 16, 1);
    const d = find('matrix', 'redis', t, 500, 16, 1);
    if (!f || !d || f.rps === null || d.rps === null) { met = null; break; }
    parts.push(`${t.toUpperCase()} ${fmt(f.rps)} vs ${fmt(d.rps)} req/s (${fmt(f.rps / d.rps, 2)}×)`);
    if (f.rps < 0.85 * d.rps || f.status !== 'ok') met = false;
  }
  verdict('Throughput at -c 500 -P 16', '≥ 0.85× Redis direct', parts.join('; ') || 'n/a', met);
}
{
  const f = cpuPerRequest('matrix', 'funnel', 500, 16, 1, 'proxy_cpu_ticks');
  verdict('Proxy CPU per request at -c 500 -P 16', '≤ 1.2 µs',
    f === null ? 'n/a' : `${fmt(f, 2)} µs`, f === null ? null : f <= 1.2);
}
{
  // Judged on the first measurement (clients connecting BENCH_IDLE_CONCURRENCY at a time); the
  // slow-arrival one is shown beside it.
  const fs = idle.filter((r) => r.target === 'funnel');
  const f = fs[0];
  const ok = f && f.ok > 0 && f.bytes_per_client !== null && f.failed === 0;
  const slow = fs.slice(1).map((r) => `; ${fmt(r.bytes_per_client)} bytes when they connect ${r.concurrency} at a time`).join('');
  verdict('Resident memory per idle client', '≤ 768 bytes',
    f ? `${fmt(f.bytes_per_client)} bytes (${fmt(f.ok)} clients with node-redis 6's handshake, ` +
      `${f.concurrency ?? 256} connecting at a time)${slow}` : 'n/a',
    !f ? null : ok && f.bytes_per_client <= 768);
}
{
  const parts = [];
  let met = true;
  for (const t of tests) {
    const d = latency('redis', t);
    const f = latency('funnel', t);
    const n = latency('nutcracker', t);
    if (!d || !f || !n || [d, f, n].some((r) => r.p50_ms === null)) { met = null; break; }
    const af = (f.p50_ms - d.p50_ms) * 1000;
    const an = (n.p50_ms - d.p50_ms) * 1000;
    const bf = (f.p50_min - d.p50_min) * 1000;
    const bn = (n.p50_min - d.p50_min) * 1000;
    const sg = (v) => `${v < 0 ? '−' : '+'}${fmt(Math.abs(v))}`;
    parts.push(`${t.toUpperCase()} Funnel ${sg(af)} µs, nutcracker ${sg(an)} µs ` +
      `(best rounds: ${sg(bf)} / ${sg(bn)} µs)`);
    if (af > an) met = false;
  }
  verdict('Added p50 latency at -c 1 (median of rounds)', '≤ nutcracker\'s', parts.join('; ') || 'n/a', met);
}
{
  // Funnel's backend links (counted by name on the backend) in every keep-alive run and with the
  // idle clients connected.
  const seen = [];
  for (const r of runs.filter((x) => x.target === 'funnel' && x.keepalive === 1 && x.phase === 'matrix')) {
    seen.push({ clients: r.clients, min: r.backend_conns_min, max: r.backend_conns_max });
  }
  for (const fi of idle.filter((r) => r.target === 'funnel')) {
    seen.push({ clients: fi.ok, min: fi.backend_conns_min, max: fi.backend_conns_max });
  }
  const byClients = new Map();
  for (const s of seen) {
    if (s.min === null) continue;
    const cur = byClients.get(s.clients) ?? { min: Infinity, max: -Infinity };
    byClients.set(s.clients, { min: Math.min(cur.min, s.min), max: Math.max(cur.max, s.max) });
  }
  const all = [...byClients.values()];
  const lo = Math.min(...all.map((v) => v.min));
  const hi = Math.max(...all.map((v) => v.max));
  const text = [...byClients.entries()].sort((a, b) => a[0] - b[0])
    .map(([c, v]) => `${fmt(c)} clients: ${v.min === v.max ? v.max : `${v.min}–${v.max}`}`).join('; ');
  verdict('Backend connections from 50 to 10,000 clients', 'constant',
    all.length ? text : 'n/a', all.length < 2 ? null : lo === hi,
    'Funnel links counted by CLIENT SETNAME on the backend, sampled every 0.2 s');
}
{
  const g = giveback.find((r) => r.target === 'funnel');
  verdict(`RSS after the -c ${g ? g.clients : 2000} -P 16 run`, '≤ 2× idle baseline',
    g ? `${fmt(g.rss_idle_kb / 1024, 1)} MB idle → ${fmt(g.rss_peak_kb / 1024, 1)} MB peak → ` +
      `${fmt(g.rss_after_kb / 1024, 1)} MB after ${g.wait_s} s (${fmt(g.ratio, 2)}×)` +
      (g.rss_late_kb !== undefined ? `; ${fmt(g.rss_late_kb / 1024, 1)} MB after ${g.late_wait_s} s` : '') : 'n/a',
    g ? g.ratio <= 2 : null);
}

// ------------------------------------------------------------------ Markdown
const L = [];
L.push(`# Funnel benchmark, ${meta.date}`);
L.push('');
L.push('Command:');
L.push('');
L.push('```');
L.push(meta.command);
L.push('```');
L.push('');
L.push(`Machine: ${meta.host_cores} cores (${meta.cpu}), ${fmt(meta.mem_total_kb / 1048576, 1)} GB RAM, ` +
  `Linux ${meta.kernel}. Load average (1/5/15 min) at start ${meta.load_start}, at end ${meta.load_end ?? 'n/a'}.`);
L.push(`Redis ${meta.redis_version}, ${meta.redis_benchmark}, nutcracker ${meta.nutcracker_version}, ` +
  `Funnel ${meta.funnel_bin} ("${meta.funnel_version ?? '?'}", sha256 ${meta.funnel_sha256 ?? '?'}; the repository ` +
  `was at git ${meta.git_rev}${meta.git_dirty_src_files ? ` with ${meta.git_dirty_src_files} uncommitted files under src/` : ''}), ` +
  `${meta.funnel_workers} workers (--workers ${meta.funnel_workers_flag ?? meta.funnel_workers}). ` +
  (meta.pinned
    ? `Redis and the proxies run on cpu ${meta.server_cpus}, the load (redis-benchmark, idle clients) on cpu ${meta.load_cpus} (BENCH_PIN=1).`
    : 'Everything (Redis, proxies, redis-benchmark) shares the same cores (BENCH_PIN=0).') +
  (meta.quick ? ' **BENCH_QUICK=1 smoke run: counts too small for conclusions.**' : ''));
L.push('');
L.push('## Targets (issue 2)');
L.push('');
L.push('| target | goal | measured | verdict |');
L.push('|---|---|---|---|');
for (const v of verdicts) L.push(`| ${v.name} | ${v.target} | ${v.measured} | ${mark(v.met)} |`);
L.push('');
if (incidents.length) {
  L.push('## Incidents');
  L.push('');
  for (const i of incidents) L.push(`- ${i.what}`);
  L.push('');
}
L.push('## redis-benchmark runs');
L.push('');
L.push(`One redis-benchmark process per row and round (\`-t set\` or \`-t get\`, \`--csv\`), ${meta.matrix_rounds ?? 1} ` +
  'round(s) with the targets alternating; req/s, p50 and p99 are medians over the rounds, "spread" is ' +
  '(max − min) / median of req/s over the rounds. n is the requests per round (nutcracker gets ' +
  `1/${meta.nutcracker_divisor ?? 1} of them at -P 16, where it is several times slower). CPU columns: utime+stime ` +
  'of the whole process from /proc/PID/stat over the run, divided by the requests. Backend conns: ' +
  'connections the target holds to Redis, sampled every 0.2 s over one connection opened before the load ' +
  '(Redis direct: connected_clients; Funnel: its links by name in CLIENT LIST; nutcracker: the rest).');
L.push('');
L.push('| -c | -P | -k | test | target | n | req/s | spread | × direct | p50 ms | p99 ms | proxy µs/req | redis µs/req | backend conns | status |');
L.push('|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
const configs = [];
for (const r of runs.filter((x) => x.phase === 'matrix')) {
  const key = `${r.clients}/${r.pipeline}/${r.keepalive}`;
  if (!configs.includes(key)) configs.push(key);
}
for (const key of configs) {
  const [c, p, k] = key.split('/').map(Number);
  for (const t of tests) {
    const direct = find('matrix', 'redis', t, c, p, k);
    for (const target of targets) {
      const r = find('matrix', target, t, c, p, k);
      if (!r) continue;
      const rel = direct && direct.rps && r.rps !== null ? fmt(r.rps / direct.rps, 2) : 'n/a';
      const spread = r.rounds > 1 && r.rps ? `${fmt((r.rps_max - r.rps_min) / r.rps * 100)}%` : '–';
      L.push(`| ${c} | ${p} | ${k} | ${t.toUpperCase()} | ${target} | ${fmt(r.requests_per_round)} | ${fmt(r.rps)} | ${spread} | ${rel} | ` +
        `${fmt(r.p50_ms, 3)} | ${fmt(r.p99_ms, 3)} | ${target === 'redis' ? '–' : fmt(r.proxy_us_per_req, 2)} | ` +
        `${fmt(r.redis_us_per_req, 2)} | ${conns(r)} | ${r.status} |`);
    }
  }
}
L.push('');
L.push('## Added latency at -c 1 -P 1');
L.push('');
L.push(`${meta.latency_rounds ?? 1} round(s) of \`-c 1 -n ${meta.requests_latency} -P 1\`, the targets ` +
  'alternating within each round; req/s, p50 and p99 are medians over the rounds (each round\'s p50 in ' +
  'brackets); "best" compares the lowest p50 of each target over the rounds; ' +
  'proxy CPU is over all rounds. redis-benchmark\'s histogram has 8 µs buckets at these latencies, so the ' +
  'p50 columns move in steps of 8 µs; the mean (avg) is exact but feels every outlier.');
L.push('');
L.push('| test | target | req/s | p50 ms | added p50 µs | best added p50 µs | avg ms | added avg µs | p99 ms | proxy µs/req | status |');
L.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
for (const t of tests) {
  const d = latency('redis', t);
  for (const target of targets) {
    const r = latency(target, t);
    if (!r) continue;
    const added = d && d.p50_ms !== null && r.p50_ms !== null ? fmt((r.p50_ms - d.p50_ms) * 1000) : 'n/a';
    const best = d && d.p50_min !== null && r.p50_min !== null ? fmt((r.p50_min - d.p50_min) * 1000) : 'n/a';
    const each = r.rounds > 1 ? ` (${r.p50_all.map((x) => fmt(x, 3)).join(', ')})` : '';
    L.push(`| ${t.toUpperCase()} | ${target} | ${fmt(r.rps)} | ${fmt(r.p50_ms, 3)}${each} | ` +
      `${target === 'redis' ? '–' : added} | ${target === 'redis' ? '–' : best} | ${fmt(r.avg_ms, 3)} | ` +
      `${target === 'redis' || !d || d.avg_ms === null || r.avg_ms === null ? '–' : fmt((r.avg_ms - d.avg_ms) * 1000)} | ${fmt(r.p99_ms, 3)} | ` +
      `${target === 'redis' ? '–' : fmt(r.proxy_us_per_req, 2)} | ${r.status} |`);
  }
}
L.push('');
L.push('## Resident memory per idle client');
L.push('');
L.push('Fresh processes; N clients connect ("at a time" handshakes in flight at once), send node-redis 6.3.1\'s pipelined handshake ' +
  '(HELLO 3, CLIENT SETINFO LIB-VER, CLIENT SETINFO LIB-NAME, CLIENT MAINT_NOTIFICATIONS) and read the ' +
  'replies, then stay idle. bytes/client = (VmRSS after − VmRSS before) / clients connected.');
L.push('');
L.push('| target | handshake | at a time | clients idle | failed | RSS before MB | RSS after MB | bytes/client | backend conns |');
L.push('|---|---|---:|---:|---:|---:|---:|---:|---:|');
for (const r of idle) {
  let hs = r.mode === 'node-redis6' ? 'node-redis 6' : r.mode.toUpperCase();
  if (r.hello_probe) {
    const m = /ok=(\d+).*closed_in_handshake=(\d+)/.exec(r.hello_probe);
    hs = m && Number(m[2]) > 0
      ? `node-redis 6: connection closed on HELLO (${m[2]} of ${Number(m[1]) + Number(m[2])}); measured with PING`
      : `node-redis 6 probe: ${r.hello_probe}; measured with ${r.mode.toUpperCase()}`;
  }
  L.push(`| ${r.target} | ${hs} | ${r.concurrency ?? 256} | ${fmt(r.ok)} | ${fmt(r.failed)} | ${fmt(r.rss_before_kb / 1024, 1)} | ` +
    `${fmt(r.rss_after_kb / 1024, 1)} | ${fmt(r.bytes_per_client)} | ${conns(r)} |`);
}
L.push('');
L.push('## Memory give-back');
L.push('');
L.push('Fresh proxies; RSS at idle, the -P 16 SET and GET runs below (rows "giveback"), the clients leave, ' +
  'RSS again after the wait. Peak is VmHWM.');
L.push('');
L.push('| target | clients | idle RSS MB | peak RSS MB | RSS after wait MB | after / idle | RSS 8 s later MB |');
L.push('|---|---:|---:|---:|---:|---:|---:|');
for (const g of giveback) {
  L.push(`| ${g.target} | ${fmt(g.clients)} | ${fmt(g.rss_idle_kb / 1024, 1)} | ${fmt(g.rss_peak_kb / 1024, 1)} | ` +
    `${fmt(g.rss_after_kb / 1024, 1)} (${g.wait_s} s) | ${fmt(g.ratio, 2)} | ` +
    `${g.rss_late_kb !== undefined ? fmt(g.rss_late_kb / 1024, 1) : 'n/a'} |`);
}
L.push('');
L.push('| -c | -P | test | target | req/s | p50 ms | p99 ms | proxy µs/req | status |');
L.push('|---:|---:|---|---|---:|---:|---:|---:|---|');
for (const r of runs.filter((x) => x.phase === 'giveback')) {
  L.push(`| ${r.clients} | ${r.pipeline} | ${r.test.toUpperCase()} | ${r.target} | ${fmt(r.rps)} | ` +
    `${fmt(r.p50_ms, 3)} | ${fmt(r.p99_ms, 3)} | ${fmt(r.proxy_us_per_req, 2)} | ${r.status} |`);
}
L.push('');
if (finals.length) {
  L.push('At the end of the run: ' + finals.map((f) =>
    `${f.target} ${f.alive ? 'alive' : '**not running**'}, RSS ${fmt(f.rss_kb / 1024, 1)} MB (peak ${fmt(f.hwm_kb / 1024, 1)} MB)`).join('; ') + '.');
  L.push('');
}

writeFileSync(mdPath, L.join('\n'));
writeFileSync(jsonPath, JSON.stringify({ meta, targets: verdicts, records }, null, 2) + '\n');
