// The incident's handler pattern with the password in the URL, through a Funnel started with
// --requirepass-file (the backend itself has no password): node-redis 6 sends HELLO 3 AUTH,
// node-redis 4 sends AUTH, ioredis sends HELLO 3 AUTH (or AUTH in RESP2). A wrong password must
// fail with WRONGPASS and no password with NOAUTH, as redis-server answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { invokeConcurrently, variants } from './lib/clients.mjs';
import { assertCleanShutdown, checkResults, useStack } from './lib/stack.mjs';

const INVOCATIONS = 300;
const PASSWORD = 'e2e-s3cret-Pw';
const KEY = 'incident:sessions';
const field = (i) => `session:${i}`;
const valueOf = (i) => `{"session":${i},"ttl":${1000 + i}}`;

const stack = useStack({ workers: 2, requirepass: PASSWORD });

test('seed the hash on the backend directly (the backend has no password)', async () => {
  const args = ['HSET', KEY];
  for (let i = 0; i < INVOCATIONS; ++i) args.push(field(i), valueOf(i));
  assert.equal(await stack.direct.sendCommand(args), INVOCATIONS);
});

const urlForms = {
  'redis://:<password>@': () => stack.url(PASSWORD),
  'redis://default:<password>@': () => stack.url(PASSWORD, 'default'),
};

for (const [name, variant] of Object.entries(variants)) {
  for (const [form, url] of Object.entries(urlForms)) {
    test(`${name}, ${form}: ${INVOCATIONS} concurrent connect/HGET/quit invocations`, { timeout: 60000 }, async () => {
      const { results, ms } = await invokeConcurrently(variant, url(), KEY, INVOCATIONS, field);
      const { ok, failures } = checkResults(results, valueOf);
      console.log(`${name}, ${form}: ${ok}/${INVOCATIONS} ok in ${ms} ms`);
      assert.deepEqual(failures.slice(0, 10), [], `${failures.length} failed invocations (first 10 shown)`);
      assert.equal(ok, INVOCATIONS);
    });
  }
}

/**
 * Opens a client and runs one HGET; returns every error text the attempt produced (the
 * rejection, the client's 'error' events, the command's error), or [] if all succeeded.
 */
async function attempt(variant, url) {
  const texts = [];
  let client;
  try {
    client = await variant.open(url, { reconnect: false });
    await client.hGet(KEY, field(0));
  } catch (err) {
    texts.push(err.message, ...(err.clientErrors ?? []).map((e) => e.message));
  }
  if (client) {
    texts.push(...client.errors.map((e) => e.message));
    try { await client.quit(); } catch { /* the connection may be closed already */ }
  }
  return texts;
}

for (const [name, variant] of Object.entries(variants)) {
  for (const user of [undefined, 'default']) {
    test(`${name}, ${user ?? ''}:wrong@ password: fails with WRONGPASS`, { timeout: 15000 }, async () => {
      const texts = await attempt(variant, stack.url('wrong', user));
      assert.ok(texts.some((t) => t.startsWith('WRONGPASS invalid username-password pair or user is disabled.')),
        `expected WRONGPASS, got ${JSON.stringify(texts)}`);
    });
  }
  test(`${name}, no password: fails with NOAUTH`, { timeout: 15000 }, async () => {
    const texts = await attempt(variant, stack.url());
    assert.ok(texts.some((t) => t.startsWith('NOAUTH ')), `expected NOAUTH, got ${JSON.stringify(texts)}`);
  });
}

test('the password never appears in Funnel\'s log', () => {
  assert.ok(!stack.funnel.log().includes(PASSWORD), 'the requirepass secret appears in the log');
});

test('funnel is still up and exits 0 on SIGTERM', async () => {
  await assertCleanShutdown(stack);
});
