// Pub/sub through Funnel with the libraries' own APIs: node-redis subscribe / pSubscribe /
// sSubscribe (node-redis 6 speaks RESP3 by default, 4 speaks RESP2) and ioredis subscribe /
// psubscribe with its 'message' / 'pmessage' events (ioredis 6 speaks RESP3 by default). Every
// message reaches every subscriber, a RESP3 subscriber keeps running ordinary commands on the
// same connection, and the backend sees one subscriber link however many subscribers there are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { variants } from './lib/clients.mjs';
import { assertCleanShutdown, parseClientList, useStack } from './lib/stack.mjs';

const stack = useStack({ workers: 2 });

/** Resolves once cond() is true (polled), or rejects after ms: never a hang. */
async function until(cond, ms, what) {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function subscriberLinks() {
  const list = parseClientList(await stack.direct.sendCommand(['CLIENT', 'LIST']));
  return list.filter((c) => (c.name ?? '').startsWith('funnel:subscriber:')).length;
}

async function publishDirect(channel, message, command = 'PUBLISH') {
  return stack.direct.sendCommand([command, channel, message]);
}

const nodeRedisVariants = ['node-redis 6 (RESP3, its default)', 'node-redis 6 (RESP2)', 'node-redis 4 (RESP2)'];

for (const name of nodeRedisVariants) {
  test(`${name}: subscribe and pSubscribe receive every message`, async () => {
    const tag = name.replace(/\W+/g, '-');
    const client = await variants[name].open(stack.url(), { reconnect: false });
    const got = [];
    try {
      await client.raw.subscribe(`ps:${tag}:news`, (message, channel) => got.push(['message', channel, message]));
      await client.raw.pSubscribe(`ps:${tag}:*`, (message, channel) => got.push(['pmessage', channel, message]));
      for (let i = 0; i < 20; i += 1) await publishDirect(`ps:${tag}:news`, `m${i}`);
      await until(() => got.length === 40, 5000, `${name}: 40 deliveries`);
      const plain = got.filter(([kind]) => kind === 'message').map(([, , m]) => m);
      const patterned = got.filter(([kind]) => kind === 'pmessage').map(([, , m]) => m);
      const want = Array.from({ length: 20 }, (_, i) => `m${i}`);
      assert.deepEqual(plain, want);
      assert.deepEqual(patterned, want);
      assert.ok(got.every(([, channel]) => channel === `ps:${tag}:news`));
      await client.raw.unsubscribe(`ps:${tag}:news`);
      await client.raw.pUnsubscribe(`ps:${tag}:*`);
      // Funnel let go of the backend subscriptions once the last subscriber left.
      await until(async () => (await stack.direct.sendCommand(['PUBSUB', 'NUMSUB', `ps:${tag}:news`]))[1] === 0,
        5000, 'backend unsubscribed');
      assert.deepEqual(client.errors, []);
    } finally {
      await client.quit();
    }
  });
}

test('node-redis 6 (RESP3): a subscribed connection keeps serving ordinary commands', async () => {
  const client = await variants['node-redis 6 (RESP3, its default)'].open(stack.url(), { reconnect: false });
  const got = [];
  try {
    await client.raw.subscribe('ps:mixed', (message) => got.push(message));
    await client.raw.sSubscribe('ps:mixed:shard', (message) => got.push(`s:${message}`));
    const writes = [];
    for (let i = 0; i < 200; i += 1) {
      writes.push(client.raw.set(`ps:mixed:${i}`, String(i)));
      if (i % 20 === 0) writes.push(publishDirect('ps:mixed', `m${i}`));
    }
    await Promise.all(writes);
    const values = await Promise.all(Array.from({ length: 200 }, (_, i) => client.raw.get(`ps:mixed:${i}`)));
    assert.deepEqual(values, Array.from({ length: 200 }, (_, i) => String(i)));
    await publishDirect('ps:mixed:shard', 'hello', 'SPUBLISH');
    await until(() => got.length === 11, 5000, 'pushes between replies');
    assert.deepEqual(got.slice(0, 10), Array.from({ length: 10 }, (_, i) => `m${i * 20}`));
    assert.equal(got[10], 's:hello');
    assert.deepEqual(client.errors, []);
  } finally {
    await client.quit();
  }
});

for (const name of ['ioredis (RESP3, its default)', 'ioredis (RESP2)']) {
  test(`${name}: subscribe and psubscribe with message / pmessage events`, async () => {
    const tag = name.replace(/\W+/g, '-');
    const client = await variants[name].open(stack.url(), { reconnect: false });
    const got = [];
    client.raw.on('message', (channel, message) => got.push(['message', channel, message]));
    client.raw.on('pmessage', (pattern, channel, message) => got.push(['pmessage', pattern, channel, message]));
    try {
      assert.equal(await client.raw.subscribe(`io:${tag}:a`, `io:${tag}:b`), 2);
      assert.equal(await client.raw.psubscribe(`io:${tag}:*`), 3);  // Redis's count: channels + patterns
      await publishDirect(`io:${tag}:a`, 'one');
      await publishDirect(`io:${tag}:b`, 'two');
      await until(() => got.length === 4, 5000, `${name}: 4 deliveries`);
      assert.deepEqual(got.filter(([k]) => k === 'message'), [['message', `io:${tag}:a`, 'one'], ['message', `io:${tag}:b`, 'two']]);
      assert.deepEqual(got.filter(([k]) => k === 'pmessage'),
        [['pmessage', `io:${tag}:*`, `io:${tag}:a`, 'one'], ['pmessage', `io:${tag}:*`, `io:${tag}:b`, 'two']]);
      // Named: ioredis 6's unsubscribe() without names never resolves while a pattern is left,
      // against Redis directly too.
      assert.equal(await client.raw.unsubscribe(`io:${tag}:a`, `io:${tag}:b`), 1);
      assert.equal(await client.raw.punsubscribe(`io:${tag}:*`), 0);
      assert.deepEqual(client.errors, []);
    } finally {
      client.raw.disconnect();
    }
  });
}

test('many subscribers on both workers: every message reaches every one, over one backend link', async () => {
  const subscribers = [];
  const counts = [];
  try {
    for (let i = 0; i < 200; i += 1) {
      const name = i % 2 ? 'node-redis 6 (RESP3, its default)' : 'ioredis (RESP2)';
      const client = await variants[name].open(stack.url(), { reconnect: false });
      subscribers.push(client);
      counts.push([]);
      if (name.startsWith('ioredis')) {
        client.raw.on('message', (_channel, message) => counts[i].push(message));
        await client.raw.subscribe('ps:crowd');
      } else {
        await client.raw.subscribe('ps:crowd', (message) => counts[i].push(message));
      }
    }
    assert.equal(await subscriberLinks(), 1);
    for (let m = 0; m < 10; m += 1) assert.equal(await publishDirect('ps:crowd', `c${m}`), 1);
    await until(() => counts.every((c) => c.length === 10), 10000, 'all deliveries');
    const want = Array.from({ length: 10 }, (_, m) => `c${m}`);
    for (const c of counts) assert.deepEqual(c, want);
  } finally {
    for (const client of subscribers) {
      // ioredis' disconnect() returns nothing, node-redis' a promise.
      await Promise.resolve(client.raw.disconnect()).catch(() => {});
    }
  }
  await until(async () => (await stack.direct.sendCommand(['PUBSUB', 'NUMSUB', 'ps:crowd']))[1] === 0,
    5000, 'backend unsubscribed after everyone left');
});

test('funnel is still up and exits 0 on SIGTERM', async () => {
  await assertCleanShutdown(stack);
});
