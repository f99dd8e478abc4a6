// Never break or overrule the program we serve: the hostile review's defects
// (issue 9), each with the case that found it. Streams that are not TCP pass
// through, accepted sockets are checked rather than assumed, the program's own
// setKeepAlive calls stay its own.
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { Duplex } from 'node:stream';
import { disableKeepalive, enableKeepalive, getKeepalive, type KeepaliveOptions, type KeepaliveSettings } from '../src';
import { closeAll, connectedPair, listen, systemDefaults } from './helpers/loopback';

const options = { idle: 6000, interval: 2000, count: 4, userTimeout: 9000 };
const configured: KeepaliveSettings = { enabled: true, ...options };
const register = path.join(__dirname, '..', 'dist', 'register.js');

const cleanups: Array<() => void> = [];
afterEach(async () => {
  cleanups.splice(0).forEach((cleanup) => cleanup());
  await closeAll();
});

/** Warnings emitted while `body` runs (and its promise settles). */
async function warningsDuring(body: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const onWarning = (warning: Error): number => seen.push(warning.message);
  process.on('warning', onWarning);
  try {
    await body();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
  }
  return seen;
}

/** Runs a fixture with node, plainly or under the preload, with only the given KEEP* variables. */
function runFixture(name: string, preload: boolean, variables: Record<string, string> = {}, fixtureArgs: string[] = []): Record<string, unknown> {
  const { KEEPALIVE: _, KEEPIDLE: __, KEEPINTVL: ___, KEEPCNT: ____, TCP_USER_TIMEOUT: _____, NODE_OPTIONS: ______, ...clean } = process.env;
  const args = [...(preload ? ['--require', register] : []), path.join(__dirname, 'fixtures', name), ...fixtureArgs];
  const child = spawnSync(process.execPath, args, { env: { ...clean, ...variables }, encoding: 'utf8', timeout: 20000 });
  expect({ status: child.status, stderr: child.stderr }).toEqual({ status: 0, stderr: '' });
  return JSON.parse(child.stdout);
}

/** A Duplex that is not a net.Socket, carrying the bytes of a real TCP socket (as a tunnel or multiplexer would). */
function tunnelOver(socket: net.Socket): Duplex {
  const duplex = new Duplex({
    read() {},
    write(chunk, encoding, callback) {
      socket.write(chunk, encoding, callback);
    },
    final(callback) {
      socket.end();
      callback();
    },
    destroy(error, callback) {
      socket.destroy();
      callback(error);
    },
  });
  socket.on('data', (chunk) => duplex.push(chunk));
  socket.on('end', () => duplex.push(null));
  socket.on('error', (error) => duplex.destroy(error));
  return duplex;
}

/**
 * Opens `count` connections to `port` whose handshakes complete in the kernel
 * while this thread does not return to the event loop, so that none is
 * accepted yet: they wait in the accept queue. Closed after the test.
 */
async function queueConnections(port: number, count: number): Promise<void> {
  const clients = Array.from({ length: count }, () => net.connect(port, '127.0.0.1').on('error', () => {}));
  cleanups.push(() => clients.forEach((client) => client.destroy()));
  await new Promise((resolve) => process.nextTick(resolve));
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
}

/** One more connection to `port`, accepted after the queued ones. */
function connectLate(port: number): void {
  const late = net.connect(port, '127.0.0.1').on('error', () => {});
  cleanups.push(() => late.destroy());
}

