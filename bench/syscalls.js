// Per-call cost of setting and reading keepalive options: this library against
// the same syscalls in C (the floor), the addon alone, the least JavaScript
// that makes the same checks (least-js.js), Node's setKeepAlive and the peers.
// Run by bench/run.js as: node syscalls.js FLOOR_BINARY FLOOR_ADDON ROUNDS ITERATIONS [paired]
// (FLOOR_ADDON: the compiled floor-addon.c, or "unavailable: why"; `paired`:
// only the ratios measured in pairs, which run.js repeats in fresh processes)
// Prints one JSON object; progress on stderr. The floor binary gets a deadline
// per run (below), the loopback sockets one per wait (bench/lib.js loopback).
'use strict';
const { enableKeepalive, getKeepalive } = require('..');
// The addon on its own, to split the library's cost into the native crossing
// and the JavaScript around it (validation, handle checks, holding settings).
const loaded = require('../dist/core/binding').loadBinding();
if (loaded.binding === null) throw loaded.failure;
const { binding } = loaded;
const { median, timePerCall, interleave, loopback, loadPeer, spawnWithin, progress, elapsed, fail } = require('./lib');
const { leastSet } = require('./least-js');

const [floorBinary, floorAddonPath, roundsArg, iterationsArg, mode] = process.argv.slice(2);
const rounds = Number(roundsArg);
const iterations = Number(iterationsArg);
const pairedOnly = mode === 'paired';
if (!floorBinary || !floorAddonPath || !Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(iterations) || iterations < 1 || (mode !== undefined && !pairedOnly)) {
  console.error(`usage: node bench/syscalls.js FLOOR_BINARY FLOOR_ADDON ROUNDS ITERATIONS [paired] (got: ${process.argv.slice(2).join(' ')})`);
  process.exit(2);
}
const floorAddon = floorAddonPath.startsWith('unavailable') ? { error: floorAddonPath.slice('unavailable: '.length) } : { module: require(floorAddonPath) };
const name = 'syscalls';
// One run of the C floor: 20 000 iterations take a few milliseconds.
const floorMs = 30000;

// Linux's option numbers, for the peers that take raw numbers (sockopt).
const SOL_SOCKET = 1;
const SO_KEEPALIVE = 9;
const IPPROTO_TCP = 6;
const TCP_KEEPIDLE = 4;
const TCP_KEEPINTVL = 5;
const TCP_KEEPCNT = 6;
const TCP_USER_TIMEOUT = 18;

/** The two option sets every contender alternates between, so every call really sets. */
const optionSets = [
  { idle: 5000, interval: 2000, count: 3 },
  { idle: 6000, interval: 3000, count: 4 },
];
const seconds = optionSets.map(({ idle, interval, count }) => ({ idle: idle / 1000, interval: interval / 1000, count }));

function floor(mode) {
  const child = spawnWithin(name, floorMs, `the C floor (${floorBinary} ${mode} ${iterations})`, floorBinary, [mode, String(iterations)], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`${floorBinary} ${mode} failed: ${child.stderr || child.signal}`);
  return Number(child.stdout.trim());
}

/** What a socket reads back after the last of `iterations` calls with optionSets. */
const lastSet = optionSets[(iterations - 1) & 1];

function expectSettings(socket, expected) {
  const actual = getKeepalive(socket);
  for (const [key, value] of Object.entries(expected)) {
    if (actual[key] !== value) return `read back ${key}=${actual[key]}, expected ${value}`;
  }
  return 'ok';
}

