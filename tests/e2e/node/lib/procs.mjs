// Child-process fixtures for the end-to-end tests: free loopback ports, a redis-server and a
// Funnel started as child processes, stopped by PID with deadlines. No sleeps for
// synchronisation: every wait polls a condition until a deadline.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, openSync, closeSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../../../..');
export const HOST = '127.0.0.1';

// Every child this process started, so that an unexpected exit still reaps them (by PID).
const children = new Set();
process.on('exit', () => {
  for (const child of children) {
    try { process.kill(child.pid, 'SIGKILL'); } catch { /* already gone */ }
  }
});

/** The funnel binary: $FUNNEL_BINARY (set by ctest), else a build tree of this checkout. */
export function funnelBinary() {
  const fromEnv = process.env.FUNNEL_BINARY;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`FUNNEL_BINARY=${fromEnv} does not exist; build the 'funnel' target`);
    return fromEnv;
  }
  for (const preset of ['release', 'lead', 'debug', 'asan']) {
    const candidate = path.join(repoRoot, 'build', preset, 'src/server/funnel');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('no funnel binary: set FUNNEL_BINARY or build one (cmake --preset release && cmake --build --preset release)');
}

/** A loopback port that was free a moment ago (callers retry when it got taken meanwhile). */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Polls fn() (sync or async) until it returns a truthy value; throws after timeoutMs. */
export async function waitFor(fn, { timeoutMs = 10000, intervalMs = 20, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (err) {
      if (err.fatal) throw err;
      lastError = err;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}` +
        (lastError ? ` (last error: ${lastError.message})` : ''));
    }
    await delay(intervalMs);
  }
}

/** Sends one inline-free RESP2 command on a fresh socket and returns the raw reply text. */
export function rawCommand(port, args, { timeoutMs = 2000 } = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: HOST, port });
    let data = '';
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no reply from port ${port}`)); }, timeoutMs);
    socket.on('connect', () => {
      let out = `*${args.length}\r\n`;
      for (const a of args) out += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
      socket.write(out);
    });
    socket.on('data', (chunk) => {
      data += chunk.toString('utf8');
      if (data.endsWith('\r\n')) { clearTimeout(timer); socket.end(); resolve(data); }
    });
    socket.on('error', (err) => { clearTimeout(timer); reject(err); });
    socket.on('close', () => { clearTimeout(timer); if (!data.endsWith('\r\n')) reject(new Error(`connection to ${port} closed`)); });
  });
}

