// The incident's handler pattern (../shared seed case study): every invocation creates a client
// from a redis:// URL, connects, HGETs one field of a seeded hash and quits. 300 concurrent
// invocations through Funnel per client library, zero errors, every value checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { invokeConcurrently, variants, versions } from './lib/clients.mjs';
import { assertCleanShutdown, checkResults, useStack } from './lib/stack.mjs';

const INVOCATIONS = 300;
const KEY = 'incident:users';
const field = (i) => `user:${i}`;
const valueOf = (i) => JSON.stringify({ id: i, name: `user ${i}`, pad: 'x'.repeat(i % 97) });

const stack = useStack({ workers: 2 });

test('seed the hash on the backend directly', async () => {
  console.log(`client versions: ${JSON.stringify(versions)}`);
  const args = ['HSET', KEY];
  for (let i = 0; i < INVOCATIONS; ++i) args.push(field(i), valueOf(i));
  assert.equal(await stack.direct.sendCommand(args), INVOCATIONS);
});

for (const [name, variant] of Object.entries(variants)) {
  test(`${name}: ${INVOCATIONS} concurrent connect/HGET/quit invocations, no password`, { timeout: 60000 }, async () => {
    const { results, ms } = await invokeConcurrently(variant, stack.url(), KEY, INVOCATIONS, field);
    const { ok, failures } = checkResults(results, valueOf);
    console.log(`${name}: ${ok}/${INVOCATIONS} ok in ${ms} ms`);
    assert.deepEqual(failures.slice(0, 10), [], `${failures.length} failed invocations (first 10 shown)`);
    assert.equal(ok, INVOCATIONS);
  });
}

test('funnel is still up and exits 0 on SIGTERM', async () => {
  await assertCleanShutdown(stack);
});
