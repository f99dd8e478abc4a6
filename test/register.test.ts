// The preload: unmodified programs get keepalive on every TCP socket, checked
// from outside the program with getsockopt on its descriptors.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { localhostCertificate } from './helpers/certificate';
import { establishedSockets, peekOptions, startProgram, stopPrograms, type Running } from './helpers/programs';

const settingsEnv = { KEEPIDLE: '7', KEEPINTVL: '2s', KEEPCNT: '3', TCP_USER_TIMEOUT: '9000' };
const expected = { enabled: true, idle: 7000, interval: 2000, count: 3, userTimeout: 9000 };
const register = path.join(__dirname, '..', 'dist', 'register.js');

let env: NodeJS.ProcessEnv;
let certDir: string;

beforeAll(() => {
  const { key, cert } = localhostCertificate();
  certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-keepalive-register-'));
  fs.writeFileSync(path.join(certDir, 'key.pem'), key);
  fs.writeFileSync(path.join(certDir, 'cert.pem'), cert);
  const { KEEPALIVE: _, KEEPIDLE: __, KEEPINTVL: ___, KEEPCNT: ____, TCP_USER_TIMEOUT: _____, NODE_OPTIONS: ______, ...clean } = process.env;
  env = { ...clean, TLS_KEY: path.join(certDir, 'key.pem'), TLS_CERT: path.join(certDir, 'cert.pem') };
});
afterEach(stopPrograms);
afterAll(() => fs.rmSync(certDir, { recursive: true, force: true }));

/** Every established socket of the program, with its options as getsockopt reads them from outside. */
function optionsOf(program: Running) {
  const pid = program.child.pid as number;
  return establishedSockets(pid).map((socket) => ({ ...socket, options: peekOptions(pid, socket.fd) }));
}

async function until<T>(read: () => T, done: (value: T) => boolean): Promise<T> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const value = read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return read();
}

test('without the preload, the same programs keep the kernel defaults (the control)', async () => {
  const servers = await startProgram([], 'servers.js', [], env);
  const { net: netPort, http: httpPort, tls: tlsPort } = servers.message;
  const clients = await startProgram([], 'clients.js', [netPort, httpPort, tlsPort].map(String), env);
  const sockets = optionsOf(clients);
  const netConnect = sockets.find((socket) => socket.localPort === clients.message.netConnect);
  expect(netConnect?.options).toMatchObject({ enabled: false });
  // Node's keepAlive agent turns it on with its own values.
  expect(sockets.find((socket) => socket.localPort === clients.message.agent)?.options).toMatchObject({ enabled: true, interval: 1000, count: 10 });
});

test('--require and --import: every client and every accepted connection, of every kind', async () => {
  const servers = await startProgram(['--require', 'tcp-keepalive/register'], 'servers.js', [], { ...env, ...settingsEnv });
  const { net: netPort, http: httpPort, tls: tlsPort, https: httpsPort, http2: http2Port } = servers.message;
  const clients = await startProgram(['--import', 'tcp-keepalive/register'], 'clients.js', [netPort, httpPort, tlsPort].map(String), {
    ...env,
    ...settingsEnv,
  });
  // net.connect, new Socket().connect(), tls.connect, the agent's socket (after three requests
  // and three setKeepAlive calls by the agent), and fetch's.
  const clientSockets = optionsOf(clients);
  expect(clientSockets).toHaveLength(5);
  for (const name of ['netConnect', 'socketConnect', 'tlsConnect', 'agent']) {
    expect(clientSockets.find((socket) => socket.localPort === clients.message[name])).toBeDefined();
  }
  expect(clientSockets.map((socket) => socket.options)).toEqual(Array(5).fill(expected));

  // https and http2 accepted connections, from this (unpreloaded) process.
  const { cert } = localhostCertificate();
  await new Promise<void>((resolve, reject) =>
    https.get({ port: httpsPort, host: '127.0.0.1', ca: cert, servername: 'localhost', agent: false }, (response) => {
      response.resume().on('end', resolve);
    }).on('error', reject),
  );
  const session = http2.connect(`https://localhost:${http2Port}`, { ca: cert });
  const stream = session.request({ ':path': '/' });
  stream.resume();
  await new Promise((resolve) => stream.on('end', resolve));
  try {
    const accepted = await until(() => optionsOf(servers), (list) => list.some((socket) => socket.localPort === http2Port));
    const byServer = (port: number) => accepted.filter((socket) => socket.localPort === port).map((socket) => socket.options);
    expect(byServer(netPort)).toEqual([expected, expected]);
    expect(byServer(tlsPort)).toEqual([expected]);
    expect(byServer(httpPort)).toEqual([expected, expected]);
    expect(byServer(http2Port)).toEqual([expected]);
  } finally {
    session.close();
  }
});

