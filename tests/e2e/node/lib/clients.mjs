// The real client libraries under test (node-redis 6, node-redis 4, ioredis) behind one small
// interface, and the incident's handler pattern (connect, HGET, quit per invocation).
// The packages are loaded dynamically so that a missing node_modules fails with a message that
// says what to do instead of a bare ERR_MODULE_NOT_FOUND.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const nodeDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function load(name) {
  try {
    return await import(name);
  } catch (err) {
    const hint = existsSync(path.join(nodeDir, 'node_modules'))
      ? `node_modules exists but '${name}' cannot be loaded (${err.message}); run npm ci in tests/e2e/node`
      : `tests/e2e/node/node_modules is missing: run npm ci in tests/e2e/node (scripts/test.sh does this in its e2e-deps stage)`;
    throw new Error(`cannot load the npm package '${name}': ${hint}`);
  }
}

const redis6 = await load('redis');
const redis4 = await load('redis4');
const ioredisModule = await load('ioredis');
const IORedis = ioredisModule.default ?? ioredisModule.Redis;

function packageVersion(name) {
  try {
    return JSON.parse(readFileSync(path.join(nodeDir, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

/** The installed versions, for the test log. */
export const versions = {
  redis6: packageVersion('redis'), redis4: packageVersion('redis4'), ioredis: packageVersion('ioredis'),
};

/**
 * A client library variant. open(url, options) returns a connected client wrapper with the same
 * promise-based methods for all libraries: hGet, quit, sendCommand(args), raw (the library's own
 * client), errors (every 'error' event it emitted). options: reconnect (false: fail instead of
 * retrying), and any option of the library itself (e.g. name, enableAutoPipelining).
 */
export const variants = {
  'node-redis 6 (RESP3, its default)': { lib: 'redis6', open: (url, o) => openNodeRedis(redis6, url, o) },
  'node-redis 6 (RESP2)': { lib: 'redis6', open: (url, o) => openNodeRedis(redis6, url, { ...o, RESP: 2 }) },
  'node-redis 4 (RESP2)': { lib: 'redis4', open: (url, o) => openNodeRedis(redis4, url, o) },
  'ioredis (RESP3, its default)': { lib: 'ioredis', open: (url, o) => openIORedis(url, o) },
  'ioredis (RESP2)': { lib: 'ioredis', open: (url, o) => openIORedis(url, { ...o, protocol: 2 }) },
};

/** The protocol each variant's connections speak (for the backend connection budget). */
export function variantProtocol(name) {
  return /RESP2/.test(name) ? 2 : 3;
}

async function openNodeRedis(mod, url, { RESP, reconnect = true, ...libOptions } = {}) {
  const errors = [];
  const options = { ...libOptions, url };
  if (RESP !== undefined) options.RESP = RESP;
  // A failed test must fail, not retry forever; the handler pattern itself never reconnects.
  if (!reconnect) options.socket = { reconnectStrategy: false };
  const client = mod.createClient(options).on('error', (err) => errors.push(err));
  try {
    await client.connect();
  } catch (err) {
    // connect() failed: make sure no reconnect loop outlives the test.
    try { await client.disconnect(); } catch { /* not connected */ }
    try { client.destroy?.(); } catch { /* v4 has no destroy */ }
    err.clientErrors = errors;
    throw err;
  }
  return {
    raw: client,
    errors,
    hGet: (key, field) => client.hGet(key, field),
    sendCommand: (args) => client.sendCommand(args),
    quit: () => client.quit(),
  };
}

async function openIORedis(url, { protocol, reconnect = true, ...libOptions } = {}) {
  const errors = [];
  const options = { ...libOptions, lazyConnect: true };
  if (protocol !== undefined) options.protocol = protocol;
  if (!reconnect) {
    options.retryStrategy = () => null;
    options.maxRetriesPerRequest = 0;
  }
  const client = new IORedis(url, options);
  client.on('error', (err) => errors.push(err));
  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    // ioredis rejects connect() with "Connection is closed." and reports the cause (e.g.
    // WRONGPASS) as an 'error' event: hand the events on with the rejection.
    err.clientErrors = errors;
    throw err;
  }
  return {
    raw: client,
    errors,
    hGet: (key, field) => client.hget(key, field),
    sendCommand: (args) => client.call(...args),
    quit: () => client.quit(),
  };
}

/**
 * One invocation of the incident's handler (seed/case-study.md): a fresh client per invocation,
 * connect, HGET, quit. Returns the value and every error the client emitted.
 */
export async function invokeHandler(variant, url, key, field) {
  const client = await variant.open(url, { reconnect: false });
  const value = await client.hGet(key, field);
  await client.quit();
  return { value, errors: client.errors };
}

/** Runs n concurrent invocations; returns { results: [{value, errors}|{error}], ms }. */
export async function invokeConcurrently(variant, url, key, n, fieldOf) {
  const started = Date.now();
  const results = await Promise.all(Array.from({ length: n }, (_, i) =>
    invokeHandler(variant, url, key, fieldOf(i)).catch((error) => ({ error }))));
  return { results, ms: Date.now() - started };
}
