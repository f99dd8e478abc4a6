// assertKeepalive (tcp-keepalive/assert) on real loopback connections: what
// passes, what fails and with which AssertionError, and which arguments are
// refused with the library's Node-style errors instead.
import assert from 'node:assert';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import fc from 'fast-check';
import { enableKeepalive, getKeepalive } from '../src';
import { assertKeepalive } from '../src/assert';
import { closeAll, connectedPair, listen, systemDefaults } from './helpers/loopback';
import { localhostCertificate } from './helpers/certificate';

afterEach(closeAll);

/** The AssertionError assertKeepalive throws (fails the test if it throws nothing or something else). */
function failure(run: () => void): assert.AssertionError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(assert.AssertionError);
    return error as assert.AssertionError;
  }
  throw new Error('assertKeepalive did not throw');
}

const label = (socket: net.Socket): string =>
  `${socket.localAddress}:${socket.localPort} -> ${socket.remoteAddress}:${socket.remotePort}`;

describe('on a socket', () => {
  test('passes on the settings enableKeepalive set, all of them or any subset, and returns nothing', async () => {
    const { client } = await connectedPair();
    enableKeepalive(client, { idle: 5000, interval: 2000, count: 3, userTimeout: 9000 });
    expect(assertKeepalive(client, { idle: 5000, interval: 2000, count: 3, userTimeout: 9000 })).toBeUndefined();
    assertKeepalive(client, { idle: 5000, count: 3 });
    assertKeepalive(client, { enabled: true, userTimeout: 9000 });
    // No expectation: keepalive is on.
    assertKeepalive(client);
    assertKeepalive(client, {});
  });

  test('whatever valid options enableKeepalive was given, the same options pass as the expectation', async () => {
    const { client } = await connectedPair();
    const seconds = fc.oneof(fc.integer({ min: 1, max: 32767000 }), fc.double({ min: 0, max: 32767000, minExcluded: true, noNaN: true }));
    const options = fc.record(
      { idle: seconds, interval: seconds, count: fc.integer({ min: 1, max: 127 }), userTimeout: fc.integer({ min: 0, max: 2 ** 31 - 1 }) },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(options, (given) => {
        enableKeepalive(client, given);
        assertKeepalive(client, given);
      }),
      { numRuns: 300 },
    );
  });

  test('takes what getKeepalive returned for another socket as the expectation', async () => {
    const one = await connectedPair();
    const two = await connectedPair();
    enableKeepalive(one.client, { idle: 7000, interval: 3000, count: 6 });
    enableKeepalive(two.client, getKeepalive(one.client));
    assertKeepalive(two.client, getKeepalive(one.client));
  });

  test('fails with an AssertionError in the API units, restricted to the compared fields', async () => {
    const { client } = await connectedPair();
    enableKeepalive(client, { idle: 5000, count: 3 });
    const error = failure(() => assertKeepalive(client, { idle: 4000, count: 3 }));
    expect(error).toMatchObject({
      code: 'ERR_ASSERTION',
      operator: 'assertKeepalive',
      generatedMessage: false,
      actual: { enabled: true, idle: 5000, count: 3 },
      expected: { enabled: true, idle: 4000, count: 3 },
    });
    // Field order is getKeepalive's, whatever order the expectation had.
    expect(Object.keys(error.actual as object)).toEqual(['enabled', 'idle', 'count']);
    expect(error.message).toBe(
      [
        `Expected keepalive { enabled: true, idle: 4000, count: 3 } on ${label(client)}, the kernel holds { enabled: true, idle: 5000, count: 3 }`,
        '+ actual - expected',
        '',
        '  enabled: true',
        '+ idle: 5000',
        '- idle: 4000',
        '  count: 3',
      ].join('\n'),
    );
    // The stack starts at the caller, as node:assert's own do.
    expect(error.stack?.split('\n').find((line) => line.startsWith('    at '))).toContain('assert.test.ts');
  });

  test('expects keepalive on unless told otherwise: a fresh socket fails, and passes { enabled: false }', async () => {
    const { client } = await connectedPair();
    const error = failure(() => assertKeepalive(client, { idle: systemDefaults().idle }));
    expect(error.actual).toEqual({ enabled: false, idle: systemDefaults().idle });
    expect(error.expected).toEqual({ enabled: true, idle: systemDefaults().idle });
    expect(error.message).toContain('\n+ enabled: false\n- enabled: true\n');
    assertKeepalive(client, { enabled: false });
    assertKeepalive(client, { enabled: false, ...systemDefaults() });
  });

  test('compares idle and interval as the kernel holds them, in whole seconds rounded up, and says so', async () => {
    const { client } = await connectedPair();
    enableKeepalive(client, { idle: 5500, interval: 1200 });
    expect(getKeepalive(client)).toMatchObject({ idle: 6000, interval: 2000 });
    assertKeepalive(client, { idle: 5500, interval: 1200 });
    assertKeepalive(client, { idle: 5001, interval: 2000 });
    assertKeepalive(client, { idle: 6000, interval: 1001 });
    const error = failure(() => assertKeepalive(client, { idle: 4500, interval: 1500 }));
    // What was compared is what the kernel would hold for the expectation.
    expect(error.expected).toEqual({ enabled: true, idle: 5000, interval: 2000 });
    expect(error.message).toMatch(/\n- idle: 5000\n/);
    expect(error.message.split('\n').pop()).toBe(
      '(idle 4500 is compared as 5000: the kernel keeps it in whole seconds, and enableKeepalive rounds up; ' +
        'interval 1500 is compared as 2000: the kernel keeps it in whole seconds, and enableKeepalive rounds up)',
    );
  });

  test("works on a server's accepted socket, and names IPv6 addresses in brackets", async () => {
    const { client, accepted } = await connectedPair('::1');
    enableKeepalive(accepted, { idle: 3000 });
    assertKeepalive(accepted, { idle: 3000 });
    const error = failure(() => assertKeepalive(accepted, { idle: 4000 }));
    expect(error.message).toContain(`on [::1]:${accepted.localPort} -> [::1]:${client.localPort}, the kernel holds`);
  });

  test('a message string replaces the message (actual and expected stay); an Error is thrown as it is', async () => {
    const { client } = await connectedPair();
    const error = failure(() => assertKeepalive(client, { count: 1 }, 'the pool forgot keepalive'));
    expect(error.message).toBe('the pool forgot keepalive');
    expect(error.actual).toEqual({ enabled: false, count: systemDefaults().count });
    const own = new RangeError('mine');
    expect(() => assertKeepalive(client, { count: 1 }, own)).toThrow(own);
    // Not thrown when the assertion holds.
    assertKeepalive(client, { enabled: false }, own);
  });
});

