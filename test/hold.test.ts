// Settings survive Node's own setKeepAlive calls, until the user says otherwise.
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { enableKeepalive, disableKeepalive, getKeepalive } from '../src';
import { closeAll, connectedPair, listen, nodeRecordOf } from './helpers/loopback';
import { localhostCertificate } from './helpers/certificate';
import { straceWorks, traceKeepaliveCalls } from './helpers/strace';

afterEach(closeAll);

const options = { idle: 6000, interval: 2000, count: 4, userTimeout: 7000 };
const held = { enabled: true, ...options };
/** What libuv sets for setKeepAlive(true, delay): interval 1 s, count 10. */
const nodeValues = (idleSeconds: number) => ({ enabled: true, idle: idleSeconds * 1000, interval: 1000, count: 10 });

test('without this library, setKeepAlive resets interval to 1 s and count to 10 (the problem)', async () => {
  const { client } = await connectedPair();
  client.setKeepAlive(true, 3000);
  expect(getKeepalive(client)).toMatchObject(nodeValues(3));
});

test("Node's setKeepAlive(true, …) calls leave the configured values in place", async () => {
  const { client } = await connectedPair();
  enableKeepalive(client, options);
  for (const delay of [1000, 3000, 0, 1000, 6000]) {
    client.setKeepAlive(true, delay);
    expect(getKeepalive(client)).toEqual(held);
  }
});

test('setKeepAlive(false) turns keepalive off and ends the hold', async () => {
  const { client } = await connectedPair();
  enableKeepalive(client, options);
  client.setKeepAlive(false);
  expect(getKeepalive(client).enabled).toBe(false);
  client.setKeepAlive(true, 3000);
  expect(getKeepalive(client)).toMatchObject(nodeValues(3));
});

test('setKeepAlive(false) works even when Node never turned keepalive on itself', async () => {
  // Node skips setKeepAlive(false) when its own record says keepalive is off;
  // enableKeepalive updates that record, so the call reaches the kernel.
  const { accepted } = await connectedPair();
  enableKeepalive(accepted, { idle: 5000 });
  accepted.setKeepAlive(false);
  expect(getKeepalive(accepted).enabled).toBe(false);
});

test('enableKeepalive again after setKeepAlive(false) holds again', async () => {
  const { client } = await connectedPair();
  enableKeepalive(client, options);
  client.setKeepAlive(false);
  // The hold covers the fields given since it began; setKeepAlive(false) ended it.
  enableKeepalive(client, options);
  client.setKeepAlive(true, 9000);
  expect(getKeepalive(client)).toEqual(held);
});

test('disableKeepalive ends the hold: a later setKeepAlive call is Node\'s again', async () => {
  const { client } = await connectedPair();
  enableKeepalive(client, options);
  disableKeepalive(client);
  expect(getKeepalive(client).enabled).toBe(false);
  client.setKeepAlive(true, 3000);
  expect(getKeepalive(client)).toMatchObject(nodeValues(3));
});

test('a connect({ keepAlive: true }) socket configured while connecting keeps the configured values', async () => {
  const { server } = await connectedPair();
  const port = (server.address() as { port: number }).port;
  const client = net.connect({ port, host: '127.0.0.1', keepAlive: true, keepAliveInitialDelay: 1000 });
  enableKeepalive(client, options);
  await once(client, 'connect');
  expect(getKeepalive(client)).toEqual(held);
  client.setKeepAlive(true, 2000);
  expect(getKeepalive(client)).toEqual(held);
  client.destroy();
});

test('TLS sockets hold the same way', async () => {
  const { key, cert } = localhostCertificate();
  const server = tls.createServer({ key, cert });
  const port = await listen(server);
  const client = tls.connect({ port, host: '127.0.0.1', ca: cert, servername: 'localhost' });
  await once(client, 'secureConnect');
  enableKeepalive(client, options);
  client.setKeepAlive(true, 1000);
  expect(getKeepalive(client)).toEqual(held);
  client.setKeepAlive(false);
  expect(getKeepalive(client).enabled).toBe(false);
  client.destroy();
  server.close();
});

