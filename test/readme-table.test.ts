// The README's opening claims, each shown on the Node that runs this file (CI
// runs it on Node 20, 22, 24 and 26): the Linux defaults and the time they
// take, and every row of "Why not `socket.setKeepAlive()`?", on real loopback
// sockets read back with the addon itself (never through the library). Each
// row's text is checked too, so the README and this test change together.
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { getSystemErrorName } from 'node:util';
import { closeAll, connectedPair, fdOf } from './helpers/loopback';
import { binding } from './helpers/native';
import { namespaceTest } from './helpers/namespaces';
import { detectionTime, enableKeepalive, getKeepalive } from '../src';

afterEach(closeAll);

const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

/** The README's row of the table whose first cell is `first`: its other two cells. */
function row(first: string): [string, string] {
  const line = readme.split('\n').find((text) => text.startsWith(`| ${first} |`));
  if (line === undefined) throw new Error(`README.md has no table row "${first}"`);
  const cells = line.split(' | ').map((cell) => cell.replace(/^\| |\s*\|$/g, ''));
  return [cells[1], cells[2]];
}

/** What the kernel holds for `socket`, read by the addon directly. */
function kernel(socket: net.Socket): { enabled: boolean; idle: number; interval: number; count: number; userTimeout: number } {
  const out = new Int32Array(5);
  expect(binding.get(fdOf(socket), out)).toBe(0);
  return { idle: out[0] * 1000, interval: out[1] * 1000, count: out[2], userTimeout: out[3], enabled: out[4] === 1 };
}

/** Sets interval and count (seconds, probes) on the socket directly, as if the program had, without the library's hold. */
function setDirectly(socket: net.Socket, intervalSeconds: number, count: number): void {
  expect(binding.set(fdOf(socket), -1, intervalSeconds, count, -1, 1)).toBe(0);
}

/** The versions the README names: Node's setKeepAlive takes interval and count from 24.19 and 26.4 on (changelogs). */
const [major, minor] = process.versions.node.split('.').map(Number);
const takesIntervalAndCount = major >= 27 || (major === 26 && minor >= 4) || (major === 24 && minor >= 19);

/** Node's setKeepAlive with interval and count, where it takes them (not typed in @types/node 20). */
const setKeepAlive4 = (socket: net.Socket, ...args: [boolean, number, number, number]): unknown =>
  (socket.setKeepAlive as unknown as (...a: unknown[]) => unknown).apply(socket, args);

test('"with the Linux defaults (idle 7200 s, interval 75 s, 9 probes) it notices after 2 h 11 min 15 s"', () => {
  expect(readme).toContain('the Linux defaults (idle 7200 s, interval 75 s, 9 probes) it notices after\n2 h 11 min 15 s');
  expect(detectionTime({ idle: 7200_000, interval: 75_000, count: 9 })).toBe(((2 * 60 + 11) * 60 + 15) * 1000);
});

namespaceTest('those are the defaults of a fresh network namespace, and data in flight is retried 15 times ("up to ~15 minutes")', () => {
  expect(readme).toContain('(up to ~15 minutes with Linux\ndefaults)');
  const read = (name: string) => `$(cat /proc/sys/net/ipv4/${name})`;
  const out = execFileSync('unshare', ['-n', 'sh', '-c', `echo ${['tcp_keepalive_time', 'tcp_keepalive_intvl', 'tcp_keepalive_probes', 'tcp_retries2'].map(read).join(' ')}`], {
    encoding: 'utf8',
  });
  // tcp_retries2 = 15: about 924.6 s of retransmissions with RTO from 200 ms to its 120 s cap (tcp(7)).
  expect(out.trim().split(' ').map(Number)).toEqual([7200, 75, 9, 15]);
});

test('idle time before the first probe: "yes" | `idle`', async () => {
  expect(row('idle time before the first probe')).toEqual(['yes', '`idle`']);
  const { client, accepted } = await connectedPair();
  client.setKeepAlive(true, 5000);
  enableKeepalive(accepted, { idle: 6000 });
  expect(kernel(client)).toMatchObject({ enabled: true, idle: 5000 });
  expect(kernel(accepted)).toMatchObject({ enabled: true, idle: 6000 });
});

