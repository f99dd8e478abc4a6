// Sockets that are still connecting: settings wait for 'connect', and leave nothing behind.
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { enableKeepalive, disableKeepalive, getKeepalive } from '../src';
import { listen } from './helpers/loopback';

let server: net.Server;
let port: number;
const sockets: net.Socket[] = [];

beforeAll(async () => {
  server = net.createServer((socket) => sockets.push(socket));
  port = await listen(server);
});
afterEach(() => sockets.splice(0).forEach((socket) => socket.destroy()));
afterAll(() => new Promise((resolve) => server.close(resolve)));

function connecting(): net.Socket {
  const socket = net.connect(port, '127.0.0.1');
  sockets.push(socket);
  return socket;
}

/** A port nothing listens on: listen, note the port, close. */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  const free = await listen(probe);
  await new Promise((resolve) => probe.close(resolve));
  return free;
}

const listeners = (socket: net.Socket) =>
  Object.fromEntries((['connect', 'close', 'error'] as const).map((event) => [event, socket.listenerCount(event)]));

test("settings are in place when the user's own 'connect' listeners run", async () => {
  const socket = connecting();
  const seen: unknown[] = [];
  socket.on('connect', () => seen.push(getKeepalive(socket)));
  expect(socket.connecting).toBe(true);
  enableKeepalive(socket, { idle: 5000, interval: 2000, count: 3, userTimeout: 6000 });
  // A listener added after the call, too.
  socket.on('connect', () => seen.push(getKeepalive(socket)));
  await once(socket, 'connect');
  const expected = { enabled: true, idle: 5000, interval: 2000, count: 3, userTimeout: 6000 };
  expect(seen).toEqual([expected, expected]);
});

test('getKeepalive on a connecting socket throws TCP_KEEPALIVE_SOCKET_CONNECTING', async () => {
  const socket = connecting();
  expect(() => getKeepalive(socket)).toThrow(expect.objectContaining({ code: 'TCP_KEEPALIVE_SOCKET_CONNECTING' }));
  await once(socket, 'connect');
  expect(getKeepalive(socket).enabled).toBe(false);
});

test('several calls while connecting compose like calls made in order', async () => {
  const socket = connecting();
  enableKeepalive(socket, { idle: 5000, count: 3 });
  enableKeepalive(socket, { count: 4, interval: 2000 });
  await once(socket, 'connect');
  expect(getKeepalive(socket)).toMatchObject({ enabled: true, idle: 5000, interval: 2000, count: 4 });
  // One 'close' listener stays while connected: it clears Node's record when
  // the socket closes (see the reconnect tests); it goes with the connection.
  expect(listeners(socket)).toEqual({ connect: 0, close: 1, error: 0 });
  socket.destroy();
  await once(socket, 'close');
  expect(listeners(socket)).toEqual({ connect: 0, close: 0, error: 0 });
});

test('disableKeepalive while connecting wins over an earlier enable, keeping its options', async () => {
  const socket = connecting();
  enableKeepalive(socket, { idle: 5000 });
  disableKeepalive(socket);
  await once(socket, 'connect');
  expect(getKeepalive(socket)).toMatchObject({ enabled: false, idle: 5000 });
});

test('a socket made with new net.Socket() and connected later', async () => {
  const socket = new net.Socket();
  sockets.push(socket);
  expect(() => getKeepalive(socket)).toThrow(expect.objectContaining({ code: 'TCP_KEEPALIVE_SOCKET_CONNECTING' }));
  enableKeepalive(socket, { idle: 7000 });
  socket.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  expect(getKeepalive(socket)).toMatchObject({ enabled: true, idle: 7000 });
});

test('a connection that fails applies nothing and leaves no listeners', async () => {
  const socket = net.connect(await closedPort(), '127.0.0.1');
  const before = listeners(socket);
  enableKeepalive(socket, { idle: 5000 });
  expect(listeners(socket)).toEqual({ ...before, connect: before.connect + 1, close: before.close + 1 });
  const [error] = await once(socket, 'error');
  expect(error).toMatchObject({ code: 'ECONNREFUSED' });
  if (!socket.destroyed || socket.listenerCount('close') > 0) await once(socket, 'close');
  expect(listeners(socket)).toEqual({ connect: 0, close: 0, error: 0 });
});

test('a socket destroyed while connecting leaves no listeners', async () => {
  const socket = connecting();
  enableKeepalive(socket, { idle: 5000 });
  socket.destroy();
  await once(socket, 'close');
  expect(listeners(socket)).toEqual({ connect: 0, close: 0, error: 0 });
  expect(() => enableKeepalive(socket)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
});

test('bad options on a connecting socket throw at once and record nothing', async () => {
  const socket = connecting();
  expect(() => enableKeepalive(socket, { count: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  expect(listeners(socket)).toEqual({ connect: 0, close: 0, error: 0 });
  await once(socket, 'connect');
  expect(getKeepalive(socket).enabled).toBe(false);
});

test('a socket that turns out to connect to a Unix path gets a clear error instead of silence', async () => {
  const file = path.join(os.tmpdir(), `tcp-keepalive-defer-${process.pid}.sock`);
  const unixServer = net.createServer((peer) => peer.destroy()).listen(file);
  await once(unixServer, 'listening');
  try {
    const socket = new net.Socket();
    const userConnect = jest.fn();
    socket.on('connect', userConnect);
    enableKeepalive(socket, { idle: 5000 });
    socket.connect(file);
    const [error] = await once(socket, 'error');
    expect(error).toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
      message: expect.stringContaining('must be a TCP socket, but it is a Unix domain socket'),
    });
    if (!socket.destroyed || socket.listenerCount('close') > 0) await once(socket, 'close');
    expect(listeners(socket)).toEqual({ connect: 1, close: 0, error: 0 });
  } finally {
    unixServer.close();
  }
});