async function main() {
  const began = Date.now();
  const net = await loopback(name);
  // sockopt takes raw option numbers, and the ones above are Linux's.
  const sockopt = process.platform === 'linux' ? loadPeer('sockopt') : { error: 'its option numbers are written here for Linux only' };
  const netKeepalive = loadPeer('net-keepalive');
  const socketFor = async () => (await net.pair()).client;
  // The library, the addon alone, the least JavaScript and the C loop inside
  // Node set the same values on one socket, in turns: the kernel's cost per
  // call differs from one socket to the next by up to ±5 % (the same calls on
  // two sockets of one process), more than the 5 % the library's target
  // allows, and on one socket by about ±1 %. Node's setKeepAlive and the peers
  // each work on a socket of their own, which this library never touched.
  const shared = await socketFor();

  /** Other values, keepalive off: what each contender on the shared socket starts from (checked, so a failed reset cannot pass another's read-back). */
  const resetShared = (c) => {
    const status = binding.set(shared._handle.fd, 9, 9, 9, -1, 0);
    if (status !== 0) throw new Error(`could not reset the shared socket before ${c.name} (status ${status})`);
  };

  const peer = (loaded, fields) => (loaded.error ? { ...fields, unavailable: loaded.error } : fields);

  const setContenders = [
    { name: 'floor', label: 'C loop: 4 × setsockopt (the floor)', syscalls: 4, measure: () => floor('set') },
    peer(floorAddon, {
      name: 'inside',
      label: 'the same C loop inside this Node process',
      syscalls: 4,
      socket: shared,
      measure() {
        return floorAddon.module.setLoop(this.socket._handle.fd, iterations);
      },
      check() {
        return expectSettings(this.socket, { enabled: true, ...lastSet });
      },
    }),
    {
      name: 'library',
      label: 'enableKeepalive(s, { idle, interval, count })',
      syscalls: 4,
      socket: shared,
      call(i) {
        enableKeepalive(this.socket, optionSets[i & 1]);
      },
      check() {
        return expectSettings(this.socket, { enabled: true, ...lastSet });
      },
    },
    {
      name: 'native',
      label: 'of which the addon alone: binding.set(fd, …)',
      syscalls: 4,
      socket: shared,
      call(i) {
        const s = seconds[i & 1];
        binding.set(this.socket._handle.fd, s.idle, s.interval, s.count, -1, 1);
      },
      check() {
        return expectSettings(this.socket, { enabled: true, ...lastSet });
      },
    },
    (() => {
      const socket = shared;
      const enable = leastSet(binding, socket);
      return {
        name: 'least-js',
        label: 'the least JavaScript doing the same checks (least-js.js)',
        syscalls: 4,
        socket,
        call(i) {
          enable(socket, optionSets[i & 1]);
        },
        check() {
          return expectSettings(socket, { enabled: true, ...lastSet });
        },
      };
    })(),
    {
      name: 'node',
      label: 'socket.setKeepAlive(true, delay), alternating delay',
      syscalls: 4,
      socket: await socketFor(),
      call(i) {
        this.socket.setKeepAlive(true, optionSets[i & 1].idle);
      },
      check() {
        // libuv forces interval 1 s and count 10.
        return expectSettings(this.socket, { enabled: true, idle: lastSet.idle, interval: 1000, count: 10 });
      },
    },
    peer(sockopt, {
      name: 'sockopt',
      label: `sockopt${sockopt.version ? `@${sockopt.version}` : ''}: 4 × setsockopt(s, …)`,
      syscalls: 4,
      socket: await socketFor(),
      call(i) {
        const s = seconds[i & 1];
        const { setsockopt } = sockopt.module;
        setsockopt(this.socket, IPPROTO_TCP, TCP_KEEPIDLE, s.idle);
        setsockopt(this.socket, IPPROTO_TCP, TCP_KEEPINTVL, s.interval);
        setsockopt(this.socket, IPPROTO_TCP, TCP_KEEPCNT, s.count);
        setsockopt(this.socket, SOL_SOCKET, SO_KEEPALIVE, 1);
      },
      check() {
        return expectSettings(this.socket, { enabled: true, ...lastSet });
      },
    }),
    peer(netKeepalive, {
      name: 'net-keepalive',
      label: `net-keepalive${netKeepalive.version ? `@${netKeepalive.version}` : ''}: interval + probes (all it sets)`,
      syscalls: 2,
      socket: await socketFor(),
      call(i) {
        const o = optionSets[i & 1];
        netKeepalive.module.setKeepAliveInterval(this.socket, o.interval);
        netKeepalive.module.setKeepAliveProbes(this.socket, o.count);
      },
      check() {
        return expectSettings(this.socket, { interval: lastSet.interval, count: lastSet.count });
      },
    }),
    peer(netKeepalive, {
      name: 'node+net-keepalive',
      label: 'setKeepAlive + net-keepalive (the full set its README asks for)',
      syscalls: 6,
      socket: await socketFor(),
      call(i) {
        const o = optionSets[i & 1];
        this.socket.setKeepAlive(true, o.idle);
        netKeepalive.module.setKeepAliveInterval(this.socket, o.interval);
        netKeepalive.module.setKeepAliveProbes(this.socket, o.count);
      },
      check() {
        return expectSettings(this.socket, { enabled: true, ...lastSet });
      },
    }),
  ];

  const getSocket = await socketFor();
  enableKeepalive(getSocket, { idle: 7000, interval: 3000, count: 5, userTimeout: 9000 });
  const expectedGet = getKeepalive(getSocket);
  let sink = 0;
  const rawOut = new Int32Array(5);
  const getContenders = [
    { name: 'floor', label: 'C loop: 5 × getsockopt (the floor)', syscalls: 5, measure: () => floor('get') },
    peer(floorAddon, {
      name: 'inside',
      label: 'the same C loop inside this Node process',
      syscalls: 5,
      measure: () => floorAddon.module.getLoop(getSocket._handle.fd, iterations),
    }),
    {
      name: 'library',
      label: 'getKeepalive(s)',
      syscalls: 5,
      call() {
        sink += getKeepalive(getSocket).count;
      },
      check: () => expectSettings(getSocket, expectedGet),
    },
    {
      name: 'native',
      label: 'of which the addon alone: binding.get(fd, out)',
      syscalls: 5,
      call() {
        binding.get(getSocket._handle.fd, rawOut);
        sink += rawOut[2];
      },
      check: () => (rawOut[2] === expectedGet.count ? 'ok' : `read count=${rawOut[2]}`),
    },
    peer(sockopt, {
      name: 'sockopt',
      label: 'sockopt: 5 × getsockopt(s, …)',
      syscalls: 5,
      call() {
        const { getsockopt } = sockopt.module;
        sink +=
          getsockopt(getSocket, SOL_SOCKET, SO_KEEPALIVE) +
          getsockopt(getSocket, IPPROTO_TCP, TCP_KEEPIDLE) +
          getsockopt(getSocket, IPPROTO_TCP, TCP_KEEPINTVL) +
          getsockopt(getSocket, IPPROTO_TCP, TCP_KEEPCNT) +
          getsockopt(getSocket, IPPROTO_TCP, TCP_USER_TIMEOUT);
      },
      check() {
        const { getsockopt } = sockopt.module;
        const count = getsockopt(getSocket, IPPROTO_TCP, TCP_KEEPCNT);
        return count === expectedGet.count ? 'ok' : `read count=${count}`;
      },
    }),
    peer(netKeepalive, {
      name: 'net-keepalive',
      label: 'net-keepalive: interval + probes + user timeout (all it reads)',
      syscalls: 3,
      call() {
        const m = netKeepalive.module;
        sink += m.getKeepAliveInterval(getSocket) + m.getKeepAliveProbes(getSocket) + m.getUserTimeout(getSocket);
      },
      check() {
        const m = netKeepalive.module;
        const read = [m.getKeepAliveInterval(getSocket), m.getKeepAliveProbes(getSocket), m.getUserTimeout(getSocket)];
        const want = [expectedGet.interval, expectedGet.count, expectedGet.userTimeout];
        return read.every((v, k) => v === want[k]) ? 'ok' : `read ${read}, expected ${want}`;
      },
    }),
  ];

  const run = (what, contenders) => {
    const live = contenders.filter((c) => !c.unavailable);
    for (const c of live) if (!c.measure) c.measure = () => timePerCall((i) => c.call(i), iterations);
    // Warm-up: let the JIT settle every JavaScript path before timing.
    progress(name, `${what}: warm-up, ${live.length} contenders × ${iterations} calls`);
    for (let k = 0; k < 3; k++) for (const c of live) if (c.call) c.measure();
    // On the shared socket, every contender's read-back must show its own
    // writes: before each measurement the socket gets other values, with
    // keepalive off; the check runs right after (neither is timed).
    const samples = interleave(
      live,
      rounds,
      (c) => {
        if (c.socket === shared) resetShared(c);
        const ns = c.measure();
        if (c.check) c.checked = c.check();
        return ns;
      },
      (r) => progress(name, `${what}: round ${r}/${rounds}, ${live.length} contenders × ${iterations} calls (${elapsed(began)} so far)`),
    );
    for (const c of live) if (samples[c.name].some((ns) => !(ns > 0))) throw new Error(`${c.name}: a round failed (${samples[c.name]})`);
    return contenders.map((c) => ({
      name: c.name,
      label: c.label,
      syscalls: c.syscalls,
      ...(c.unavailable
        ? { unavailable: c.unavailable }
        : { ns: median(samples[c.name]), min: Math.min(...samples[c.name]), max: Math.max(...samples[c.name]), check: c.checked ?? 'ok' }),
    }));
  };

  /**
   * The library and the least JavaScript once more, as ratios to the addon
   * alone measured in pairs: short blocks of calls in turns on one socket,
   * each block's time divided by the addon's block of the same round, and
   * the median of those ratios. A slow moment of a shared machine then
   * weighs on both sides of a ratio alike (a median of each contender's own
   * times, as in the tables, lets it fall on one side). The addon timed
   * twice is the control: its ratio to itself shows what this measure can
   * resolve. `before` runs before each block (setting: the shared socket
   * reset), `after` checks its read-back (every block must show its own).
   */
  const paired = (what, contenders, before, after) => {
    const [baseline] = contenders;
    const again = { ...baseline, name: 'native-again' };
    const all = [baseline, again, ...contenders.slice(1)];
    const pairedRounds = rounds * 10;
    const calls = Math.max(1, Math.round(iterations / 10));
    // Warm-up, as in run(): in a process of its own (`paired`), nothing has run before.
    for (let k = 0; k < 3; k++) {
      for (const c of all) {
        before(c);
        timePerCall((i) => c.call(i), iterations);
      }
    }
    const samples = interleave(
      all,
      pairedRounds,
      (c) => {
        before(c);
        const ns = timePerCall((i) => c.call(i), calls);
        const checked = after(c, calls);
        if (checked !== 'ok') throw new Error(`${what} in pairs, ${c.name}: ${checked}`);
        return ns;
      },
      (r) => r % 50 === 1 && progress(name, `${what} in pairs: round ${r}/${pairedRounds}, ${all.length} × ${calls} calls (${elapsed(began)} so far)`),
    );
    const ratioToAddon = (c) => median(samples[c.name].map((ns, r) => ns / samples[baseline.name][r]));
    return { rounds: pairedRounds, calls, ratios: Object.fromEntries(all.slice(1).map((c) => [c.name, ratioToAddon(c)])) };
  };
  const named = (contenders, names) => names.map((n) => contenders.find((c) => c.name === n));
  const setPaired = () =>
    paired(
      'setting',
      named(setContenders, ['native', 'library', 'least-js']),
      resetShared,
      (_c, calls) => expectSettings(shared, { enabled: true, ...optionSets[(calls - 1) & 1] }),
    );
  const getPaired = () =>
    paired(
      'reading',
      named(getContenders, ['native', 'library']),
      () => {},
      (c) => c.check(),
    );

  const tables = pairedOnly ? {} : { set: run('setting', setContenders), get: run('reading', getContenders) };
  const result = { rounds, iterations, ...tables, setPaired: setPaired(), getPaired: getPaired(), sink: sink > 0 };
  await net.close();
  progress(name, `done in ${elapsed(began)}`);
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch(fail);