test(`interval and count: forced to 1 s and 10 by setKeepAlive on Node 20, 22 and 24 before 24.19, 26 before 26.4; later optional (here ${process.version})`, async () => {
  expect(row('interval between probes')).toEqual([
    'forced to 1 s (Node 20, 22, 24 before 24.19, 26 before 26.4; later: an optional argument)',
    '`interval`',
  ]);
  expect(row('probes before the connection is dropped')).toEqual(['forced to 10 (same versions)', '`count`']);
  const { client, accepted } = await connectedPair();
  setDirectly(client, 4, 6);
  client.setKeepAlive(true, 5000);
  expect(kernel(client)).toMatchObject({ idle: 5000, interval: 1000, count: 10 });
  // Where Node takes them, in milliseconds; elsewhere the extra arguments are ignored.
  setKeepAlive4(accepted, true, 5000, 3000, 4);
  expect(kernel(accepted)).toMatchObject(takesIntervalAndCount ? { idle: 5000, interval: 3000, count: 4 } : { idle: 5000, interval: 1000, count: 10 });
  enableKeepalive(client, { interval: 2000, count: 3 });
  expect(kernel(client)).toMatchObject({ interval: 2000, count: 3 });
});

test('TCP_USER_TIMEOUT: setKeepAlive has no way to set it | `userTimeout`', async () => {
  expect(row('timeout for unacknowledged data (`TCP_USER_TIMEOUT`)')).toEqual(['no', '`userTimeout`']);
  const { client, accepted } = await connectedPair();
  // Whatever Node passes on (a fifth argument included), the user timeout stays the system's.
  (client.setKeepAlive as unknown as (...a: unknown[]) => unknown).call(client, true, 5000, 1000, 10, 3000);
  expect(kernel(client).userTimeout).toBe(0);
  enableKeepalive(accepted, { userTimeout: 3000 });
  expect(kernel(accepted).userTimeout).toBe(3000);
});

test('errors: setKeepAlive swallows them, even EINVAL | thrown, Node-shaped', async () => {
  expect(row('errors')).toEqual(['swallowed (even `EINVAL`)', 'thrown, Node-shaped']);
  const { client, accepted } = await connectedPair();
  client.setKeepAlive(true, 5000);
  // 40 000 s is above Linux's 32 767 s limit of TCP_KEEPIDLE: the handle's own call says EINVAL...
  const handle = (client as unknown as { _handle: { setKeepAlive(enable: boolean, seconds: number): number } })._handle;
  expect(getSystemErrorName(handle.setKeepAlive(true, 40_000))).toBe('EINVAL');
  // ...and the public method returns the socket as if it had worked, the kernel still at 5 s.
  expect(client.setKeepAlive(true, 40_000_000)).toBe(client);
  expect(kernel(client).idle).toBe(5000);
  expect(() => enableKeepalive(accepted, { idle: 40_000_000 })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
});

test('read the effective values back: no such method on a socket | getKeepalive(socket)', async () => {
  expect(row('read the effective values back')).toEqual(['no', '`getKeepalive(socket)`']);
  const { client } = await connectedPair();
  const methods = Object.getOwnPropertyNames(net.Socket.prototype).filter((name) => /keep.?alive/i.test(name));
  expect(methods).toEqual(['setKeepAlive']);
  enableKeepalive(client, { idle: 5000, interval: 2000, count: 3 });
  expect(getKeepalive(client)).toEqual({ ...kernel(client), userTimeout: 0 });
});

test("Node's later calls: each resets interval and count | the fields you gave are held", async () => {
  expect(row("survives Node's later calls (`http.Agent` calls `setKeepAlive` per request)")).toEqual([
    'each call resets interval and count',
    'the fields you gave are held',
  ]);
  const { client, accepted } = await connectedPair();
  setDirectly(client, 2, 3);
  client.setKeepAlive(true, 7000);
  expect(kernel(client)).toMatchObject({ idle: 7000, interval: 1000, count: 10 });
  enableKeepalive(accepted, { interval: 2000, count: 3 });
  accepted.setKeepAlive(true, 7000);
  expect(kernel(accepted)).toMatchObject({ idle: 7000, interval: 2000, count: 3 });
});