describe('1. streams that are not TCP, handed to a configured server, pass through untouched and silently', () => {
  test('enableKeepalive(server) and server.emit("connection", duplex)', async () => {
    const got: string[] = [];
    const server = net.createServer((connection) => connection.on('data', (data) => got.push(String(data))));
    enableKeepalive(server, options);
    await listen(server);
    cleanups.push(() => server.close());
    const duplex = new Duplex({ read() {}, write: (_chunk, _encoding, callback) => callback() });
    const warnings = await warningsDuring(async () => {
      server.emit('connection', duplex);
      duplex.push('ping');
    });
    expect({ got, destroyed: duplex.destroyed, warnings }).toEqual({ got: ['ping'], destroyed: false, warnings: [] });
  });

  test('under the preload: a Duplex, and an http server fed by a Unix listener, behave as without it', () => {
    const plain = runFixture('foreign-streams.js', false);
    expect(plain).toEqual({
      duplex: { got: ['ping'], destroyed: false },
      unixStatus: 200,
      listeners: { before: [1, 1], after: [1, 1] },
      warnings: [],
    });
    // The same, listener counts included: the preload adds no listener a program could see.
    expect(runFixture('foreign-streams.js', true, { KEEPIDLE: '30', KEEPCNT: '3' })).toEqual(plain);
    expect(runFixture('foreign-streams.js', true)).toEqual(plain);
  });
});

describe('2. an agent whose createConnection returns a Duplex that is not a net.Socket', () => {
  async function requestThrough(agent: http.Agent, port: number): Promise<number | undefined> {
    return new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/', agent }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode));
      }).on('error', reject);
    });
  }

  test.each(['returned', 'passed to the callback'])('requests work exactly as without the library (%s)', async (how) => {
    const server = http.createServer((_request, response) => response.end('ok'));
    const port = await listen(server);
    cleanups.push(() => server.close());
    const tunnels: Duplex[] = [];
    const agent = new http.Agent();
    cleanups.push(() => agent.destroy());
    (agent as unknown as { createConnection: unknown }).createConnection = (
      connectOptions: net.NetConnectOpts,
      callback: (error: Error | null, stream: Duplex) => void,
    ) => {
      const tunnel = tunnelOver(net.connect(connectOptions));
      tunnels.push(tunnel);
      if (how === 'returned') return tunnel;
      process.nextTick(() => callback(null, tunnel));
      return undefined;
    };
    enableKeepalive(agent, options);
    const warnings = await warningsDuring(async () => {
      expect(await requestThrough(agent, port)).toBe(200);
      expect(await requestThrough(agent, port)).toBe(200);
    });
    expect(warnings).toEqual([]);
    expect(tunnels.length).toBeGreaterThan(0);
  });
});

describe('3. accepted sockets get the configured values, checked rather than assumed', () => {
  test('connections already waiting in the accept queue when the server is configured', async () => {
    const seen: KeepaliveSettings[] = [];
    const server = net.createServer((socket) => {
      seen.push(getKeepalive(socket));
      socket.destroy();
    });
    const port = await listen(server);
    cleanups.push(() => server.close());
    await queueConnections(port, 3);
    enableKeepalive(server, options);
    connectLate(port);
    while (seen.length < 4) await once(server, 'connection');
    expect(seen).toEqual([configured, configured, configured, configured]);
  });

  test('a socket handed over from another server with emit("connection")', async () => {
    const seen: KeepaliveSettings[] = [];
    const app = net.createServer((socket) => {
      seen.push(getKeepalive(socket));
      // The program's own call takes effect where no field of it is held.
      socket.setKeepAlive(true, 60000);
      seen.push(getKeepalive(socket));
      socket.destroy();
    });
    enableKeepalive(app, { count: 3, userTimeout: 9000 });
    cleanups.push(() => app.close());
    const front = net.createServer((socket) => app.emit('connection', socket));
    const port = await listen(front);
    cleanups.push(() => front.close());
    const client = net.connect(port, '127.0.0.1');
    cleanups.push(() => client.destroy());
    await once(client, 'close');
    const { idle, interval } = systemDefaults();
    expect(seen).toEqual([
      { enabled: true, idle, interval, count: 3, userTimeout: 9000 },
      { enabled: true, idle: 60000, interval: 1000, count: 3, userTimeout: 9000 },
    ]);
  });
});

