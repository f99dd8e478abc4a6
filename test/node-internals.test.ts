// The contract with Node's internals: every private field and behaviour that
// src/core/node-internals.ts relies on (every module reaches Node through it),
// checked on Node itself. CI runs it on Node 20, 22, 24 and 26: a new
// Node major that moves one of them fails here first, by name.
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { localhostCertificate } from './helpers/certificate';
import { closeAll, connectedPair, listen, nodeRecordOf } from './helpers/loopback';

interface Handle {
  fd?: number;
  _parent?: Handle;
  constructor: { name: string };
  setKeepAlive?: (enable: boolean, delay: number) => number;
}
const handleOf = (socket: net.Socket): Handle | null | undefined => (socket as unknown as { _handle?: Handle | null })._handle;

const cleanups: Array<() => void> = [];
afterEach(async () => {
  cleanups.splice(0).forEach((cleanup) => cleanup());
  await closeAll();
});

/** Calls reaching the handle's setKeepAlive from now on (an own property, as hold.ts puts there). */
function spyOnHandle(handle: Handle): Array<[boolean, number]> {
  const calls: Array<[boolean, number]> = [];
  const original = Object.getPrototypeOf(handle).setKeepAlive as (enable: boolean, delay: number) => number;
  handle.setKeepAlive = function (this: Handle, enable: boolean, delay: number) {
    calls.push([enable, delay]);
    return original.call(this, enable, delay);
  };
  return calls;
}

test('socket._handle: null before connect, a TCP handle right after connect(), with fd >= 0 once connected', async () => {
  const server = net.createServer();
  const port = await listen(server);
  cleanups.push(() => server.close());
  const socket = new net.Socket();
  expect(handleOf(socket)).toBeNull();
  socket.connect(port, '127.0.0.1');
  cleanups.push(() => socket.destroy());
  expect(handleOf(socket)?.constructor.name).toBe('TCP');
  expect(socket.connecting).toBe(true);
  await once(socket, 'connect');
  expect(handleOf(socket)?.fd).toBeGreaterThanOrEqual(0);
  // An object made from the prototype without the constructor has no _handle at all.
  expect(handleOf(Object.create(net.Socket.prototype))).toBeUndefined();
});

test("a Unix socket's handle is a Pipe; after 'close' the handle is null", async () => {
  const file = path.join(os.tmpdir(), `tcp-keepalive-internals-${process.pid}.sock`);
  const server = net.createServer((peer) => peer.destroy()).listen(file);
  await once(server, 'listening');
  cleanups.push(() => server.close());
  const socket = net.connect(file);
  expect(handleOf(socket)?.constructor.name).toBe('Pipe');
  await once(socket, 'close');
  expect(handleOf(socket)).toBeNull();
});

test('TLS: _handle._parent is the TCP handle, its setKeepAlive reaches an own setKeepAlive of that handle; _parent for TLS over a socket', async () => {
  const { key, cert } = localhostCertificate();
  const server = tls.createServer({ key, cert });
  const port = await listen(server);
  cleanups.push(() => server.close());
  const client = tls.connect({ port, host: '127.0.0.1', ca: cert, servername: 'localhost' });
  cleanups.push(() => client.destroy());
  await once(client, 'secureConnect');
  const tcp = handleOf(client)?._parent as Handle;
  expect(tcp.constructor.name).toBe('TCP');
  const calls = spyOnHandle(tcp);
  client.setKeepAlive(true, 7000);
  expect(calls).toEqual([[true, 7]]);

  const raw = net.connect(port, '127.0.0.1');
  const over = tls.connect({ socket: raw, ca: cert, servername: 'localhost' });
  cleanups.push(() => over.destroy());
  expect((over as unknown as { _parent: unknown })._parent).toBe(raw);
  await once(over, 'secureConnect');
});

test('accepted sockets: socket.server is the server whose handle accepted them, also after a handover', async () => {
  const app = net.createServer();
  const handed = new Promise<net.Socket>((resolve) => app.on('connection', resolve));
  const { accepted, server } = await connectedPair();
  expect((accepted as unknown as { server: unknown }).server).toBe(server);
  app.emit('connection', accepted);
  expect((await handed as unknown as { server: unknown }).server).toBe(server);
});

