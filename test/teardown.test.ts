// Sockets destroyed at every stage leave no listeners, handles or timers behind
// and never reach the socket that gets their descriptor number next. Adds the
// stages test/defer.test.ts and test/fd-reuse.test.ts do not cover.
import net from 'node:net';
import { once } from 'node:events';
import { enableKeepalive, disableKeepalive, getKeepalive } from '../src';
import { fdOf, listen } from './helpers/loopback';

let server: net.Server;
let port: number;
const opened: net.Socket[] = [];
let acceptedCount = 0;

beforeAll(async () => {
  server = net.createServer((socket) => {
    socket.on('error', () => {});
    opened.push(socket);
    acceptedCount++;
  });
  port = await listen(server);
});
afterEach(() => opened.splice(0).forEach((socket) => socket.destroy()));
afterAll(() => new Promise((resolve) => server.close(resolve)));

const listeners = (socket: net.Socket) =>
  Object.fromEntries((['connect', 'close', 'error', 'end'] as const).map((event) => [event, socket.listenerCount(event)]));

/** Handles and timers alive in this process, by kind (TCPSocketWrap, Timeout, …). */
function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/** Waits (bounded) until the process holds no more handles or timers than `baseline`. */
async function expectSettled(baseline: Record<string, number>): Promise<void> {
  let now = resources();
  const extra = () => Object.keys(now).filter((kind) => now[kind] > (baseline[kind] ?? 0));
  for (let tick = 0; tick < 50 && extra().length > 0; tick++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    now = resources();
  }
  expect(Object.fromEntries(extra().map((kind) => [kind, now[kind] - (baseline[kind] ?? 0)]))).toEqual({});
}

async function connectClient(): Promise<net.Socket> {
  const client = net.connect(port, '127.0.0.1');
  opened.push(client);
  await once(client, 'connect');
  return client;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  const free = await listen(probe);
  await new Promise((resolve) => probe.close(resolve));
  return free;
}