describe("4. the preload keeps exactly the fields its variables name; the program's own setKeepAlive calls take effect", () => {
  // What libuv sets for setKeepAlive(true, delay): interval 1 s, count 10.
  const programs = (idle: number) => ({ enabled: true, idle, interval: 1000, count: 10, userTimeout: 0 });

  test('no variables: the program sees exactly what it asked for', () => {
    const plain = runFixture('own-keepalive.js', false);
    expect(plain).toEqual({ afterOwnCall: programs(60000), afterSecondCall: programs(30000), connectOption: programs(45000) });
    expect(runFixture('own-keepalive.js', true)).toEqual(plain);
  });

  test("KEEPCNT=3 alone: the program's idle, the variable's count, through Node's resets", () => {
    expect(runFixture('own-keepalive.js', true, { KEEPCNT: '3' })).toEqual({
      afterOwnCall: { ...programs(60000), count: 3 },
      afterSecondCall: { ...programs(30000), count: 3 },
      connectOption: { ...programs(45000), count: 3 },
    });
  });

  test('KEEPIDLE, KEEPINTVL and KEEPCNT all set: they hold against the program', () => {
    const held = { enabled: true, idle: 7000, interval: 2000, count: 3, userTimeout: 0 };
    expect(runFixture('own-keepalive.js', true, { KEEPIDLE: '7', KEEPINTVL: '2', KEEPCNT: '3' })).toEqual({
      afterOwnCall: held,
      afterSecondCall: held,
      connectOption: held,
    });
  });
});

describe('5. enableKeepalive(server) in cluster workers', () => {
  test.each([
    ['rr', 'before'],
    ['rr', 'after'],
    ['none', 'before'],
    ['none', 'after'],
  ])('scheduling %s, configured %s listen: the worker accepts configured sockets', (policy, when) => {
    const child = spawnSync(process.execPath, [path.join(__dirname, 'fixtures', 'cluster-server.js'), when], {
      env: { ...process.env, NODE_CLUSTER_SCHED_POLICY: policy },
      encoding: 'utf8',
      timeout: 20000,
    });
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual({ policy: policy === 'rr' ? 2 : 1, settings: configured, warnings: [] });
  });
});