describe('a socket without settings to read fails, saying why', () => {
  test('still connecting: the check is synchronous and says to wait for connect', async () => {
    const server = net.createServer();
    const port = await listen(server);
    const client = net.connect(port, '127.0.0.1');
    try {
      const error = failure(() => assertKeepalive(client, { idle: 5000 }));
      expect(error.message).toBe(
        "Cannot check keepalive { enabled: true, idle: 5000 } on a socket still connecting: it is still connecting, and its settings can be read once it has emitted 'connect' (the check is synchronous: await once(socket, 'connect') first)",
      );
      // Nothing was read: no actual value to diff against.
      expect(error.actual).toBeUndefined();
      expect(error.expected).toEqual({ enabled: true, idle: 5000 });
      await once(client, 'connect');
      enableKeepalive(client, { idle: 5000 });
      assertKeepalive(client, { idle: 5000 });
    } finally {
      client.destroy();
      server.close();
    }
  });

  test('destroyed, and never connected', async () => {
    const { client } = await connectedPair();
    const peer = `${client.remoteAddress}:${client.remotePort}`;
    client.destroy();
    expect(failure(() => assertKeepalive(client)).message).toBe(
      `Cannot check keepalive { enabled: true } on a closed socket (peer ${peer}): it has been destroyed, and has no settings to read any more`,
    );
    const unconnected = new net.Socket();
    expect(failure(() => assertKeepalive(unconnected)).message).toBe(
      'Cannot check keepalive { enabled: true } on a socket without a connection: it has no connection: it was never connected',
    );
  });
});

