// Real database servers for the driver tests: PostgreSQL and Redis from the
// system's packages (Debian: postgresql, redis-server), each started on
// loopback in a temporary directory and stopped by the test file.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';

const inCI = process.env.CI === 'true';

/** The user the servers run as when the tests run as root: PostgreSQL refuses to run as root. */
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir !== '' && fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** The directory of initdb and postgres: on PATH, or Debian's /usr/lib/postgresql/<newest>/bin. */
export function postgresBinDir(): string | undefined {
  const onPath = findOnPath('initdb');
  if (onPath !== undefined) return path.dirname(fs.realpathSync(onPath));
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return undefined;
  const majors = fs
    .readdirSync(root)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  for (const major of majors) {
    const bin = path.join(root, major, 'bin');
    if (fs.existsSync(path.join(bin, 'initdb')) && fs.existsSync(path.join(bin, 'postgres'))) return bin;
  }
  return undefined;
}

export const redisServerPath = (): string | undefined => findOnPath('redis-server');

/** `describe`, or `describe.skip` where the server is not installed, outside CI (CI installs it: a missing one fails there). */
export const describeWith = (available: boolean): jest.Describe => (available || inCI ? describe : describe.skip);

/** A port free on loopback now. */
async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface RunningServer {
  port: number;
  stop(): Promise<void>;
}

/** Resolves when `pattern` appears in the child's output; rejects if it exits first or after `ms`. */
function waitForOutput(child: ChildProcess, pattern: RegExp, what: string, ms = 30000): Promise<void> {
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} not ready after ${ms} ms:\n${output}`)), ms);
    const onData = (chunk: Buffer): void => {
      output += chunk;
      if (!pattern.test(output)) return;
      clearTimeout(timer);
      child.stdout?.removeListener('data', onData);
      child.stderr?.removeListener('data', onData);
      // Keep draining, so the server never blocks on a full pipe.
      child.stdout?.resume();
      child.stderr?.resume();
      resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
}

/** Stops `child` with `signal`, then SIGKILL if it has not exited after 10 s. */
async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
  await exited;
  clearTimeout(timer);
}

/**
 * initdb and postgres in a new temporary directory, as nobody when run as
 * root: listening on 127.0.0.1 only (and a Unix socket in that directory),
 * user postgres, trust authentication, nothing synced to disk.
 */
export async function startPostgres(): Promise<RunningServer> {
  const bin = postgresBinDir();
  if (bin === undefined) throw new Error('PostgreSQL not found (initdb on PATH or /usr/lib/postgresql/*/bin): install the postgresql package');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-keepalive-postgres-'));
  const user = asRoot ? { uid: NOBODY, gid: NOBODY } : {};
  if (asRoot) fs.chownSync(dir, NOBODY, NOBODY);
  const env = { PATH: process.env.PATH, HOME: dir, LANG: 'C', LC_ALL: 'C' };
  const data = path.join(dir, 'data');
  const init = spawnSync(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'], {
    ...user,
    cwd: dir,
    env,
    encoding: 'utf8',
  });
  if (init.status !== 0) throw new Error(`initdb failed (${init.status ?? init.signal}): ${init.stdout}${init.stderr}`);
  const port = await freePort();
  const server = spawn(
    path.join(bin, 'postgres'),
    ['-D', data, '-k', dir, '-h', '127.0.0.1', '-p', String(port), '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    { ...user, cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  try {
    await waitForOutput(server, /database system is ready to accept connections/, 'postgres');
  } catch (error) {
    await stopChild(server, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    async stop() {
      // SIGINT: PostgreSQL's fast shutdown (ends the sessions still open).
      await stopChild(server, 'SIGINT');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** redis-server on 127.0.0.1, nothing saved, its working directory a new temporary one. */
export async function startRedis(): Promise<RunningServer> {
  const binary = redisServerPath();
  if (binary === undefined) throw new Error('redis-server not found on PATH: install the redis-server package');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-keepalive-redis-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'];
  const server = spawn(binary, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await waitForOutput(server, /Ready to accept connections/, 'redis-server');
  } catch (error) {
    await stopChild(server, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    async stop() {
      await stopChild(server, 'SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
