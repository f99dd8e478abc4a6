// A closed socket's descriptor number gets reused: nothing may reach the new socket.
import net from 'node:net';
import { once } from 'node:events';
import { enableKeepalive, disableKeepalive, getKeepalive } from '../src';
import { fdOf, listen } from './helpers/loopback';

let server: net.Server;
let port: number;
const opened: net.Socket[] = [];

beforeAll(async () => {
  server = net.createServer((socket) => opened.push(socket));
  port = await listen(server);
});
afterEach(() => opened.splice(0).forEach((socket) => socket.destroy()));
afterAll(() => new Promise((resolve) => server.close(resolve)));

/** A new connected client; Unix gives it the lowest free descriptor, so a just-freed one. */
async function connectClient(): Promise<net.Socket> {
  const client = net.connect(port, '127.0.0.1');
  opened.push(client);
  await once(client, 'connect');
  return client;
}

test('calls on a destroyed socket throw and leave the socket now holding its fd untouched', async () => {
  const old = await connectClient();
  const fd = fdOf(old);
  old.destroy();
  await once(old, 'close');
  const reused = await connectClient();
  expect(fdOf(reused)).toBe(fd);
  const before = getKeepalive(reused);

  expect(() => enableKeepalive(old, { idle: 1000, count: 1 })).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
  expect(() => disableKeepalive(old)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
  expect(() => getKeepalive(old)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
  expect(getKeepalive(reused)).toEqual(before);
});

test('settings deferred on a socket that never connects never land on the next socket with its fd', async () => {
  const doomed = net.connect(port, '127.0.0.1');
  enableKeepalive(doomed, { idle: 1000, interval: 1000, count: 1 });
  // The descriptor appears a tick after connect(); destroy before 'connect' is emitted.
  for (let tick = 0; tick < 10 && fdOf(doomed) < 0; tick++) await new Promise((resolve) => process.nextTick(resolve));
  const fd = fdOf(doomed);
  expect(fd).toBeGreaterThanOrEqual(0);
  expect(doomed.connecting).toBe(true);
  doomed.destroy();
  await once(doomed, 'close');
  const reused = await connectClient();
  expect(fdOf(reused)).toBe(fd);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const settings = getKeepalive(reused);
  expect(settings.enabled).toBe(false);
  expect(settings.count).not.toBe(1);
});

test('a held socket, once closed, does not answer for the fd\'s next owner', async () => {
  const old = await connectClient();
  enableKeepalive(old, { idle: 2000, interval: 1000, count: 2 });
  const fd = fdOf(old);
  old.destroy();
  await once(old, 'close');
  const reused = await connectClient();
  expect(fdOf(reused)).toBe(fd);
  // Node's setKeepAlive on the new socket is Node's own: no hold carried over.
  reused.setKeepAlive(true, 3000);
  expect(getKeepalive(reused)).toMatchObject({ enabled: true, idle: 3000, interval: 1000, count: 10 });
});
