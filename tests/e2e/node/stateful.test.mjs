// Stateful features through Funnel with the real libraries, each as its users call them:
// node-redis multi()/watch()/blPop and the `database` option, ioredis multi/pipeline/blpop and
// the `db` option. Funnel holds MULTI … EXEC without WATCH itself, pins a dedicated backend link
// for WATCH and for each blocking command, and serves other databases from their own pools.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { variants } from './lib/clients.mjs';
import { useStack } from './lib/stack.mjs';

const stack = useStack({ workers: 2 });

/** Awaits p; a reply that does not come within ms is a hang and fails the test. */
function within(p, ms, what) {
  let timer;
  return Promise.race([p, new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no reply within ${ms} ms (hang)`)), ms);
  })]).finally(() => clearTimeout(timer));
}

const nodeRedis = (c) => ({
  transaction: (k) => c.multi().set(k, 'a').incr(`${k}:n`).get(k).exec(),
  // WATCH, then a transaction; `meddle` runs between WATCH and EXEC. Resolves the EXEC replies,
  // or null when the transaction was not run because a watched key changed (node-redis throws
  // WatchError for EXEC's nil).
  watched: async (k, meddle) => {
    await c.watch(k);
    await meddle();
    try {
      return await c.multi().set(k, 'mine').exec();
    } catch (err) {
      if (err.constructor?.name === 'WatchError') return null;
      throw err;
    }
  },
  blpop: async (k, timeout) => {
    const reply = await c.blPop(k, timeout);
    return reply === null ? null : [reply.key, reply.element];
  },
  get: (k) => c.get(k),
  set: (k, v) => c.set(k, v),
  ping: () => c.ping(),
});

const ioredis = (c) => ({
  transaction: async (k) => {
    const results = await c.multi().set(k, 'a').incr(`${k}:n`).get(k).exec();
    for (const [err] of results) if (err) throw err;
    return results.map(([, value]) => value);
  },
  watched: async (k, meddle) => {
    await c.watch(k);
    await meddle();
    const results = await c.multi().set(k, 'mine').exec();
    return results === null ? null : results.map(([, value]) => value);
  },
  blpop: (k, timeout) => c.blpop(k, timeout),
  get: (k) => c.get(k),
  set: (k, v) => c.set(k, v),
  ping: () => c.ping(),
});

const clientsUnderTest = {
  'node-redis 6 (RESP3)': { variant: variants['node-redis 6 (RESP3, its default)'], api: nodeRedis, dbOption: (db) => ({ database: db }) },
  'node-redis 4 (RESP2)': { variant: variants['node-redis 4 (RESP2)'], api: nodeRedis, dbOption: (db) => ({ database: db }) },
  'ioredis (RESP3)': { variant: variants['ioredis (RESP3, its default)'], api: ioredis, dbOption: (db) => ({ db }) },
  'ioredis (RESP2)': { variant: variants['ioredis (RESP2)'], api: ioredis, dbOption: (db) => ({ db }) },
};

for (const [name, { variant, api: makeApi, dbOption }] of Object.entries(clientsUnderTest)) {
  describe(name, { timeout: 60000 }, () => {
    let client;
    let other;
    let api;
    let otherApi;
    const prefix = `e2e:stateful:${name.replace(/\W+/g, '_')}`;
    before(async () => {
      client = await variant.open(stack.url(), { reconnect: false });
      other = await variant.open(stack.url(), { reconnect: false });
      api = makeApi(client.raw);
      otherApi = makeApi(other.raw);
    });
    after(async () => {
      for (const c of [client, other]) if (c) await c.quit().catch(() => {});
    });

    test('multi() … exec() runs as one transaction with every reply', async () => {
      const k = `${prefix}:tx`;
      const replies = await within(api.transaction(k), 5000, 'MULTI/EXEC');
      assert.deepEqual(replies.map(String), ['OK', '1', 'a']);
      assert.deepEqual(await stack.direct.sendCommand(['MGET', k, `${k}:n`]), ['a', '1']);
    });

    test('watch() then multi(): runs when untouched, not at all after a conflicting write', async () => {
      const k = `${prefix}:watched`;
      await api.set(k, 'start');
      assert.deepEqual((await within(api.watched(k, async () => {}), 5000, 'WATCH')).map(String), ['OK']);
      assert.equal(await stack.direct.sendCommand(['GET', k]), 'mine');
      const result = await within(api.watched(k, () => otherApi.set(k, 'theirs')), 5000, 'WATCH conflict');
      assert.equal(result, null, 'EXEC ran although a watched key changed');
      assert.equal(await stack.direct.sendCommand(['GET', k]), 'theirs');
      assert.equal(await api.ping(), 'PONG');
    });

    test('blpop is served when another client pushes, and its own timeout is honoured', async () => {
      const k = `${prefix}:queue`;
      const waiting = api.blpop(k, 0);
      // Push once the pop is blocked on the backend, so it is the pop that delivers the job.
      const deadline = Date.now() + 5000;
      while (!/blocked_clients:[1-9]/.test(await stack.direct.sendCommand(['INFO', 'clients']))) {
        assert.ok(Date.now() < deadline, 'BLPOP never blocked on the backend');
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(await otherApi.transaction(`${k}:unrelated`).then(() => 'ok'), 'ok');
      await stack.direct.sendCommand(['RPUSH', k, 'job']);
      assert.deepEqual(await within(waiting, 5000, 'BLPOP'), [k, 'job']);
      const started = Date.now();
      assert.equal(await within(api.blpop(`${k}:empty`, 1), 5000, 'BLPOP timeout'), null);
      assert.ok(Date.now() - started >= 900, 'BLPOP returned before its 1 s timeout');
    });

    test('the database option selects a database served by its own pool', async () => {
      const inDb = await variant.open(stack.url(), { reconnect: false, ...dbOption(3) });
      try {
        const k = `${prefix}:db3`;
        const dbApi = makeApi(inDb.raw);
        assert.equal(await dbApi.set(k, 'three'), 'OK');
        assert.equal(await dbApi.get(k), 'three');
        assert.deepEqual((await dbApi.transaction(`${k}:tx`)).map(String), ['OK', '1', 'a']);
        assert.equal(await api.get(k), null, 'database 0 sees the key written in database 3');
        const direct = await variants['node-redis 6 (RESP2)'].open(stack.url(), { reconnect: false, database: 3 });
        try {
          assert.equal(await direct.sendCommand(['GET', k]), 'three');
        } finally {
          await direct.quit();
        }
      } finally {
        await inDb.quit();
      }
    });

    test('the clients saw no error events', () => {
      assert.deepEqual([...client.errors, ...other.errors].map((e) => e.message), []);
    });
  });
}
