// Ordinary library features through Funnel, each library over one client: auto-pipelined and
// explicit pipelines with every reply checked, the common data types, INFO, CLIENT SETNAME /
// SETINFO, SELECT, MULTI/EXEC, BLPOP, SUBSCRIBE, and the commands Funnel refuses for now
// answered with a clear error, never a hang, and the connection still usable.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { variants } from './lib/clients.mjs';
import { assertCleanShutdown, useStack } from './lib/stack.mjs';

const PARALLEL = 2000;
const stack = useStack({ workers: 2 });

const UNSUPPORTED = /^ERR funnel: (\S+)( \S+)? is not supported through Funnel yet \(.+\)/;

/** A per-library adapter over the library's own API (not sendCommand), so replies go through
 * each library's own reply transformations in its own protocol. */
const apis = {
  nodeRedis: (c) => ({
    set: (k, v) => c.set(k, v), get: (k) => c.get(k),
    pipeline: async (ops) => {
      const multi = c.multi();
      for (const [cmd, ...args] of ops) multi.addCommand([cmd, ...args]);
      return multi.execAsPipeline();
    },
    transaction: (k1, k2) => c.multi().set(k1, 'tx').incr(k2).exec(),
    badTransaction: (k1) => c.multi().set(k1, 'tx').addCommand(['NOSUCHCOMMAND', 'x']).exec(),
    hSet: (k, obj) => c.hSet(k, obj), hGetAll: (k) => c.hGetAll(k), hIncrBy: (k, f, n) => c.hIncrBy(k, f, n),
    hDel: (k, f) => c.hDel(k, f), hLen: (k) => c.hLen(k),
    rPush: (k, ...v) => c.rPush(k, v), lRange: (k, a, b) => c.lRange(k, a, b), lPop: (k) => c.lPop(k),
    sAdd: (k, ...m) => c.sAdd(k, m), sMembers: (k) => c.sMembers(k), sIsMember: async (k, m) => Number(await c.sIsMember(k, m)) === 1,
    zAdd: (k, pairs) => c.zAdd(k, pairs.map(([score, value]) => ({ score, value }))),
    zRangeWithScores: async (k) => (await c.zRangeWithScores(k, 0, -1)).map(({ value, score }) => [value, Number(score)]),
    zScore: async (k, m) => Number(await c.zScore(k, m)),
    zIncrBy: async (k, n, m) => Number(await c.zIncrBy(k, n, m)),
    setEx: (k, s, v) => c.set(k, v, { EX: s }), ttl: (k) => c.ttl(k), exists: (k) => c.exists(k),
    del: (...k) => c.del(k),
    info: () => c.info(),
    setName: (n) => c.clientSetName(n), getName: () => c.clientGetName(),
    setInfo: (attr, v) => c.sendCommand(['CLIENT', 'SETINFO', attr, v]),
    // select() resolves to undefined in node-redis: check the server's reply itself.
    select0: () => c.sendCommand(['SELECT', '0']),
    blpop: () => c.blPop('e2e:nolist', 1),
    wait: () => c.sendCommand(['WAIT', '0', '0']),
    subscribe: async () => {
      const sub = c.duplicate().on('error', () => {});
      await sub.connect();
      try {
        await sub.subscribe('e2e:channel', () => {});
      } finally {
        await sub.disconnect().catch(() => {});
      }
    },
    ping: () => c.ping(),
  }),
  ioredis: (c) => ({
    set: (k, v) => c.set(k, v), get: (k) => c.get(k),
    pipeline: async (ops) => {
      const results = await c.pipeline(ops.map(([cmd, ...args]) => [cmd.toLowerCase(), ...args])).exec();
      for (const [err] of results) if (err) throw err;
      return results.map(([, value]) => value);
    },
    transaction: async (k1, k2) => {
      const results = await c.multi().set(k1, 'tx').incr(k2).exec();
      for (const [err] of results) if (err) throw err;
      return results.map(([, value]) => value);
    },
    badTransaction: (k1) => c.multi().set(k1, 'tx').call('NOSUCHCOMMAND', 'x').exec(),
    hSet: (k, obj) => c.hset(k, obj), hGetAll: (k) => c.hgetall(k), hIncrBy: (k, f, n) => c.hincrby(k, f, n),
    hDel: (k, f) => c.hdel(k, f), hLen: (k) => c.hlen(k),
    rPush: (k, ...v) => c.rpush(k, ...v), lRange: (k, a, b) => c.lrange(k, a, b), lPop: (k) => c.lpop(k),
    sAdd: (k, ...m) => c.sadd(k, ...m), sMembers: (k) => c.smembers(k), sIsMember: async (k, m) => (await c.sismember(k, m)) === 1,
    zAdd: (k, pairs) => c.zadd(k, ...pairs.flat()),
    zRangeWithScores: async (k) => {
      const flat = await c.zrange(k, 0, -1, 'WITHSCORES');
      const out = [];
      for (let i = 0; i < flat.length; i += 2) out.push([flat[i], Number(flat[i + 1])]);
      return out;
    },
    zScore: async (k, m) => Number(await c.zscore(k, m)),
    zIncrBy: async (k, n, m) => Number(await c.zincrby(k, n, m)),
    setEx: (k, s, v) => c.set(k, v, 'EX', s), ttl: (k) => c.ttl(k), exists: (k) => c.exists(k),
    del: (...k) => c.del(...k),
    info: () => c.info(),
    setName: (n) => c.client('SETNAME', n), getName: () => c.client('GETNAME'),
    setInfo: (attr, v) => c.client('SETINFO', attr, v),
    select0: () => c.select(0),
    blpop: () => c.blpop('e2e:nolist', 1),
    wait: () => c.call('WAIT', '0', '0'),
    subscribe: async () => {
      const sub = c.duplicate();
      sub.on('error', () => {});
      try {
        await sub.subscribe('e2e:channel');
      } finally {
        sub.disconnect();
      }
    },
    ping: () => c.ping(),
  }),
};

