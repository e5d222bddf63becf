// Security end to end with real client libraries (issue #7): node-redis 6 and ioredis connect
// over TLS (a throwaway CA made with the openssl tool) to Funnel's TLS listener and log in as a
// named user with ACL rules; a user limited to ~app:* +@read gets NOPERM for writes and other
// keys; a wrong password gets WRONGPASS; the plain listener beside it keeps working.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, removeDir, startFunnel, startRedis, tempDir, HOST } from './lib/procs.mjs';
import { variants } from './lib/clients.mjs';

const dir = tempDir('funnel-e2e-security-');
const PASSWORDS = { app: 'app-Pw-e2e-71', reader: 'reader-Pw-e2e-09', default: 'default-Pw-e2e-3' };

function openssl(...args) {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

// CA + server certificate for 127.0.0.1 / localhost (EC P-256, two days).
openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
  '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=funnel-e2e-ca');
writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
  '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
  '-days', '2', '-out', 'server.pem', '-extfile', 'server.ext');
const ca = readFileSync(path.join(dir, 'ca.pem'));

const sha256 = (text) => createHash('sha256').update(text).digest('hex');
const configPath = path.join(dir, 'funnel.toml');
writeFileSync(configPath, [
  '[[users]]', 'name = "app"', `password_sha256 = "${sha256(PASSWORDS.app)}"`, 'rules = "allkeys +@all"', '',
  '[[users]]', 'name = "reader"', `password_sha256 = "${sha256(PASSWORDS.reader)}"`,
  'rules = "~app:* +@read +@connection"', '',
].join('\n'));

const redis = await startRedis({ dir });
// The TLS port may be taken between freePort() and Funnel's bind: try a few.
let tlsPort;
let funnel;
for (let attempt = 1; !funnel; ++attempt) {
  tlsPort = await freePort();
  try {
    funnel = await startFunnel(redis.port, {
      dir,
      requirepass: PASSWORDS.default,
      extraArgs: ['--config', configPath, '--tls-cert', path.join(dir, 'server.pem'),
        '--tls-key', path.join(dir, 'server.key'), '--tls-listen', `${HOST}:${tlsPort}`],
    });
  } catch (err) {
    if (attempt >= 5 || !/in use|tls\.listen/.test(err.message)) throw err;
  }
}

after(async () => {
  const status = await funnel.stop();
  await redis.stop();
  assert.deepEqual(status, { code: 0, signal: null }, funnel.logTail(30));
  const log = funnel.log();
  for (const secret of Object.values(PASSWORDS)) assert.ok(!log.includes(secret), 'a password is in the log');
  removeDir(dir);
});

const tlsUrl = (user) => `rediss://${user}:${encodeURIComponent(PASSWORDS[user])}@${HOST}:${tlsPort}`;

test('node-redis 6 over TLS (HELLO 3 AUTH as a named user)', async () => {
  const client = await variants['node-redis 6 (RESP3, its default)'].open(tlsUrl('app'),
    { socket: { tls: true, ca, reconnectStrategy: false } });
  assert.equal(await client.sendCommand(['SET', 'app:greeting', 'hello over tls']), 'OK');
  assert.equal(await client.sendCommand(['GET', 'app:greeting']), 'hello over tls');
  assert.equal(await client.sendCommand(['SET', 'other', 'x']), 'OK');
  await client.quit();
});

test('ioredis over TLS as a read-only user on app:*', async () => {
  const client = await variants['ioredis (RESP3, its default)'].open(tlsUrl('reader'),
    { reconnect: false, tls: { ca, servername: 'localhost' } });
  assert.equal(await client.sendCommand(['GET', 'app:greeting']), 'hello over tls');
  await assert.rejects(client.sendCommand(['SET', 'app:greeting', 'x']),
    /NOPERM this user has no permissions to run the 'set' command/);
  await assert.rejects(client.sendCommand(['GET', 'other']),
    /NOPERM this user has no permissions to access one of the keys used as arguments/);
  await client.quit();
});

test('a wrong password over TLS gets WRONGPASS', async () => {
  const url = `rediss://reader:wrong@${HOST}:${tlsPort}`;
  await assert.rejects(
    variants['node-redis 6 (RESP3, its default)'].open(url,
      { socket: { tls: true, ca, reconnectStrategy: false } }),
    (err) => /WRONGPASS/.test([err.message, ...(err.clientErrors ?? []).map((e) => e.message)].join(' ')));
});

test('the plain listener beside the TLS one still serves', async () => {
  const url = `redis://default:${PASSWORDS.default}@${HOST}:${funnel.port}`;
  const client = await variants['node-redis 6 (RESP2)'].open(url, { reconnect: false });
  assert.equal(await client.sendCommand(['GET', 'app:greeting']), 'hello over tls');
  await client.quit();
});