describe('sockets in an array or Set (a server accepted them)', () => {
  test('each is checked; the failure names those that differ', async () => {
    const server = net.createServer();
    const accepted = new Set<net.Socket>();
    server.on('connection', (socket) => accepted.add(socket));
    enableKeepalive(server, { idle: 4000, count: 2 });
    const port = await listen(server);
    const clients = [net.connect(port, '127.0.0.1'), net.connect(port, '127.0.0.1')];
    try {
      await Promise.all(clients.map((client) => once(client, 'connect')));
      while (accepted.size < 2) await once(server, 'connection');
      assertKeepalive(accepted, { idle: 4000, count: 2 });
      const [first, second] = [...accepted];
      enableKeepalive(second, { count: 5 });
      const error = failure(() => assertKeepalive(accepted, { idle: 4000, count: 2 }));
      expect(error.message).toBe(
        `Expected keepalive { enabled: true, idle: 4000, count: 2 } on each of the 2 sockets given; 1 of them differs:\n` +
          `  ${label(second)} holds { enabled: true, idle: 4000, count: 5 }`,
      );
      // One entry per socket, so a runner's diff shows which one.
      expect(error.actual).toEqual([
        { enabled: true, idle: 4000, count: 2 },
        { enabled: true, idle: 4000, count: 5 },
      ]);
      expect(error.expected).toEqual([
        { enabled: true, idle: 4000, count: 2 },
        { enabled: true, idle: 4000, count: 2 },
      ]);
      assertKeepalive([first], { count: 2 });
      expect(failure(() => assertKeepalive([], {})).message).toBe(
        'Cannot check keepalive { enabled: true } on an empty list of sockets: there is no socket in it',
      );
    } finally {
      clients.forEach((client) => client.destroy());
      accepted.forEach((socket) => socket.destroy());
      server.close();
    }
  });
});

describe('an http.Agent: every socket it holds, in use and pooled', () => {
  test('passes when all hold the settings, fails naming the ones that differ, fails without sockets', async () => {
    const server = http.createServer((_request, response) => response.end('ok'));
    const port = await listen(server);
    const agent = new http.Agent({ keepAlive: true });
    try {
      expect(failure(() => assertKeepalive(agent, { idle: 8000 })).message).toBe(
        'Cannot check keepalive { enabled: true, idle: 8000 } on the http.Agent: it has no open TCP socket: make a request ' +
          'first (an agent with keepAlive keeps its sockets between requests, in freeSockets)',
      );
      enableKeepalive(agent, { idle: 8000, interval: 1000 });
      const get = () =>
        new Promise<void>((resolve, reject) => {
          http.get({ port, host: '127.0.0.1', agent }, (response) => {
            response.resume();
            response.on('end', resolve);
          }).on('error', reject);
        });
      await get();
      // The socket goes back to the pool once the response is read.
      while (Object.keys(agent.freeSockets).length === 0) await new Promise((resolve) => setImmediate(resolve));
      assertKeepalive(agent, { idle: 8000, interval: 1000 });
      const [socket] = Object.values(agent.freeSockets).flat() as net.Socket[];
      const error = failure(() => assertKeepalive(agent, { idle: 9000 }));
      expect(error.message).toBe(
        `Expected keepalive { enabled: true, idle: 9000 } on the http.Agent's socket; it differs:\n` +
          `  ${label(socket)} holds { enabled: true, idle: 8000 }`,
      );
      expect(error.actual).toEqual([{ enabled: true, idle: 8000 }]);
    } finally {
      agent.destroy();
      server.close();
    }
  });
});

