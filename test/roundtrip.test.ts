// Every option and combination, set and read back from the kernel.
import { enableKeepalive, disableKeepalive, getKeepalive, type KeepaliveOptions } from '../src';
import { closeAll, connectedPair, systemDefaults } from './helpers/loopback';
import { ssConnection } from './helpers/ss';

afterEach(closeAll);

const userTimeoutDefault = 0;

describe('a fresh socket', () => {
  test('reports keepalive off and the system defaults from /proc/sys/net/ipv4', async () => {
    const { client, accepted } = await connectedPair();
    const expected = { enabled: false, ...systemDefaults(), userTimeout: userTimeoutDefault };
    expect(getKeepalive(client)).toEqual(expected);
    expect(getKeepalive(accepted)).toEqual(expected);
  });

  test('enableKeepalive(socket) with no options only turns SO_KEEPALIVE on', async () => {
    const { client } = await connectedPair();
    expect(enableKeepalive(client)).toBe(client);
    expect(getKeepalive(client)).toEqual({ enabled: true, ...systemDefaults(), userTimeout: userTimeoutDefault });
  });
});

describe('round trip', () => {
  const full: Required<KeepaliveOptions> = { idle: 11000, interval: 7000, count: 4, userTimeout: 12345 };
  const keys = Object.keys(full) as (keyof KeepaliveOptions)[];
  // All 16 subsets of the four options, each on its own connection.
  const subsets = Array.from({ length: 1 << keys.length }, (_, mask) =>
    keys.filter((_, bit) => mask & (1 << bit)),
  );

  test.each(subsets.map((subset) => [subset.join('+') || '(none)', subset] as const))(
    'options %s: set ones read back, omitted ones keep their value',
    async (_label, subset) => {
      const { client } = await connectedPair();
      const before = getKeepalive(client);
      const options: KeepaliveOptions = {};
      for (const key of subset) options[key] = full[key];
      enableKeepalive(client, options);
      expect(getKeepalive(client)).toEqual({ ...before, enabled: true, ...options });
    },
  );

  test('accepted sockets and IPv6 connections round-trip the same', async () => {
    for (const host of ['127.0.0.1', '::1']) {
      const { client, accepted } = await connectedPair(host);
      enableKeepalive(accepted, full);
      enableKeepalive(client, { idle: 3000 });
      expect(getKeepalive(accepted)).toEqual({ enabled: true, ...full });
      expect(getKeepalive(client).idle).toBe(3000);
    }
  });

  test('the largest values the kernel takes round-trip', async () => {
    const { client } = await connectedPair();
    const max = { idle: 32767000, interval: 32767000, count: 127, userTimeout: 2147483647 };
    enableKeepalive(client, max);
    expect(getKeepalive(client)).toEqual({ enabled: true, ...max });
  });

  test('userTimeout 0 restores the system behaviour', async () => {
    const { client } = await connectedPair();
    enableKeepalive(client, { userTimeout: 5000 });
    enableKeepalive(client, { userTimeout: 0 });
    expect(getKeepalive(client).userTimeout).toBe(0);
  });

  test('later calls change only what they name', async () => {
    const { client } = await connectedPair();
    enableKeepalive(client, full);
    enableKeepalive(client, { count: 9 });
    expect(getKeepalive(client)).toEqual({ enabled: true, ...full, count: 9 });
  });
});

describe('rounding', () => {
  test.each([
    // The smallest positive double: value / 1000 underflows to 0, still held as 1 s.
    [Number.MIN_VALUE, 1000],
    [1, 1000],
    [999, 1000],
    [1000, 1000],
    [1000.5, 2000],
    [1001, 2000],
    [2500, 3000],
    [32766001, 32767000],
  ])('idle and interval %p ms are held as %p ms (whole seconds, rounded up)', async (asked, held) => {
    const { client } = await connectedPair();
    enableKeepalive(client, { idle: asked, interval: asked });
    const settings = getKeepalive(client);
    expect(settings.idle).toBe(held);
    expect(settings.interval).toBe(held);
  });
});

describe('disableKeepalive', () => {
  test('turns SO_KEEPALIVE off and leaves the other options as they are', async () => {
    const { client } = await connectedPair();
    enableKeepalive(client, { idle: 4000, interval: 2000, count: 5, userTimeout: 7000 });
    expect(disableKeepalive(client)).toBe(client);
    expect(getKeepalive(client)).toEqual({ enabled: false, idle: 4000, interval: 2000, count: 5, userTimeout: 7000 });
  });
});

describe('what ss sees', () => {
  // ss reads the socket from the kernel through netlink, independently of this library.
  test('a keepalive timer appears with the idle time asked for, and goes when disabled', async () => {
    const { client } = await connectedPair();
    const timer = () => ssConnection(client.localPort as number, client.remotePort as number)?.timer;
    expect(timer()).toBeUndefined();
    enableKeepalive(client, { idle: 600000 });
    const running = timer();
    expect(running).toMatchObject({ name: 'keepalive', count: 0 });
    // ss prints the time left, such as "9min59sec" or "10min": within the 600 s asked for.
    const left = running?.left ?? '';
    const leftSeconds = Number(/(\d+)min/.exec(left)?.[1] ?? 0) * 60 + Number(/(\d+)(?:\.\d+)?sec/.exec(left)?.[1] ?? 0);
    expect(leftSeconds).toBeGreaterThan(590);
    expect(leftSeconds).toBeLessThanOrEqual(600);
    disableKeepalive(client);
    expect(timer()).toBeUndefined();
  });
});