describe('9. options are read with ordinary property access, as net.connect(options) reads its own', () => {
  test('getters of a class and inherited properties count', async () => {
    const { client } = await connectedPair();
    class Options implements KeepaliveOptions {
      get idle(): number {
        return 5000;
      }
    }
    enableKeepalive(client, new Options());
    expect(getKeepalive(client).idle).toBe(5000);
    enableKeepalive(client, Object.create({ count: 3 }) as KeepaliveOptions);
    expect(getKeepalive(client)).toMatchObject({ enabled: true, idle: 5000, count: 3 });
  });

  test('a bad value behind a getter is refused like any other, and changes nothing', async () => {
    const { client } = await connectedPair();
    const before = getKeepalive(client);
    const bad = Object.create({ count: 0 }) as KeepaliveOptions;
    expect(() => enableKeepalive(client, bad)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(getKeepalive(client)).toEqual(before);
  });
});

describe('10. the same net.Socket connected again', () => {
  test('none of the set carries over to the new connection (as a new socket), and enableKeepalive applies it again', async () => {
    const server = net.createServer((socket) => socket.on('error', () => {}));
    const port = await listen(server);
    cleanups.push(() => server.close());
    const client = net.connect(port, '127.0.0.1');
    cleanups.push(() => client.destroy());
    await once(client, 'connect');
    enableKeepalive(client, options);
    client.destroy();
    await once(client, 'close');
    client.connect(port, '127.0.0.1');
    await once(client, 'connect');
    expect(getKeepalive(client)).toEqual({ enabled: false, ...systemDefaults(), userTimeout: 0 });
    enableKeepalive(client, options);
    expect(getKeepalive(client)).toEqual(configured);
  });
});

describe('11. error messages name what they got, briefly, as Node does', () => {
  test('a Unix socket passed to enableKeepalive: "Received an instance of Socket", one line', async () => {
    const server = net.createServer().listen(path.join(require('node:os').tmpdir(), `tcp-keepalive-safety-${process.pid}.sock`));
    await once(server, 'listening');
    cleanups.push(() => server.close());
    const client = net.connect(server.address() as string);
    cleanups.push(() => client.destroy());
    await once(client, 'connect');
    let message = '';
    try {
      enableKeepalive(client);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(
      "The argument 'socket' must be a TCP socket, but it is a Unix domain socket or named pipe. Received an instance of Socket",
    );
  });

  test('long values are cut at 128 characters; the code shows in the stack and in String(error)', async () => {
    const { client } = await connectedPair();
    const key = 'x'.repeat(300);
    let error: Error | undefined;
    try {
      enableKeepalive(client, { [key]: key } as KeepaliveOptions);
    } catch (caught) {
      error = caught as Error;
    }
    expect(error?.message).toBe(
      `The property 'options.${key}' is not a keepalive option (expected idle, interval, count, userTimeout). Received '${'x'.repeat(127)}...`,
    );
    expect(error?.name).toBe('TypeError');
    expect(String(error)).toBe(`TypeError [ERR_INVALID_ARG_VALUE]: ${error?.message}`);
    expect(error?.stack?.split('\n')[0]).toBe(`TypeError [ERR_INVALID_ARG_VALUE]: ${error?.message}`);
  });
});

// A second hostile review, of the fixes above: each case it found.
describe('review: connections made again, retries, http2 sessions that end, order of the preload and the program', () => {
  const programs = (idle: number) => ({ enabled: true, idle, interval: 1000, count: 10, userTimeout: 0 });

  test.each([
    ['later', false, {}, 'own'],
    ['from-close', false, {}, 'own'],
    ['later', true, {}, 'own'],
    ['from-close', true, {}, 'own'],
    ['later', true, { KEEPCNT: '3' }, 'own'],
    ['from-close', true, { KEEPIDLE: '30' }, ''],
  ])('a socket connected twice (%s, preload %s, %j, %s): both connections alike, as without the library', (when, preload, variables, own) => {
    const seen = runFixture('reconnect.js', preload as boolean, variables as Record<string, string>, [when as string, own as string]) as unknown as KeepaliveSettings[];
    expect(seen).toHaveLength(2);
    expect(seen[1]).toEqual(seen[0]);
    const plain = runFixture('reconnect.js', false, {}, [when as string, own as string]) as unknown as KeepaliveSettings[];
    const { KEEPCNT, KEEPIDLE } = variables as Record<string, string | undefined>;
    expect(seen[0]).toEqual({
      ...plain[0],
      ...(KEEPCNT ? { count: Number(KEEPCNT) } : {}),
      ...(KEEPIDLE ? { idle: Number(KEEPIDLE) * 1000 } : {}),
      // Without variables the preload turns keepalive on, as libkeepalive does.
      ...(preload ? { enabled: true } : {}),
    });
  });

  test("enableKeepalive on a retry started in the program's own 'close' listener applies to the new connection", async () => {
    const free = net.createServer();
    const refused = await listen(free);
    await new Promise((resolve) => free.close(resolve));
    const server = net.createServer((connection) => connection.on('error', () => {}));
    const port = await listen(server);
    cleanups.push(() => server.close());
    const socket = new net.Socket();
    cleanups.push(() => socket.destroy());
    let attempts = 0;
    socket.on('error', () => {});
    // A retry loop: the first address refuses, the second is tried at once, from 'close'.
    socket.on('close', () => {
      if (attempts++ > 0) return;
      socket.connect(port, '127.0.0.1');
      enableKeepalive(socket, { idle: 10000, count: 3 });
    });
    const connected = new Promise((resolve) => socket.once('connect', resolve));
    socket.connect(refused, '127.0.0.1');
    enableKeepalive(socket, { idle: 10000, count: 3 });
    await connected;
    expect(attempts).toBe(1);
    expect(getKeepalive(socket)).toMatchObject({ enabled: true, idle: 10000, count: 3 });
  });

  test("the program's own setKeepAlive before the first connection reaches the next one; ours does not", async () => {
    const server = net.createServer((connection) => connection.on('error', () => {}).end());
    const port = await listen(server);
    cleanups.push(() => server.close());
    const socket = new net.Socket();
    cleanups.push(() => socket.destroy());
    socket.setKeepAlive(true, 60000);
    socket.resume();
    socket.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    enableKeepalive(socket, { count: 3 });
    expect(getKeepalive(socket)).toEqual({ ...programs(60000), count: 3 });
    await once(socket, 'close');
    socket.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    expect(getKeepalive(socket)).toEqual(programs(60000));
  });

  test("a reconnect and setKeepAlive inside the program's own 'close' listener are the program's", async () => {
    const server = net.createServer((connection) => connection.on('error', () => {}).end());
    const port = await listen(server);
    cleanups.push(() => server.close());
    const socket = new net.Socket();
    cleanups.push(() => socket.destroy());
    const seen: KeepaliveSettings[] = [];
    socket.on('close', () => {
      if (seen.length !== 1) return;
      socket.connect(port, '127.0.0.1');
      socket.setKeepAlive(true, 60000);
    });
    socket.on('connect', () => {
      if (seen.length === 0) enableKeepalive(socket, { count: 3 });
      seen.push(getKeepalive(socket));
    });
    socket.resume();
    socket.connect(port, '127.0.0.1');
    while (seen.length < 2) await once(socket, 'connect');
    expect(seen[1]).toEqual(programs(60000));
  });

  test('enableKeepalive on the socket of an http2 session that ends before connecting: nothing thrown, nothing reported', () => {
    expect(runFixture('http2-ending.js', false)).toEqual({ survived: true, warnings: [] });
  });

  test('disableKeepalive(agent) leaves a createConnection the program put there since; enable again wraps the new one', async () => {
    const agent = new http.Agent();
    cleanups.push(() => agent.destroy());
    enableKeepalive(agent, options);
    let used = 0;
    const own = (connectOptions: net.NetConnectOpts): net.Socket => {
      used++;
      return net.connect(connectOptions);
    };
    (agent as unknown as { createConnection: unknown }).createConnection = own;
    disableKeepalive(agent);
    expect((agent as unknown as { createConnection: unknown }).createConnection).toBe(own);
    enableKeepalive(agent, options);
    const server = http.createServer((_request, response) => response.end('ok'));
    const port = await listen(server);
    cleanups.push(() => server.close());
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, agent }, (response) => {
        response.resume();
        resolve(response.socket as net.Socket);
      }).on('error', reject);
    });
    expect(used).toBe(1);
    expect(getKeepalive(socket)).toEqual(configured);
  });

  test("the preload's variables never overrule the program's own enableKeepalive, whatever the order", () => {
    expect(runFixture('program-first.js', true, { KEEPIDLE: '30', KEEPALIVE: 'off' })).toEqual({
      server: { enabled: true, idle: 5000 },
      clientBeforeConnect: { enabled: true, idle: 5000 },
    });
  });
});