const clientsUnderTest = {
  'node-redis 6 (RESP3)': { variant: variants['node-redis 6 (RESP3, its default)'], api: apis.nodeRedis },
  'node-redis 4 (RESP2)': { variant: variants['node-redis 4 (RESP2)'], api: apis.nodeRedis },
  'ioredis (RESP3)': { variant: variants['ioredis (RESP3, its default)'], api: apis.ioredis },
  'ioredis (RESP2, enableAutoPipelining)': { variant: variants['ioredis (RESP2)'], api: apis.ioredis, options: { enableAutoPipelining: true } },
};

/** Awaits p; a reply that does not come within ms is a hang and fails the test. */
function within(p, ms, what) {
  let timer;
  return Promise.race([p, new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no reply within ${ms} ms (hang)`)), ms);
  })]).finally(() => clearTimeout(timer));
}

async function expectRefused(p, command) {
  let error;
  try {
    await within(p, 5000, command);
  } catch (err) {
    error = err;
  }
  assert.ok(error, `${command} succeeded through Funnel; expected a clear refusal`);
  assert.match(error.message, UNSUPPORTED, `${command}: unexpected error`);
  return error;
}

for (const [name, { variant, api: makeApi, options }] of Object.entries(clientsUnderTest)) {
  describe(name, { timeout: 60000 }, () => {
    let client;
    let api;
    const prefix = `e2e:${name.replace(/\W+/g, '_')}`;
    before(async () => {
      client = await variant.open(stack.url(), { reconnect: false, ...options });
      api = makeApi(client.raw);
    });
    after(async () => {
      if (client) await client.quit().catch(() => {});
    });

    test(`${PARALLEL} parallel SET then GET of unique keys, every reply checked`, async () => {
      const keys = Array.from({ length: PARALLEL }, (_, i) => `${prefix}:k:${i}`);
      const value = (i) => `v${i}:${'x'.repeat(i % 50)}`;
      const sets = keys.map((k, i) => api.set(k, value(i)));
      const gets = keys.map((k) => api.get(k));
      const [setReplies, getReplies] = await within(Promise.all([Promise.all(sets), Promise.all(gets)]), 30000, 'pipeline');
      const bad = [];
      setReplies.forEach((r, i) => { if (r !== 'OK') bad.push(`SET #${i}: ${r}`); });
      getReplies.forEach((r, i) => { if (r !== value(i)) bad.push(`GET #${i}: ${r}`); });
      assert.deepEqual(bad.slice(0, 10), [], `${bad.length} wrong replies`);
      // The backend holds what the client wrote.
      const sample = [0, 1, PARALLEL / 2, PARALLEL - 1];
      const direct = await stack.direct.sendCommand(['MGET', ...sample.map((i) => keys[i])]);
      assert.deepEqual(direct, sample.map(value));
    });

    test('explicit pipeline of 500 mixed commands, every reply checked', async () => {
      const ops = [];
      const expected = [];
      for (let i = 0; i < 100; ++i) {
        ops.push(['SET', `${prefix}:p:${i}`, String(i)]); expected.push('OK');
        ops.push(['INCR', `${prefix}:p:${i}`]); expected.push(i + 1);
        ops.push(['GET', `${prefix}:p:${i}`]); expected.push(String(i + 1));
        ops.push(['RPUSH', `${prefix}:plist`, String(i)]); expected.push(i + 1);
        ops.push(['EXISTS', `${prefix}:p:${i}`, `${prefix}:none`]); expected.push(1);
      }
      const replies = await within(api.pipeline(ops), 20000, 'pipeline');
      assert.deepEqual(replies, expected);
    });

    test('hashes, lists, sets, sorted sets, expiry', async () => {
      const h = `${prefix}:hash`;
      assert.equal(await api.hSet(h, { a: '1', b: '2', c: 'three' }), 3);
      assert.deepEqual({ ...(await api.hGetAll(h)) }, { a: '1', b: '2', c: 'three' });
      assert.equal(await api.hIncrBy(h, 'a', 41), 42);
      assert.equal(await api.hDel(h, 'c'), 1);
      assert.equal(await api.hLen(h), 2);

      const l = `${prefix}:list`;
      assert.equal(await api.rPush(l, 'x', 'y', 'z'), 3);
      assert.deepEqual(await api.lRange(l, 0, -1), ['x', 'y', 'z']);
      assert.equal(await api.lPop(l), 'x');
      assert.deepEqual(await api.lRange(l, 0, -1), ['y', 'z']);

      const s = `${prefix}:set`;
      assert.equal(await api.sAdd(s, 'm1', 'm2', 'm3', 'm2'), 3);
      assert.deepEqual([...(await api.sMembers(s))].sort(), ['m1', 'm2', 'm3']);
      assert.equal(await api.sIsMember(s, 'm2'), true);
      assert.equal(await api.sIsMember(s, 'nope'), false);

      const z = `${prefix}:zset`;
      assert.equal(await api.zAdd(z, [[1, 'one'], [2.5, 'two'], [3, 'three']]), 3);
      assert.deepEqual(await api.zRangeWithScores(z), [['one', 1], ['two', 2.5], ['three', 3]]);
      assert.equal(await api.zScore(z, 'two'), 2.5);
      assert.equal(await api.zIncrBy(z, 10, 'one'), 11);

      const e = `${prefix}:ttl`;
      assert.equal(await api.setEx(e, 100, 'soon'), 'OK');
      const ttl = await api.ttl(e);
      assert.ok(ttl > 0 && ttl <= 100, `TTL ${ttl}`);
      assert.equal(await api.del(e, h), 2);
      assert.equal(await api.exists(e), 0);
    });

    test('large values, EVAL, PUBLISH and a SCAN loop', async () => {
      const big = `${prefix}:big`;
      const values = [1 << 20, 100000, 3, 4 << 20].map((n, i) => String(i).repeat(n));
      const replies = await within(Promise.all(values.flatMap((v, i) => [api.set(`${big}:${i}`, v), api.get(`${big}:${i}`)])), 20000, 'large values');
      values.forEach((v, i) => {
        assert.equal(replies[2 * i], 'OK');
        assert.ok(replies[2 * i + 1] === v, `value ${i} (${v.length} bytes) came back as ${String(replies[2 * i + 1]).length} bytes`);
      });
      assert.equal(await client.sendCommand(['EVAL', 'return ARGV[1] .. redis.call("GET", KEYS[1])', '1', `${big}:2`, 'x']), 'x222');
      assert.equal(await client.sendCommand(['PUBLISH', `${prefix}:channel`, 'hello']), 0);
      const seen = new Set();
      let cursor = '0';
      for (let i = 0; i < 10000; ++i) {
        const [next, keys] = await client.sendCommand(['SCAN', cursor, 'MATCH', `${big}:*`, 'COUNT', '100']);
        keys.forEach((k) => seen.add(k));
        cursor = String(next);
        if (cursor === '0') break;
      }
      assert.deepEqual([...seen].sort(), values.map((_, i) => `${big}:${i}`));
    });

    test('INFO has the backend\'s sections and a # Funnel section', async () => {
      const info = await api.info();
      assert.match(info, /^# Server/m);
      assert.match(info, /^redis_version:\d+\.\d+\.\d+/m);
      assert.match(info, /^# Funnel/m);
      if (name.startsWith('ioredis')) assert.equal(client.raw.status, 'ready', 'ioredis passed its INFO ready check');
    });

    test('the connection speaks the protocol the library negotiated', async () => {
      const hello = await client.sendCommand(['HELLO']);
      const fields = Array.isArray(hello) ? Object.fromEntries(hello.flatMap((v, i) => (i % 2 ? [] : [[v, hello[i + 1]]]))) : hello;
      assert.equal(Number(fields.proto), /RESP2/.test(name) ? 2 : 3);
      assert.match(String(fields.version), /^\d+\.\d+\.\d+$/);
    });

    test('CLIENT SETNAME / GETNAME / SETINFO and SELECT 0 are accepted', async () => {
      assert.equal(await api.setName('e2e-client'), 'OK');
      assert.equal(await api.getName(), 'e2e-client');
      assert.equal(await api.setInfo('LIB-NAME', 'e2e-lib'), 'OK');
      assert.equal(await api.setInfo('LIB-VER', '1.2.3'), 'OK');
      assert.equal(await api.select0(), 'OK');
      assert.equal(await api.ping(), 'PONG');
    });

    test('MULTI/EXEC (client.multi().exec()) runs as one transaction', async () => {
      const k1 = `${prefix}:tx`;
      const k2 = `${prefix}:txcount`;
      const replies = await within(api.transaction(k1, k2), 5000, 'MULTI/EXEC');
      assert.deepEqual(replies.map(String), ['OK', '1']);
      assert.deepEqual(await stack.direct.sendCommand(['MGET', k1, k2]), ['tx', '1']);
      assert.equal(await within(api.ping(), 5000, 'PING after MULTI'), 'PONG');
    });

    test('MULTI ... EXEC with a command Redis rejects at queue time runs nothing', async () => {
      const k1 = `${prefix}:tx2`;
      let err;
      try {
        await within(api.badTransaction(k1), 5000, 'MULTI/EXEC with an unknown command');
      } catch (e) {
        err = e;
      }
      assert.ok(err, 'a transaction with an unknown command succeeded');
      assert.match(err.message, /EXECABORT|unknown command/);
      assert.equal(await stack.direct.sendCommand(['GET', k1]), null);
      assert.equal(await within(api.ping(), 5000, 'PING after EXECABORT'), 'PONG');
    });

    test('BLPOP times out as in Redis and SUBSCRIBE is served, not a hang', async () => {
      assert.equal(await within(api.blpop(), 5000, 'BLPOP'), null);
      await within(api.subscribe(), 5000, 'SUBSCRIBE');
      assert.equal(await within(api.ping(), 5000, 'PING after BLPOP'), 'PONG');
    });

    test('WAIT on a shared connection gets Funnel\'s clear error and the connection goes on', async () => {
      await expectRefused(api.wait(), 'WAIT');
      assert.equal(await within(api.ping(), 5000, 'PING after WAIT'), 'PONG');
    });

    test('SELECT 1 and back to 0 are served (per-database pools)', async () => {
      assert.equal(await within(client.sendCommand(['SELECT', '1']), 5000, 'SELECT 1'), 'OK');
      assert.equal(await within(client.sendCommand(['SELECT', '0']), 5000, 'SELECT 0'), 'OK');
    });

    test('the client saw no error events', () => {
      assert.deepEqual(client.errors.map((e) => e.message), []);
    });
  });
}

test('a connection name given in the handshake (HELLO SETNAME, CLIENT SETNAME) is kept', async () => {
  const cases = [
    [variants['node-redis 6 (RESP3, its default)'], { name: 'e2e-hello-setname' }],
    [variants['node-redis 4 (RESP2)'], { name: 'e2e-client-setname-4' }],
    [variants['ioredis (RESP3, its default)'], { connectionName: 'e2e-ioredis-name' }],
  ];
  for (const [variant, options] of cases) {
    const client = await variant.open(stack.url(), { reconnect: false, ...options });
    try {
      assert.equal(await client.sendCommand(['CLIENT', 'GETNAME']), options.name ?? options.connectionName);
      assert.deepEqual(client.errors, []);
    } finally {
      await client.quit();
    }
  }
});

test('funnel is still up and exits 0 on SIGTERM', async () => {
  await assertCleanShutdown(stack);
});