test('destroyed before connect() was ever called: nothing left behind, nothing applied later', async () => {
  const baseline = resources();
  const socket = new net.Socket();
  const before = listeners(socket);
  enableKeepalive(socket, { idle: 1000, interval: 1000, count: 1 });
  disableKeepalive(socket);
  enableKeepalive(socket, { count: 2 });
  socket.destroy();
  await once(socket, 'close');
  expect(listeners(socket)).toEqual(before);
  expect(() => enableKeepalive(socket)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
  await expectSettled(baseline);
  // The next connection is Node's own: nothing was queued for it.
  const next = await connectClient();
  expect(getKeepalive(next)).toMatchObject({ enabled: false });
  expect(getKeepalive(next).count).not.toBe(2);
});

test("destroyed during the deferred apply (by a 'connect' listener that runs first): no throw, no error event, fd's next owner untouched", async () => {
  const baseline = resources();
  const acceptedBefore = acceptedCount;
  const socket = net.connect(port, '127.0.0.1');
  const errors: unknown[] = [];
  socket.on('error', (error) => errors.push(error));
  const before = listeners(socket);
  enableKeepalive(socket, { idle: 1000, interval: 1000, count: 1, userTimeout: 1234 });
  let fd = -1;
  // Prepended after enableKeepalive, so it runs before the library's own listener.
  socket.prependOnceListener('connect', () => {
    fd = fdOf(socket);
    socket.destroy();
  });
  await once(socket, 'close');
  // The server's end must have its own descriptor before the next connection
  // is made, so that the next client is the one to get the freed number.
  for (let tick = 0; tick < 100 && acceptedCount === acceptedBefore; tick++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(fd).toBeGreaterThanOrEqual(0);
  expect(errors).toEqual([]);
  expect(listeners(socket)).toEqual(before);
  const next = await connectClient();
  expect(fdOf(next)).toBe(fd);
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(getKeepalive(next)).toMatchObject({ enabled: false, userTimeout: 0 });
  expect(getKeepalive(next).count).not.toBe(1);
  next.destroy();
  opened.splice(0).forEach((s) => s.destroy());
  await once(next, 'close');
  await expectSettled(baseline);
});

test('a refused connection with deferred settings: its fd, reused next, gets nothing', async () => {
  const baseline = resources();
  const socket = net.connect(await closedPort(), '127.0.0.1');
  const before = listeners(socket);
  enableKeepalive(socket, { idle: 1000, interval: 1000, count: 1 });
  let fd = -1;
  for (let tick = 0; tick < 10 && fd < 0; tick++) {
    await new Promise((resolve) => process.nextTick(resolve));
    fd = fdOf(socket);
  }
  const [error] = await once(socket, 'error');
  expect(error).toMatchObject({ code: 'ECONNREFUSED' });
  if (!socket.destroyed || socket.listenerCount('close') > 0) await once(socket, 'close');
  expect(listeners(socket)).toEqual(before);
  const next = await connectClient();
  expect(fdOf(next)).toBe(fd);
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(getKeepalive(next).enabled).toBe(false);
  expect(getKeepalive(next).count).not.toBe(1);
  next.destroy();
  opened.splice(0).forEach((s) => s.destroy());
  await once(next, 'close');
  await expectSettled(baseline);
});

test('a held socket reset by its peer: every call throws ERR_SOCKET_CLOSED, its fd\'s next owner is Node\'s again', async () => {
  const baseline = resources();
  const client = await connectClient();
  enableKeepalive(client, { idle: 2000, interval: 1000, count: 2 });
  const fd = fdOf(client);
  const accepted = opened.find((s) => s !== client && s.remotePort === client.localPort) as net.Socket;
  accepted.resetAndDestroy();
  const [error] = await once(client, 'error');
  expect(error).toMatchObject({ code: 'ECONNRESET' });
  if (!client.destroyed || client.listenerCount('close') > 0) await once(client, 'close');
  const before = listeners(client);
  for (const call of [() => enableKeepalive(client, { count: 3 }), () => disableKeepalive(client), () => getKeepalive(client)]) {
    expect(call).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
  }
  // Node's own setKeepAlive on the dead socket is a no-op and must not throw either.
  expect(() => client.setKeepAlive(true, 5000)).not.toThrow();
  expect(listeners(client)).toEqual(before);
  const next = await connectClient();
  expect(fdOf(next)).toBe(fd);
  expect(getKeepalive(next)).toMatchObject({ enabled: false });
  next.setKeepAlive(true, 3000);
  expect(getKeepalive(next)).toMatchObject({ enabled: true, idle: 3000, interval: 1000, count: 10 });
  opened.splice(0).forEach((s) => s.destroy());
  await once(next, 'close');
  await expectSettled(baseline);
});

test('many sockets configured while connecting and destroyed at random moments leave nothing behind', async () => {
  const baseline = resources();
  const sockets: Array<{ socket: net.Socket; before: ReturnType<typeof listeners> }> = [];
  const closed: Promise<unknown>[] = [];
  for (let i = 0; i < 200; i++) {
    const socket = i % 4 === 0 ? new net.Socket() : net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    sockets.push({ socket, before: listeners(socket) });
    enableKeepalive(socket, { idle: 1000 * (1 + (i % 7)), count: 1 + (i % 5) });
    closed.push(new Promise((resolve) => socket.once('close', resolve)));
    // Destroy some at once, some a tick later, some after a few ms (while
    // connecting or just connected), some well after the connection is up.
    const stage = i % 5;
    if (stage === 0) socket.destroy();
    else if (stage === 1) process.nextTick(() => socket.destroy());
    else if (stage === 2) setImmediate(() => socket.destroy());
    else if (stage === 3) setTimeout(() => socket.destroy(), i % 10);
    else setTimeout(() => socket.destroy(), 50);
  }
  await Promise.all(closed);
  for (const { socket, before } of sockets) expect(listeners(socket)).toEqual(before);
  opened.splice(0).forEach((s) => s.destroy());
  await expectSettled(baseline);
});
