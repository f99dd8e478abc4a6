// Property-based: random option objects on random targets. Every call either
// succeeds and the kernel reads back exactly the rounded request, or throws an
// error with a string code (the one an independent model predicts) and every
// option reads back as it was.
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { Duplex } from 'node:stream';
import fc from 'fast-check';
import { enableKeepalive, disableKeepalive, getKeepalive, type KeepaliveSettings } from '../src';
import { listen, systemDefaults } from './helpers/loopback';

const KEYS = ['idle', 'interval', 'count', 'userTimeout'] as const;
type Key = (typeof KEYS)[number];
const MAX_SECONDS_MS = 32767 * 1000;

// ---- the model: what a call must do, decided without the library's code ----

/** Whether `value` is acceptable for `key`, and what the kernel then holds (ms or count). */
function modelValue(key: Key, value: unknown): { code: string } | { held: number } {
  if (typeof value !== 'number') return { code: 'ERR_INVALID_ARG_TYPE' };
  if (key === 'idle' || key === 'interval') {
    // Rounded up to whole seconds, never to 0 (the README's promise).
    return value > 0 && value <= MAX_SECONDS_MS ? { held: Math.max(1, Math.ceil(value / 1000)) * 1000 } : { code: 'ERR_OUT_OF_RANGE' };
  }
  const [min, max] = key === 'count' ? [1, 127] : [0, 2 ** 31 - 1];
  return Number.isInteger(value) && value >= min && value <= max ? { held: value } : { code: 'ERR_OUT_OF_RANGE' };
}

/** The first error code the options must raise, or the settings they must apply. */
function modelOptions(options: unknown): { code: string } | { applied: Partial<Record<Key, number>> } {
  if (options === undefined) return { applied: {} };
  if (typeof options !== 'object' || options === null || Array.isArray(options)) return { code: 'ERR_INVALID_ARG_TYPE' };
  const applied: Partial<Record<Key, number>> = {};
  // Unknown own keys first, then the options in a fixed order, whatever the key order.
  if (Object.keys(options).some((key) => !(KEYS as readonly string[]).includes(key))) return { code: 'ERR_INVALID_ARG_VALUE' };
  for (const key of KEYS) {
    const value = (options as Record<string, unknown>)[key];
    if (value === undefined) continue;
    const outcome = modelValue(key as Key, value);
    if ('code' in outcome) return outcome;
    applied[key as Key] = outcome.held;
  }
  return { applied };
}

// ---- generators ----

const validValue: Record<Key, fc.Arbitrary<number>> = {
  idle: fc.oneof(fc.integer({ min: 1, max: MAX_SECONDS_MS }), fc.double({ min: 0, max: MAX_SECONDS_MS, minExcluded: true, noNaN: true })),
  interval: fc.oneof(fc.integer({ min: 1, max: MAX_SECONDS_MS }), fc.double({ min: 0, max: MAX_SECONDS_MS, minExcluded: true, noNaN: true })),
  count: fc.integer({ min: 1, max: 127 }),
  userTimeout: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
};
const badNumber: Record<Key, fc.Arbitrary<number>> = {
  idle: fc.constantFrom(0, -0, -1, -1e-9, NaN, Infinity, -Infinity, MAX_SECONDS_MS + 1, 1e10, Number.MAX_VALUE),
  interval: fc.constantFrom(0, -1000, NaN, Infinity, MAX_SECONDS_MS + 0.5, 2 ** 53),
  count: fc.oneof(fc.constantFrom(0, 128, -1, 2.5, NaN, Infinity, 2 ** 31), fc.double({ min: 1.0001, max: 126.9999, noNaN: true }).filter((v) => !Number.isInteger(v))),
  userTimeout: fc.constantFrom(-1, 2 ** 31, 10.5, NaN, -Infinity, Infinity, Number.MIN_VALUE),
};
const wrongType = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.boolean(),
  fc.constant(null),
  fc.bigInt({ min: -10n, max: 10n }),
  fc.constant({}),
  fc.constant([1000]),
  fc.constant(() => 1000),
  fc.constant(Symbol('value')),
  fc.constant(new Number(1000)),
);
const valueFor = (key: Key): fc.Arbitrary<unknown> =>
  fc.oneof({ arbitrary: validValue[key], weight: 6 }, { arbitrary: badNumber[key], weight: 1 }, { arbitrary: wrongType, weight: 1 }, { arbitrary: fc.constant(undefined), weight: 1 });
