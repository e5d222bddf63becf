// The backend connection budget under the incident's load: while 300 node-redis 6 (RESP3) and
// 300 node-redis 4 (RESP2) handler invocations run through Funnel (--workers 2), CLIENT LIST on
// the backend, read over a direct connection opened before the load, shows only Funnel's named
// links and that direct connection: connections_per_node shared links per protocol in use plus
// the control link and the topology monitor's health link. Also with connections_per_node (1) lower than the worker count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { invokeConcurrently, variants } from './lib/clients.mjs';
import { assertCleanShutdown, checkResults, parseClientList, useStack } from './lib/stack.mjs';

const INVOCATIONS = 300;
const WORKERS = 2;
const ROUNDS = 2;
const KEY = 'incident:budget';
const field = (i) => `f${i}`;
const valueOf = (i) => `value-${i}-${'v'.repeat(i % 13)}`;

function expectedNames(connectionsPerNode) {
  const names = ['funnel:control:0', 'funnel:health:0'];
  for (const proto of ['resp2', 'resp3']) {
    for (let i = 0; i < connectionsPerNode; ++i) names.push(`funnel:shared:${proto}:db0:${i}`);
  }
  return names.sort();
}

async function totalConnectionsReceived(direct) {
  const info = await direct.sendCommand(['INFO', 'stats']);
  return Number(/total_connections_received:(\d+)/.exec(info)[1]);
}

function budgetScenario(connectionsPerNode) {
  const budget = connectionsPerNode ?? WORKERS;
  const label = `--workers ${WORKERS}${connectionsPerNode ? ` --connections-per-node ${connectionsPerNode}` : ''}`;
  const stack = useStack({ workers: WORKERS, connectionsPerNode });

  test(`${label}: CLIENT LIST on the backend shows exactly the budget during ${ROUNDS} rounds of ${2 * INVOCATIONS} concurrent invocations`, { timeout: 90000 }, async () => {
    const { direct } = stack;
    const args = ['HSET', KEY];
    for (let i = 0; i < INVOCATIONS; ++i) args.push(field(i), valueOf(i));
    await direct.sendCommand(args);
    const directId = String(await direct.sendCommand(['CLIENT', 'ID']));
    const expected = expectedNames(budget);
    const acceptedBefore = await totalConnectionsReceived(direct);
    const namesBefore = new Set(parseClientList(await direct.sendCommand(['CLIENT', 'LIST'])).map((c) => c.name));

    // Sample CLIENT LIST over the direct connection for as long as the load runs.
    let loadDone = false;
    const samples = [];
    const sampler = (async () => {
      while (!loadDone) {
        samples.push(parseClientList(await direct.sendCommand(['CLIENT', 'LIST'])));
        await delay(10);
      }
    })();
    // Two rounds, so that the sampler sees the budget for a while under load.
    const loads = [];
    try {
      for (let round = 0; round < ROUNDS; ++round) {
        loads.push(...await Promise.all([
          invokeConcurrently(variants['node-redis 6 (RESP3, its default)'], stack.url(), KEY, INVOCATIONS, field),
          invokeConcurrently(variants['node-redis 4 (RESP2)'], stack.url(), KEY, INVOCATIONS, field),
        ]));
      }
    } finally {
      loadDone = true;
    }
    await sampler;
    const after = parseClientList(await direct.sendCommand(['CLIENT', 'LIST']));
    const acceptedDuring = (await totalConnectionsReceived(direct)) - acceptedBefore;

    loads.forEach(({ results, ms }, i) => {
      const library = i % 2 === 0 ? 'node-redis 6 (RESP3)' : 'node-redis 4 (RESP2)';
      const { ok, failures } = checkResults(results, valueOf);
      assert.deepEqual(failures.slice(0, 10), [], `${library}: ${failures.length} failed invocations (first 10 shown)`);
      assert.equal(ok, INVOCATIONS);
      console.log(`${label}: round ${Math.floor(i / 2) + 1}, ${library}: ${ok}/${INVOCATIONS} ok in ${ms} ms`);
    });

    assert.ok(samples.length >= 2, `only ${samples.length} CLIENT LIST samples were taken during the load`);
    let peak = 0;
    for (const sample of samples.concat([after])) {
      const others = sample.filter((c) => c.id !== directId);
      const names = others.map((c) => c.name);
      const strangers = names.filter((n) => !expected.includes(n));
      assert.deepEqual(strangers, [], `backend connections outside the budget: ${JSON.stringify(others.filter((c) => !expected.includes(c.name)).map((c) => ({ name: c.name, addr: c.addr, cmd: c.cmd })))}`);
      assert.equal(new Set(names).size, names.length, `duplicate link names: ${names.join(' ')}`);
      peak = Math.max(peak, sample.length);
    }
    // Both protocols were in use, so the budget is reached exactly: per protocol
    // connections_per_node shared links, plus the control link, plus our direct connection.
    const afterNames = after.filter((c) => c.id !== directId).map((c) => c.name).sort();
    assert.deepEqual(afterNames, expected);
    assert.equal(after.length, expected.length + 1);
    assert.ok(peak <= expected.length + 1, `peak ${peak} connections`);
    // The 600 client connections never reached the backend: the only connections it accepted
    // during the load are the links that opened lazily for the first RESP3 clients.
    const opened = afterNames.filter((n) => !namesBefore.has(n));
    assert.equal(acceptedDuring, opened.length,
      `the backend accepted ${acceptedDuring} connections during the load; links opened: ${JSON.stringify(opened)}`);
    console.log(`${label}: ${samples.length} samples, peak ${peak} backend connections (budget ${expected.length} + 1 direct), ${acceptedDuring} accepted during the load (${opened.join(', ')})`);
  });

  test(`${label}: funnel is still up and exits 0 on SIGTERM`, async () => {
    await assertCleanShutdown(stack);
  });
}

budgetScenario(undefined);
budgetScenario(1);
