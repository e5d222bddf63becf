// Cluster-aware clients pointed at Funnel (issue #16, items 5 and 6): ioredis's Cluster and
// node-redis's createCluster discover Funnel as a one-node cluster owning every slot (CLUSTER
// SLOTS / SHARDS answered by Funnel) and run SET/GET/MGET/DEL across slots through it. Behind
// Funnel: a one-node Redis Cluster owning all 16384 slots, which would answer CROSSSLOT itself.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HOST, rawCommand, removeDir, startFunnel, startRedis, tempDir, waitFor } from './lib/procs.mjs';

const redis6 = await import('redis');
const redis4 = await import('redis4');
const ioredisModule = await import('ioredis');
const IORedis = ioredisModule.default ?? ioredisModule.Redis;

const stack = {};
const dir = tempDir('funnel-e2e-cluster-');
before(async () => {
  stack.node = await startRedis({ dir, extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'] });
  assert.equal(await rawCommand(stack.node.port, ['CLUSTER', 'ADDSLOTSRANGE', '0', '16383']), '+OK\r\n');
  await waitFor(async () => (await rawCommand(stack.node.port, ['CLUSTER', 'INFO'])).includes('cluster_state:ok'),
    { what: 'the one-node cluster to be ok' });
  stack.funnel = await startFunnel(stack.node.port, { dir, cluster: true });
});
after(async () => {
  const status = stack.funnel ? await stack.funnel.stop() : undefined;
  if (stack.node) await stack.node.stop();
  if (status && status.code === 0) removeDir(dir);
  else console.error(`funnel exit ${JSON.stringify(status)}; logs kept in ${dir}`);
});

// "a", "b" and "c" hash to three different slots.
async function exercise(client, prefix) {
  const [a, b, c] = ['a', 'b', 'c'].map((k) => `${prefix}${k}`);
  assert.equal(await client.set(a, '1'), 'OK');
  assert.equal(await client.set(b, '2'), 'OK');
  assert.equal(await client.get(a), '1');
  assert.deepEqual(await client.mget(a, b, c), ['1', '2', null]);
  assert.equal(await client.del(a, b, c), 2);
  assert.deepEqual(await client.mget(a, b), [null, null]);
}

describe('cluster-aware clients see Funnel as the only node', () => {
  test('the node behind Funnel refuses a cross-slot MGET by itself', async () => {
    assert.match(await rawCommand(stack.node.port, ['MGET', 'a', 'b']), /^-CROSSSLOT/);
  });

  test('ioredis Cluster', async () => {
    for (const protocol of [2, 3]) {
      const cluster = new IORedis.Cluster([{ host: HOST, port: stack.funnel.port }],
        { redisOptions: { protocol }, clusterRetryStrategy: () => null });
      try {
        await exercise({
          set: (k, v) => cluster.set(k, v), get: (k) => cluster.get(k),
          mget: (...k) => cluster.mget(...k), del: (...k) => cluster.del(...k),
        }, `io${protocol}:`);
        const nodes = cluster.nodes('all');
        assert.equal(nodes.length, 1);
        assert.equal(nodes[0].options.port, stack.funnel.port);
      } finally {
        cluster.disconnect();
      }
    }
  });

  for (const [name, mod] of [['node-redis 6', redis6], ['node-redis 4', redis4]]) {
    test(`${name} createCluster`, async () => {
      const cluster = mod.createCluster({ rootNodes: [{ url: `redis://${HOST}:${stack.funnel.port}` }] });
      const errors = [];
      cluster.on('error', (err) => errors.push(err));
      await cluster.connect();
      try {
        await exercise({
          set: (k, v) => cluster.set(k, v), get: (k) => cluster.get(k),
          mget: (...k) => cluster.mGet(k), del: (...k) => cluster.del(k),
        }, `${name}:`);
        assert.equal(cluster.masters.length, 1);
        assert.equal(cluster.masters[0].port, stack.funnel.port);
      } finally {
        await cluster.quit?.() ?? cluster.disconnect();
      }
      assert.deepEqual(errors, []);
    });
  }
});