export function tempDir(prefix = 'funnel-e2e-') {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A child process with its output going to a log file; stop() ends it by PID. */
class Child {
  constructor(name, command, args, logPath) {
    this.name = name;
    this.logPath = logPath;
    const fd = openSync(logPath, 'a');
    this.process = spawn(command, args, { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    this.pid = this.process.pid;
    children.add(this.process);
    this.exited = new Promise((resolve) => {
      this.process.on('exit', (code, signal) => {
        children.delete(this.process);
        this.exitStatus = { code, signal };
        resolve(this.exitStatus);
      });
    });
    this.process.on('error', (err) => { this.spawnError = err; });
  }

  get running() { return this.exitStatus === undefined && !this.spawnError; }

  log() {
    try { return readFileSync(this.logPath, 'utf8'); } catch { return ''; }
  }

  logTail(lines = 30) {
    return this.log().split('\n').slice(-lines).join('\n');
  }

  /** SIGTERM, then SIGKILL after graceMs; resolves to { code, signal }. */
  async stop({ graceMs = 10000 } = {}) {
    if (this.exitStatus) return this.exitStatus;
    if (this.spawnError) return { code: null, signal: null, error: this.spawnError };
    try { process.kill(this.pid, 'SIGTERM'); } catch { /* raced with its exit */ }
    const timer = setTimeout(() => { try { process.kill(this.pid, 'SIGKILL'); } catch { /* gone */ } }, graceMs);
    const status = await this.exited;
    clearTimeout(timer);
    return status;
  }
}

async function startWithPortRetry(name, start, attempts = 5) {
  let lastError;
  for (let i = 0; i < attempts; ++i) {
    const port = await freePort();
    try {
      return await start(port);
    } catch (err) {
      lastError = err;
      if (!/in use|EADDRINUSE/i.test(err.message)) throw err;
    }
  }
  throw new Error(`${name}: no free port after ${attempts} attempts: ${lastError?.message}`);
}

/**
 * Starts a redis-server on a free loopback port without persistence.
 * Returns { port, pid, stop(), log(), dir }.
 */
export async function startRedis({ dir = tempDir('funnel-e2e-redis-'), extraArgs = [] } = {}) {
  return startWithPortRetry('redis-server', async (port) => {
    const logPath = path.join(dir, `redis-${port}.log`);
    const child = new Child('redis-server', 'redis-server', [
      '--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no',
      '--dir', dir, '--daemonize', 'no', ...extraArgs,
    ], logPath);
    try {
      await waitFor(async () => {
        if (!child.running) {
          throw Object.assign(new Error(`redis-server exited (${JSON.stringify(child.exitStatus)}): ${child.logTail(5)}`), { fatal: true });
        }
        const reply = await rawCommand(port, ['PING']);
        return reply === '+PONG\r\n' || reply.startsWith('-NOAUTH');
      }, { timeoutMs: 10000, what: `redis-server on port ${port}` });
    } catch (err) {
      await child.stop();
      if (/Address already in use/i.test(child.log())) throw new Error('address in use');
      throw err;
    }
    return { port, pid: child.pid, dir, child, stop: (o) => child.stop(o), log: () => child.log() };
  });
}

/**
 * Starts Funnel in front of backendPort on a free loopback port and waits until it answers PING
 * and its shared links are up (INFO funnel_backend_links_ready). Options: workers,
 * connectionsPerNode, requirepass (written to a file for --requirepass-file), cluster (the
 * backend is a Redis Cluster node: --cluster instead of --backend), extraArgs.
 * Returns { port, pid, stop(), log(), logTail(), dir }.
 */
export async function startFunnel(backendPort, {
  workers = 2, connectionsPerNode, requirepass, logLevel = 'info', extraArgs = [], cluster = false,
  dir = tempDir('funnel-e2e-funnel-'),
} = {}) {
  const binary = funnelBinary();
  const args = [cluster ? '--cluster' : '--backend', `${HOST}:${backendPort}`, '--workers', String(workers), '--log-level', logLevel];
  if (connectionsPerNode !== undefined) args.push('--connections-per-node', String(connectionsPerNode));
  if (requirepass !== undefined) {
    const file = path.join(dir, 'requirepass');
    writeFileSync(file, requirepass, { mode: 0o600 });
    args.push('--requirepass-file', file);
  }
  args.push(...extraArgs);
  const expectedLinks = connectionsPerNode || workers;
  return startWithPortRetry('funnel', async (port) => {
    const logPath = path.join(dir, `funnel-${port}.log`);
    const child = new Child('funnel', binary, ['--listen', `${HOST}:${port}`, ...args], logPath);
    try {
      await waitFor(async () => {
        if (!child.running) {
          throw Object.assign(new Error(`funnel exited (${JSON.stringify(child.exitStatus)})`), { fatal: true });
        }
        const reply = await rawCommand(port, ['PING']);
        // With requirepass, PING before AUTH gets NOAUTH, which still proves Funnel is serving.
        if (reply !== '+PONG\r\n' && !reply.startsWith('-NOAUTH')) return false;
        if (requirepass !== undefined) return true;
        const info = await rawCommand(port, ['INFO', 'funnel']);
        const m = /funnel_backend_links_ready:(\d+)/.exec(info);
        return m && Number(m[1]) >= expectedLinks;
      }, { timeoutMs: 15000, what: `funnel on port ${port}` });
    } catch (err) {
      const status = await child.stop();
      if (err.message === 'address in use' || /in use/i.test(child.log())) throw new Error('address in use');
      throw new Error(`${err.message}\nfunnel exit ${JSON.stringify(status)}; log:\n${child.logTail(20)}`);
    }
    return {
      port, pid: child.pid, dir, child, binary,
      stop: (o) => child.stop(o), log: () => child.log(), logTail: (n) => child.logTail(n),
    };
  });
}

/** Removes a temp directory made by tempDir(). */
export function removeDir(dir) {
  try { rmSync(dir, { recursive: true, force: true }); } catch { /* best effort */ }
}
