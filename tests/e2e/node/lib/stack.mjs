// One redis-server and one Funnel in front of it, per test file: started in before(), stopped
// by PID in after() (also when a test failed). A direct client to the backend seeds data and
// reads CLIENT LIST.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { removeDir, startFunnel, startRedis, tempDir, HOST } from './procs.mjs';
import { variants } from './clients.mjs';

/**
 * useStack(options) registers the hooks and returns a live object whose fields are set once
 * before() ran: redis, funnel, url(password?, user?), direct (a node-redis 6 RESP2 client on the
 * backend), shutdown() (stops Funnel with SIGTERM, returns its exit status).
 * options: funnel options for startFunnel (workers, connectionsPerNode, requirepass, ...).
 */
export function useStack(options = {}) {
  const stack = {};
  const dir = tempDir();
  before(async () => {
    stack.redis = await startRedis({ dir });
    stack.funnel = await startFunnel(stack.redis.port, { dir, ...options });
    stack.direct = await variants['node-redis 6 (RESP2)'].open(`redis://${HOST}:${stack.redis.port}`, { reconnect: false });
    stack.url = (password, user) => {
      const auth = password === undefined ? '' : `${user ?? ''}:${encodeURIComponent(password)}@`;
      return `redis://${auth}${HOST}:${stack.funnel.port}`;
    };
    stack.shutdown = async () => {
      const status = await stack.funnel.stop();
      stack.funnelExit = status;
      return status;
    };
  });
  after(async () => {
    if (stack.direct) {
      try { await stack.direct.quit(); } catch { /* backend may be gone */ }
    }
    const funnelStatus = stack.funnel ? await stack.funnel.stop() : undefined;
    if (stack.redis) await stack.redis.stop();
    const crashed = funnelStatus && (funnelStatus.signal === 'SIGSEGV' || funnelStatus.signal === 'SIGABRT' ||
      (funnelStatus.code !== 0 && funnelStatus.code !== null));
    if (crashed || process.env.FUNNEL_E2E_KEEP_LOGS) {
      // Keep the logs of a failed run for the reader.
      console.error(`funnel exit ${JSON.stringify(funnelStatus)}; logs kept in ${dir}`);
      if (stack.funnel) console.error(stack.funnel.logTail(40));
    } else {
      removeDir(dir);
    }
  });
  return stack;
}

/** Asserts that Funnel is still running (no crash), then that SIGTERM ends it with status 0. */
export async function assertCleanShutdown(stack) {
  assert.ok(stack.funnel.child.running, `funnel died during the tests: ${JSON.stringify(stack.funnel.child.exitStatus)}\n${stack.funnel.logTail(30)}`);
  const status = await stack.shutdown();
  assert.deepEqual(status, { code: 0, signal: null }, `funnel did not exit 0 on SIGTERM; log:\n${stack.funnel.logTail(30)}`);
}

/**
 * Parses CLIENT LIST text into [{id, name, addr, resp, cmd}].
 */
export function parseClientList(text) {
  return text.trim().split('\n').filter(Boolean).map((line) => {
    const fields = {};
    for (const part of line.trim().split(' ')) {
      const eq = part.indexOf('=');
      if (eq > 0) fields[part.slice(0, eq)] = part.slice(eq + 1);
    }
    return fields;
  });
}

/** Summarises the results of invokeConcurrently against the expected values. */
export function checkResults(results, expectedOf) {
  const failures = [];
  let ok = 0;
  results.forEach((r, i) => {
    if (r.error) failures.push(`#${i}: ${r.error.message ?? r.error}`);
    else if (r.errors.length) failures.push(`#${i}: client emitted error(s): ${r.errors.map((e) => e.message).join('; ')}`);
    else if (r.value !== expectedOf(i)) failures.push(`#${i}: got ${JSON.stringify(r.value)}, want ${JSON.stringify(expectedOf(i))}`);
    else ok += 1;
  });
  return { ok, failures };
}