// 'enabled' is accepted too (what getKeepalive returns may be passed): tested in validation.test.ts.
const unknownKey = fc.string({ minLength: 1, maxLength: 10 }).filter((key) => !(KEYS as readonly string[]).includes(key) && key !== 'enabled');

const optionObject: fc.Arbitrary<object> = fc
  .tuple(
    fc.subarray([...KEYS]).chain((keys) => fc.tuple(...keys.map((key) => valueFor(key).map((value) => [key, value] as const)))),
    fc.option(fc.tuple(unknownKey, fc.anything()), { freq: 8 }),
    fc.nat(),
  )
  .map(([entries, extra, seed]) => {
    const all: Array<readonly [string, unknown]> = [...entries];
    if (extra !== null) all.splice(seed % (all.length + 1), 0, extra);
    return Object.fromEntries(all);
  });
const options = fc.oneof(
  { arbitrary: optionObject, weight: 12 },
  { arbitrary: fc.constant(undefined), weight: 1 },
  { arbitrary: fc.constantFrom(null, 5000, 'idle=5', [5000], true, () => ({ idle: 5000 })), weight: 1 },
);

// ---- targets ----

let server: net.Server;
let port: number;
let server6: net.Server;
let port6: number;
let unixServer: net.Server;
const unixPath = path.join(os.tmpdir(), `tcp-keepalive-property-${process.pid}.sock`);
const accepted: net.Socket[] = [];
const opened = new Set<net.Socket>();

beforeAll(async () => {
  server = net.createServer((socket) => accepted.push(socket));
  port = await listen(server);
  server6 = net.createServer((socket) => accepted.push(socket));
  port6 = await listen(server6, '::1');
  unixServer = net.createServer((socket) => opened.add(socket)).listen(unixPath);
  await once(unixServer, 'listening');
});
afterEach(() => {
  for (const socket of [...opened, ...accepted.splice(0)]) socket.destroy();
  opened.clear();
});
afterAll(async () => {
  await Promise.all([server, server6, unixServer].map((s) => new Promise((resolve) => s.close(resolve))));
});

const track = <S extends net.Socket>(socket: S): S => {
  opened.add(socket);
  return socket;
};

async function connectedClient(host = '127.0.0.1'): Promise<{ client: net.Socket; peer: net.Socket }> {
  const client = track(net.connect(host === '::1' ? port6 : port, host));
  await once(client, 'connect');
  // Sockets left connecting by earlier runs may be accepted meanwhile: find this one's peer by port.
  const peerOf = () => accepted.find((socket) => socket.remotePort === client.localPort && socket.remoteAddress === client.localAddress);
  while (peerOf() === undefined) await new Promise((resolve) => setImmediate(resolve));
  return { client, peer: track(peerOf() as net.Socket) };
}

type TargetKind = 'client' | 'accepted' | 'client6' | 'connecting' | 'unconnected' | 'destroyed' | 'errored' | 'unix' | 'hollow' | 'not a socket';
const targetKinds: TargetKind[] = ['client', 'accepted', 'client6', 'connecting', 'unconnected', 'destroyed', 'errored', 'unix', 'hollow', 'not a socket'];
// Neither a socket nor a server or agent (those are targets of their own).
const notSockets = [undefined, null, 7, 'socket', {}, { _handle: { fd: 0 } }, new Duplex()];
/** Passes instanceof net.Socket but was never constructed: no state at all. */
const hollowSocket = Object.create(net.Socket.prototype) as net.Socket;

interface Target {
  kind: TargetKind;
  value: unknown;
}