test("Node's setKeepAlive: the handle is called only when Node's record differs; without a handle only the record changes", async () => {
  const { client } = await connectedPair();
  const calls = spyOnHandle(handleOf(client) as Handle);
  client.setKeepAlive(true, 5000);
  client.setKeepAlive(true, 5000);
  client.setKeepAlive(true, 6000);
  client.setKeepAlive(false);
  client.setKeepAlive(false);
  expect(calls).toEqual([
    [true, 5],
    [true, 6],
    [false, 0],
  ]);
  // A record made while there is no handle is applied by Node on the next connect.
  const server = net.createServer((socket) => socket.on('error', () => {}));
  const port = await listen(server);
  cleanups.push(() => server.close());
  const later = new net.Socket();
  later.setKeepAlive(true, 9000);
  later.connect(port, '127.0.0.1');
  cleanups.push(() => later.destroy());
  const replayed = spyOnHandle(handleOf(later) as Handle);
  await once(later, 'connect');
  expect(replayed).toContainEqual([true, 9]);
});

test("a server with Node's keepAlive option: server.keepAlive is true and the handle's setKeepAlive runs before 'connection'", async () => {
  const server = net.createServer({ keepAlive: true, keepAliveInitialDelay: 3000 });
  expect((server as unknown as { keepAlive: unknown }).keepAlive).toBe(true);
  const port = await listen(server);
  cleanups.push(() => server.close());
  const seen = once(server, 'connection') as Promise<[net.Socket]>;
  const client = net.connect(port, '127.0.0.1');
  cleanups.push(() => client.destroy());
  const [accepted] = await seen;
  cleanups.push(() => accepted.destroy());
  // Node recorded its call: the same call again is skipped, so it was made already.
  const calls = spyOnHandle(handleOf(accepted) as Handle);
  accepted.setKeepAlive(true, 3000);
  expect(calls).toEqual([]);
});

test('http.Agent: createConnection on the prototype, sockets and freeSockets as lists, socket.setKeepAlive(true, keepAliveMsecs) when a socket returns to the pool', async () => {
  expect(Object.prototype.hasOwnProperty.call(http.Agent.prototype, 'createConnection')).toBe(true);
  const server = http.createServer((_request, response) => response.end('ok'));
  const port = await listen(server);
  cleanups.push(() => server.close());
  const agent = new http.Agent({ keepAlive: true, keepAliveMsecs: 4000 });
  cleanups.push(() => agent.destroy());
  const internals = agent as unknown as { sockets: Record<string, net.Socket[]>; freeSockets: Record<string, net.Socket[]> };
  const calls: unknown[][] = [];
  await new Promise<void>((resolve, reject) => {
    http
      .get({ port, host: '127.0.0.1', agent }, (response) => {
        expect(Object.values(internals.sockets).flat()).toContain(response.socket);
        const socket = response.socket as net.Socket;
        const own = socket.setKeepAlive;
        socket.setKeepAlive = (...args: Parameters<net.Socket['setKeepAlive']>) => {
          calls.push(args);
          return own.apply(socket, args);
        };
        response.resume();
        response.on('end', resolve);
      })
      .on('error', reject);
  });
  await new Promise((resolve) => setImmediate(resolve));
  expect(Object.values(internals.freeSockets).flat()).toHaveLength(1);
  expect(calls).toEqual([[true, 4000]]);
});

test("net.Server.prototype has no emit of its own (the preload adds one); 'close' comes after the handle is gone", async () => {
  expect(Object.prototype.hasOwnProperty.call(net.Server.prototype, 'emit')).toBe(false);
  const { client } = await connectedPair();
  const atClose = new Promise((resolve) => client.once('close', () => resolve(handleOf(client))));
  client.destroy();
  expect(await atClose).toBeNull();
});

test("Node's record of setKeepAlive lives in own symbol properties kSetKeepAlive and kSetKeepAliveInitialDelay (seconds)", () => {
  const socket = new net.Socket();
  const record = (): Record<string, unknown> => nodeRecordOf(socket);
  expect(record()).toEqual({ kSetKeepAlive: false, kSetKeepAliveInitialDelay: 0 });
  socket.setKeepAlive(true, 5000);
  expect(record()).toEqual({ kSetKeepAlive: true, kSetKeepAliveInitialDelay: 5 });
});

test('cluster: NODE_UNIQUE_ID is gone before user code runs in a worker, so cluster.isWorker is what tells', () => {
  const script = `const cluster = require('node:cluster');
    if (cluster.isPrimary) { const w = cluster.fork(); w.on('message', (m) => { console.log(JSON.stringify(m)); w.kill(); }); }
    else process.send({ uniqueId: process.env.NODE_UNIQUE_ID ?? null, isWorker: cluster.isWorker });`;
  // cluster.fork runs the primary's script file again: -e would not do.
  const file = path.join(os.tmpdir(), `tcp-keepalive-cluster-${process.pid}.js`);
  require('node:fs').writeFileSync(file, script);
  try {
    const child = require('node:child_process').spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 20000 });
    expect(JSON.parse(child.stdout)).toEqual({ uniqueId: null, isWorker: true });
  } finally {
    require('node:fs').rmSync(file, { force: true });
  }
});