// Where ptrace is forbidden the syscalls cannot be observed; CI installs strace and can.
(straceWorks() ? test : test.skip)(
  'a keepalive http.Agent over several requests: values hold, no keepalive syscall after ours (strace)',
  () => {
    const { stdout, calls } = traceKeepaliveCalls('agent-requests.js', ['6']);
    const { fd, seen } = JSON.parse(stdout) as { fd: number; seen: Array<{ localPort: number }> };
    // One socket, reused for all six requests, reading the configured values every time.
    expect(new Set(seen.map((s) => s.localPort)).size).toBe(1);
    expect(seen.map(({ localPort: _, ...settings }) => settings)).toEqual(
      Array(6).fill({ enabled: true, idle: 6000, interval: 2000, count: 4, userTimeout: 0 }),
    );
    const onClient = calls.filter((call) => call.fd === fd).map((call) => `${call.option}=${call.value}`);
    // Node's own calls at connect (agent keepAlive), then ours once, then nothing more:
    // the agent's and the user's later setKeepAlive calls made no syscall.
    const ours = onClient.indexOf('TCP_KEEPIDLE=6');
    expect(ours).toBeGreaterThan(0);
    expect(onClient.slice(0, ours)).toContain('TCP_KEEPCNT=10');
    expect(onClient.slice(ours)).toEqual(['TCP_KEEPIDLE=6', 'TCP_KEEPINTVL=2', 'TCP_KEEPCNT=4', 'SO_KEEPALIVE=1']);
  },
);


test('a repeated call (the straight line of enableSocket) leaves what a first call leaves: kernel, hold, record, record put back at close', async () => {
  // single: one call, the first-call path; twice: a first call, then the repeated one (the straight line:
  // the test fails when that line leaves out the hold).
  const single = await connectedPair();
  const twice = await connectedPair();
  const last = { idle: 5000, interval: 2000, count: 3 };
  enableKeepalive(single.client, last);
  enableKeepalive(twice.client, { idle: 9000, count: 7 });
  enableKeepalive(twice.client, last);
  expect(getKeepalive(twice.client)).toEqual(getKeepalive(single.client));
  expect(nodeRecordOf(twice.client)).toEqual({ kSetKeepAlive: true, kSetKeepAliveInitialDelay: 5 });
  expect(nodeRecordOf(twice.client)).toEqual(nodeRecordOf(single.client));
  // The hold covers the same fields: the program's call changes neither.
  for (const { client } of [single, twice]) client.setKeepAlive(true, 1000);
  expect(getKeepalive(twice.client)).toEqual({ enabled: true, ...last, userTimeout: 0 });
  expect(getKeepalive(twice.client)).toEqual(getKeepalive(single.client));
  // At close, the record is the program's own on both: its last call, (true, 1 s).
  const closed = [single, twice].map(({ client }) => {
    const seen = new Promise((resolve) => client.once('close', () => resolve(nodeRecordOf(client))));
    client.destroy();
    return seen;
  });
  expect(await Promise.all(closed)).toEqual([
    { kSetKeepAlive: true, kSetKeepAliveInitialDelay: 1 },
    { kSetKeepAlive: true, kSetKeepAliveInitialDelay: 1 },
  ]);
  // Without a call of the program's, the repeated call's record goes back at close too: off, 0.
  const quiet = await connectedPair();
  enableKeepalive(quiet.client, { idle: 9000 });
  enableKeepalive(quiet.client, last);
  const quietClosed = new Promise((resolve) => quiet.client.once('close', () => resolve(nodeRecordOf(quiet.client))));
  quiet.client.destroy();
  expect(await quietClosed).toEqual({ kSetKeepAlive: false, kSetKeepAliveInitialDelay: 0 });
  // And a destroyed socket is refused by the repeated call as by the first.
  expect(() => enableKeepalive(twice.client, last)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
});