async function makeTarget(kind: TargetKind, pick: number): Promise<Target> {
  switch (kind) {
    case 'client':
      return { kind, value: (await connectedClient()).client };
    case 'accepted':
      return { kind, value: (await connectedClient()).peer };
    case 'client6':
      return { kind, value: (await connectedClient('::1')).client };
    case 'connecting':
      return { kind, value: track(net.connect(port, '127.0.0.1')) };
    case 'unconnected':
      return { kind, value: track(new net.Socket()) };
    case 'destroyed': {
      const { client } = await connectedClient();
      client.destroy();
      return { kind, value: client };
    }
    case 'errored': {
      const { client, peer } = await connectedClient();
      client.on('error', () => {});
      const closed = new Promise((resolve) => client.once('close', resolve));
      peer.resetAndDestroy();
      await closed;
      return { kind, value: client };
    }
    case 'unix': {
      const client = track(net.connect(unixPath));
      await once(client, 'connect');
      return { kind, value: client };
    }
    case 'hollow':
      return { kind, value: hollowSocket };
    case 'not a socket':
      return { kind, value: notSockets[pick % notSockets.length] };
  }
}

const expectedTargetCode = (kind: TargetKind): string | undefined =>
  ({ 'not a socket': 'ERR_INVALID_ARG_TYPE', destroyed: 'ERR_SOCKET_CLOSED', errored: 'ERR_SOCKET_CLOSED', unix: 'ERR_INVALID_ARG_VALUE', hollow: 'ERR_INVALID_ARG_VALUE' })[
    kind as string
  ];

function attempt(call: () => unknown): { error?: unknown } {
  try {
    call();
    return {};
  } catch (error) {
    return { error };
  }
}

const listenerCounts = (socket: net.Socket) => ['connect', 'close', 'error'].map((event) => socket.listenerCount(event));

test('enableKeepalive/disableKeepalive: success reads back the rounded request, failure has the predicted code and changes nothing', async () => {
  const defaults = systemDefaults();
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...targetKinds), fc.nat(), options, fc.boolean(), async (kind, pick, opts, disable) => {
      const target = await makeTarget(kind, pick);
      const socket = target.value as net.Socket;
      const connected = ['client', 'accepted', 'client6'].includes(kind);
      const deferred = kind === 'connecting' || kind === 'unconnected';
      const before: KeepaliveSettings | undefined = connected ? getKeepalive(socket) : undefined;
      const listenersBefore = deferred ? listenerCounts(socket) : [];

      const model = disable ? { applied: {} } : modelOptions(opts);
      // Argument type first, then the options, then the socket's state.
      const targetCode = expectedTargetCode(kind);
      const expectedCode =
        kind === 'not a socket' ? targetCode : 'code' in model ? model.code : targetCode;
      const { error } = attempt(() => (disable ? disableKeepalive(socket) : enableKeepalive(socket, opts as object)));

      if (expectedCode !== undefined) {
        expect(error).toBeInstanceOf(Error);
        expect(typeof (error as { code?: unknown }).code).toBe('string');
        expect((error as { code: string }).code).toBe(expectedCode);
        if (before) expect(getKeepalive(socket)).toEqual(before);
        if (deferred) expect(listenerCounts(socket)).toEqual(listenersBefore);
        if (kind === 'connecting') {
          await once(socket, 'connect');
          expect(getKeepalive(socket)).toEqual({ enabled: false, ...defaults, userTimeout: 0 });
        }
        return;
      }
      expect(error).toBeUndefined();
      const applied = 'applied' in model ? model.applied : {};
      if (connected) {
        expect(getKeepalive(socket)).toEqual({ ...before, ...applied, enabled: !disable });
      } else if (kind === 'connecting') {
        await once(socket, 'connect');
        expect(getKeepalive(socket)).toEqual({ ...defaults, userTimeout: 0, ...applied, enabled: !disable });
        // Enabled: one 'close' listener, which clears Node's record when the connection ends.
        const [connect, close, errorListeners] = listenersBefore;
        expect(listenerCounts(socket)).toEqual([connect, disable ? close : close + 1, errorListeners]);
      } else if (kind === 'unconnected') {
        // Never connected: destroying it must take the deferred listeners away.
        socket.destroy();
        await once(socket, 'close');
        expect(listenerCounts(socket)).toEqual([0, 0, 0]);
      }
    }),
    { numRuns: 300 },
  );
});