test('worker threads (inherited execArgv) and child processes (inherited NODE_OPTIONS)', async () => {
  const servers = await startProgram([], 'servers.js', [], env);
  const port = String(servers.message.net);
  const inWorker = await startProgram(['--require', register], 'worker.js', [port], { ...env, ...settingsEnv });
  expect(optionsOf(inWorker).map((socket) => socket.options)).toEqual([expected]);

  const spawner = await startProgram([], 'spawner.js', [port], { ...env, ...settingsEnv, NODE_OPTIONS: `--require ${register}` });
  const childSockets = establishedSockets(spawner.message.childPid).map((socket) => peekOptions(spawner.message.childPid, socket.fd));
  expect(childSockets).toEqual([expected]);
  process.kill(spawner.message.childPid, 'SIGKILL');
});

test('KEEPALIVE=off turns keepalive off on connect', async () => {
  const servers = await startProgram([], 'servers.js', [], env);
  const inWorker = await startProgram(['--require', register], 'worker.js', [String(servers.message.net)], { ...env, KEEPALIVE: 'off' });
  expect(optionsOf(inWorker).map((socket) => socket.options)).toEqual([expect.objectContaining({ enabled: false })]);
});

test('no settings at all: SO_KEEPALIVE on with the system defaults, as libkeepalive does', async () => {
  const servers = await startProgram([], 'servers.js', [], env);
  const inWorker = await startProgram(['--require', register], 'worker.js', [String(servers.message.net)], env);
  const [options] = optionsOf(inWorker).map((socket) => socket.options);
  expect(options).toMatchObject({ enabled: true, userTimeout: 0 });
});

describe('a bad value stops the program at start-up with one line naming it', () => {
  test.each([
    ['KEEPIDLE', 'abc', 'KEEPIDLE="abc" is not valid: use seconds from 1 to 32767, or a duration such as 30s or 2m'],
    ['KEEPIDLE', '0', 'KEEPIDLE="0" is not valid: use seconds from 1 to 32767, or a duration such as 30s or 2m'],
    ['KEEPINTVL', '40000', 'KEEPINTVL="40000" is not valid: use seconds from 1 to 32767, or a duration such as 5s'],
    ['KEEPCNT', '2.5', 'KEEPCNT="2.5" is not valid: use a whole number of probes from 1 to 127'],
    ['KEEPCNT', '128', 'KEEPCNT="128" is not valid: use a whole number of probes from 1 to 127'],
    ['TCP_USER_TIMEOUT', '-1', 'TCP_USER_TIMEOUT="-1" is not valid: use whole milliseconds from 0 to 2147483647, or a duration such as 30s'],
    ['KEEPALIVE', 'maybe', 'KEEPALIVE="maybe" is not valid: use on or off'],
  ])('%s=%s', (name, value, message) => {
    for (const flag of ['--require', '--import']) {
      const child = spawnSync(process.execPath, [flag, 'tcp-keepalive/register', '-e', 'console.log("the program ran")'], {
        cwd: path.join(__dirname, '..'),
        env: { ...env, [name]: value },
        encoding: 'utf8',
      });
      expect(child.status).toBe(9);
      expect(child.stdout).toBe('');
      expect(child.stderr).toBe(`tcp-keepalive/register: ${message}\n`);
    }
  });
});