test('disableKeepalive(server): connections already waiting in the accept queue come out with keepalive off too', async () => {
  const seen: boolean[] = [];
  const server = net.createServer((socket) => {
    seen.push(getKeepalive(socket).enabled);
    socket.destroy();
  });
  enableKeepalive(server, options);
  const port = await listen(server);
  cleanups.push(() => server.close());
  await queueConnections(port, 3);
  disableKeepalive(server);
  connectLate(port);
  while (seen.length < 4) await once(server, 'connection');
  expect(seen).toEqual([false, false, false, false]);
});

test('enableKeepalive(server) again while a disable is still turning off queued connections: configuring wins, held as usual', async () => {
  const seen: KeepaliveSettings[] = [];
  const server = net.createServer((socket) => {
    // Node's own call (as an agent or server option makes it) must not undo the held settings.
    socket.setKeepAlive(true, 1000);
    seen.push(getKeepalive(socket));
    socket.destroy();
  });
  enableKeepalive(server, options);
  const port = await listen(server);
  cleanups.push(() => server.close());
  await queueConnections(port, 3);
  disableKeepalive(server);
  enableKeepalive(server, options);
  for (let late = 0; late < 4; late++) connectLate(port);
  while (seen.length < 7) await once(server, 'connection');
  expect(seen).toEqual(Array(7).fill(configured));
});