test('getKeepalive on random targets returns settings or throws a coded error', async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...targetKinds), fc.nat(), async (kind, pick) => {
      const target = await makeTarget(kind, pick);
      const { error } = attempt(() => getKeepalive(target.value as net.Socket));
      const expected = kind === 'connecting' || kind === 'unconnected' ? 'TCP_KEEPALIVE_SOCKET_CONNECTING' : expectedTargetCode(kind);
      if (expected === undefined) expect(error).toBeUndefined();
      else expect(error).toMatchObject({ code: expected });
    }),
    { numRuns: 60 },
  );
});

// A random sequence of calls on one connected socket, Node's own setKeepAlive
// among them, checked after every step against a model of the kernel's state.
type Action =
  | { kind: 'enable'; options: unknown }
  | { kind: 'disable' }
  | { kind: 'nodeOn'; delay: number }
  | { kind: 'nodeOff' };

const action: fc.Arbitrary<Action> = fc.oneof(
  { arbitrary: options.map((o) => ({ kind: 'enable' as const, options: o })), weight: 5 },
  { arbitrary: fc.constant({ kind: 'disable' as const }), weight: 1 },
  // Node's setKeepAlive(true, 0) makes TCP_KEEPIDLE fail silently; whole seconds from 1 s.
  { arbitrary: fc.integer({ min: 1, max: 9 }).map((s) => ({ kind: 'nodeOn' as const, delay: s * 1000 })), weight: 2 },
  { arbitrary: fc.constant({ kind: 'nodeOff' as const }), weight: 1 },
);

test('sequences of calls, with Node\'s setKeepAlive among them, match a model of the kernel state at every step', async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom('client', 'accepted'), fc.array(action, { minLength: 1, maxLength: 12 }), async (side, actions) => {
      const pair = await connectedClient();
      const socket = side === 'client' ? pair.client : pair.peer;
      let state: KeepaliveSettings = getKeepalive(socket);
      // The fields enableKeepalive holds, and Node's own record (which makes it skip repeated calls).
      let held: Partial<Pick<KeepaliveSettings, 'idle' | 'interval' | 'count'>> = {};
      let record = { enabled: false, delay: 0 };
      for (const step of actions) {
        if (step.kind === 'enable') {
          const model = modelOptions(step.options);
          const { error } = attempt(() => enableKeepalive(socket, step.options as object));
          if ('code' in model) {
            expect(error).toMatchObject({ code: model.code });
          } else {
            expect(error).toBeUndefined();
            state = { ...state, ...model.applied, enabled: true };
            const { idle, interval, count } = model.applied;
            held = { ...held, ...(idle === undefined ? {} : { idle }), ...(interval === undefined ? {} : { interval }), ...(count === undefined ? {} : { count }) };
            record = { enabled: true, delay: held.idle ?? 0 };
          }
        } else if (step.kind === 'disable') {
          disableKeepalive(socket);
          state = { ...state, enabled: false };
          held = {};
          record = { enabled: false, delay: 0 };
        } else if (step.kind === 'nodeOn') {
          socket.setKeepAlive(true, step.delay);
          // Node skips a call its record already shows. Otherwise libuv sets
          // idle and forces interval 1 s, count 10, and the held fields are
          // written again; with all three held, nothing changes at all.
          const skipped = record.enabled && record.delay === step.delay;
          record = { enabled: true, delay: step.delay };
          const allHeld = held.idle !== undefined && held.interval !== undefined && held.count !== undefined;
          if (!skipped && !allHeld) state = { ...state, enabled: true, idle: step.delay, interval: 1000, count: 10, ...held };
        } else {
          socket.setKeepAlive(false);
          state = { ...state, enabled: false };
          held = {};
          record = { enabled: false, delay: 0 };
        }
        expect(getKeepalive(socket)).toEqual(state);
      }
    }),
    { numRuns: 150 },
  );
});