describe('an https.Agent: its TLS sockets, named as such', () => {
  test('passes on the settings, and a failure names the https.Agent', async () => {
    const { key, cert } = localhostCertificate();
    const server = https.createServer({ key, cert }, (_request, response) => response.end('ok'));
    const port = await listen(server);
    const agent = enableKeepalive(new https.Agent({ keepAlive: true, ca: cert }), { idle: 2000, count: 4 });
    try {
      const [response] = (await once(https.get({ host: 'localhost', port, agent }), 'response')) as [http.IncomingMessage];
      assertKeepalive(agent, { idle: 2000, count: 4 });
      assertKeepalive(response.socket, { idle: 2000, count: 4 });
      expect(failure(() => assertKeepalive(agent, { count: 5 })).message).toMatch(
        /^Expected keepalive \{ enabled: true, count: 5 \} on the https\.Agent's socket; it differs:\n {2}\S+ -> \S+ holds \{ enabled: true, count: 4 \}$/,
      );
      response.resume();
    } finally {
      agent.destroy();
      server.close();
    }
  });
});

describe('arguments are refused with Node-style errors, not assertion failures', () => {
  test('a target that is no socket, agent or iterable of sockets; a net.Server', async () => {
    const { client, server } = await connectedPair();
    expect(() => assertKeepalive(42 as never)).toThrow(
      expect.objectContaining({
        name: 'TypeError',
        code: 'ERR_INVALID_ARG_TYPE',
        message:
          'The "target" argument must be an instance of net.Socket or http.Agent, or an iterable of net.Socket. Received type number (42)',
      }),
    );
    expect(() => assertKeepalive([client, 'x'] as never)).toThrow(
      expect.objectContaining({
        code: 'ERR_INVALID_ARG_TYPE',
        message: 'The "target[1]" argument must be an instance of net.Socket. Received type string (\'x\')',
      }),
    );
    expect(() => assertKeepalive(server as never)).toThrow(
      expect.objectContaining({
        name: 'TypeError',
        code: 'ERR_INVALID_ARG_VALUE',
        message:
          "The argument 'target' is a net.Server, whose connections Node does not list: pass the sockets its 'connection' event gives (one, or an array or Set of them). Received an instance of Server",
      }),
    );
  });

  test('an expectation that is no object, has an unknown field, a wrong type or a value no socket holds', async () => {
    const { client } = await connectedPair();
    const cases: Array<[unknown, string, string]> = [
      [5000, 'ERR_INVALID_ARG_TYPE', 'The "expected" argument must be of type object. Received type number (5000)'],
      [
        { intervall: 3000 },
        'ERR_INVALID_ARG_VALUE',
        "The property 'expected.intervall' is not a keepalive setting (expected enabled, idle, interval, count, userTimeout). Received 3000",
      ],
      [{ idle: '5s' }, 'ERR_INVALID_ARG_TYPE', 'The "expected.idle" property must be of type number. Received type string (\'5s\')'],
      [{ enabled: 1 }, 'ERR_INVALID_ARG_TYPE', 'The "expected.enabled" property must be of type boolean. Received type number (1)'],
      [{ idle: 0 }, 'ERR_OUT_OF_RANGE', 'The value of "expected.idle" is out of range. It must be a finite number > 0. Received 0'],
      [{ interval: NaN }, 'ERR_OUT_OF_RANGE', 'The value of "expected.interval" is out of range. It must be a finite number > 0. Received NaN'],
      [{ count: 1.5 }, 'ERR_OUT_OF_RANGE', 'The value of "expected.count" is out of range. It must be an integer >= 1. Received 1.5'],
      [{ userTimeout: -1 }, 'ERR_OUT_OF_RANGE', 'The value of "expected.userTimeout" is out of range. It must be an integer >= 0. Received -1'],
    ];
    for (const [expectation, code, message] of cases) {
      expect(() => assertKeepalive(client, expectation as never)).toThrow(expect.objectContaining({ code, message }));
    }
    expect(() => assertKeepalive(client, {}, 42 as never)).toThrow(
      expect.objectContaining({
        code: 'ERR_INVALID_ARG_TYPE',
        message: 'The "message" argument must be of type string or an instance of Error. Received type number (42)',
      }),
    );
  });

  test("a socket that is not TCP gets the library's own error, from getKeepalive", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-keepalive-assert-'));
    const server = net.createServer();
    server.listen(path.join(dir, 'socket'));
    await once(server, 'listening');
    const client = net.connect(path.join(dir, 'socket'));
    try {
      await once(client, 'connect');
      expect(() => assertKeepalive(client)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    } finally {
      client.destroy();
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
