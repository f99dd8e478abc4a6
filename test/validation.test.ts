// Every class of bad input: a clear Node-style error, and the socket unchanged.
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import { enableKeepalive, disableKeepalive, getKeepalive } from '../src';
import { createValidator } from '../src/core/options';
import { binding } from './helpers/native';
import { closeAll, connectedPair } from './helpers/loopback';

afterEach(closeAll);

/** Configures a socket away from every default, so an accidental change shows. */
async function configuredSocket(): Promise<net.Socket> {
  const { client } = await connectedPair();
  enableKeepalive(client, { idle: 4000, interval: 3000, count: 6, userTimeout: 8000 });
  return client;
}

/** Runs `call`, expects it to throw `expected`, and proves the socket's settings did not move. */
function expectRejectedUnchanged(socket: net.Socket, call: () => unknown, expected: Record<string, unknown>) {
  const before = getKeepalive(socket);
  let thrown: unknown;
  try {
    call();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toMatchObject(expected);
  expect(getKeepalive(socket)).toEqual(before);
  return thrown as Error;
}

describe('not a socket, server or agent → ERR_INVALID_ARG_TYPE', () => {
  test.each([
    ['undefined', undefined, 'Received undefined'],
    ['null', null, 'Received null'],
    ['a number', 7, 'Received type number (7)'],
    ['a plain object', { _handle: { fd: 0 } }, 'Received an instance of Object'],
    ['a Duplex', new Duplex(), 'Received an instance of Duplex'],
    ['a function', function sockets() {}, 'Received function sockets'],
  ])('%s', (_label, value, received) => {
    for (const call of [() => enableKeepalive(value as net.Socket, { idle: 1000 }), () => disableKeepalive(value as net.Socket)]) {
      expect(call).toThrow(
        expect.objectContaining({
          name: 'TypeError',
          code: 'ERR_INVALID_ARG_TYPE',
          message: `The "target" argument must be an instance of net.Socket, net.Server or http.Agent. ${received}`,
        }),
      );
    }
    expect(() => getKeepalive(value as net.Socket)).toThrow(
      expect.objectContaining({
        name: 'TypeError',
        code: 'ERR_INVALID_ARG_TYPE',
        message: `The "socket" argument must be an instance of net.Socket. ${received}`,
      }),
    );
  });

  test('the target is checked before the options', () => {
    expect(() => enableKeepalive(7 as unknown as net.Socket, { intervall: 1 } as object)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
  });

  test('getKeepalive takes sockets only', () => {
    expect(() => getKeepalive(net.createServer() as unknown as net.Socket)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('Received an instance of Server') }),
    );
  });
});

describe('options of the wrong type → ERR_INVALID_ARG_TYPE', () => {
  test.each([
    ['null', null],
    ['a number', 5000],
    ['a string', 'idle=5'],
    ['an array', [5000]],
    ['a function', () => 5000],
  ])('options is %s', async (_label, options) => {
    const socket = await configuredSocket();
    const error = expectRejectedUnchanged(socket, () => enableKeepalive(socket, options as object), {
      name: 'TypeError',
      code: 'ERR_INVALID_ARG_TYPE',
    });
    expect(error.message).toMatch(/^The "options" argument must be of type object\. Received/);
  });

  test.each([
    ['idle', '5000', `The "options.idle" property must be of type number. Received type string ('5000')`],
    ['interval', 5n, 'The "options.interval" property must be of type number. Received type bigint (5n)'],
    ['count', null, 'The "options.count" property must be of type number. Received null'],
    ['userTimeout', true, 'The "options.userTimeout" property must be of type number. Received type boolean (true)'],
    ['idle', {}, 'The "options.idle" property must be of type number. Received an instance of Object'],
  ])('options.%s = %p', async (key, value, message) => {
    const socket = await configuredSocket();
    expectRejectedUnchanged(socket, () => enableKeepalive(socket, { [key]: value }), {
      name: 'TypeError',
      code: 'ERR_INVALID_ARG_TYPE',
      message,
    });
  });
});

describe('unknown option → ERR_INVALID_ARG_VALUE naming the key', () => {
  test.each(['intervall', 'keepidle', 'Idle', 'delay', 'Enabled'])('%s', async (key) => {
    const socket = await configuredSocket();
    const error = expectRejectedUnchanged(socket, () => enableKeepalive(socket, { idle: 1000, [key]: 1 }), {
      name: 'TypeError',
      code: 'ERR_INVALID_ARG_VALUE',
    });
    expect(error.message).toBe(
      `The property 'options.${key}' is not a keepalive option (expected idle, interval, count, userTimeout). Received 1`,
    );
  });

  test('a valid option before the bad one is not applied either', async () => {
    const socket = await configuredSocket();
    expectRejectedUnchanged(socket, () => enableKeepalive(socket, { idle: 9000, count: 2, intervall: 1 } as object), {
      code: 'ERR_INVALID_ARG_VALUE',
    });
  });
});

describe('out of range → ERR_OUT_OF_RANGE naming option, bounds and value', () => {
  test.each([
    ['idle', NaN, '> 0 && <= 32767000', 'NaN'],
    ['idle', Infinity, '> 0 && <= 32767000', 'Infinity'],
    ['idle', 0, '> 0 && <= 32767000', '0'],
    ['idle', -1000, '> 0 && <= 32767000', '-1000'],
    ['idle', 32767001, '> 0 && <= 32767000', '32767001'],
    ['interval', -Infinity, '> 0 && <= 32767000', '-Infinity'],
    ['interval', 1e10, '> 0 && <= 32767000', '10_000_000_000'],
    ['count', 0, 'an integer >= 1 && <= 127', '0'],
    ['count', 128, 'an integer >= 1 && <= 127', '128'],
    ['count', 2.5, 'an integer >= 1 && <= 127', '2.5'],
    ['count', NaN, 'an integer >= 1 && <= 127', 'NaN'],
    ['userTimeout', -1, 'an integer >= 0 && <= 2147483647', '-1'],
    ['userTimeout', 2147483648, 'an integer >= 0 && <= 2147483647', '2147483648'],
    ['userTimeout', 10.5, 'an integer >= 0 && <= 2147483647', '10.5'],
  ])('options.%s = %p', async (key, value, range, received) => {
    const socket = await configuredSocket();
    expectRejectedUnchanged(socket, () => enableKeepalive(socket, { count: 3, [key]: value }), {
      name: 'RangeError',
      code: 'ERR_OUT_OF_RANGE',
      message: `The value of "options.${key}" is out of range. It must be ${range}. Received ${received}`,
    });
  });
});

describe('accepted shapes', () => {
  test('an option explicitly undefined is treated as omitted', async () => {
    const socket = await configuredSocket();
    const before = getKeepalive(socket);
    enableKeepalive(socket, { idle: undefined, count: 2 });
    expect(getKeepalive(socket)).toEqual({ ...before, count: 2 });
  });

  test('inherited and symbol keys are ignored; a throwing getter propagates before any change', async () => {
    const socket = await configuredSocket();
    const before = getKeepalive(socket);
    const inherited = Object.assign(Object.create({ intervall: 1 }), { count: 2, [Symbol('x')]: 1 });
    enableKeepalive(socket, inherited);
    expect(getKeepalive(socket)).toEqual({ ...before, count: 2 });
    const hostile = {
      idle: 9000,
      get count(): number {
        throw new Error('boom');
      },
    };
    expectRejectedUnchanged(socket, () => enableKeepalive(socket, hostile), { message: 'boom' });
  });

  test('a getter that configures another socket meanwhile: each call applies its own values', async () => {
    const socket = await configuredSocket();
    const other = await configuredSocket();
    const reentrant = {
      idle: 7000,
      get interval(): number {
        enableKeepalive(other, { idle: 2000, interval: 1000, count: 9, userTimeout: 1000 });
        return 5000;
      },
      count: 4,
    };
    enableKeepalive(socket, reentrant);
    expect(getKeepalive(socket)).toMatchObject({ idle: 7000, interval: 5000, count: 4, userTimeout: 8000 });
    expect(getKeepalive(other)).toMatchObject({ idle: 2000, interval: 1000, count: 9, userTimeout: 1000 });
  });
});

describe('closed sockets → ERR_SOCKET_CLOSED', () => {
  test('destroyed socket, for every function', async () => {
    const { client } = await connectedPair();
    client.destroy();
    for (const call of [() => enableKeepalive(client, { idle: 1000 }), () => disableKeepalive(client), () => getKeepalive(client)]) {
      expect(call).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED', message: 'Socket is closed' }));
    }
  });

  test('a socket closed by its peer', async () => {
    const { client, accepted } = await connectedPair();
    accepted.destroy();
    await once(client, 'close');
    expect(() => getKeepalive(client)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
  });
});

describe('not a TCP socket → ERR_INVALID_ARG_VALUE', () => {
  test('a Unix domain socket', async () => {
    const file = path.join(os.tmpdir(), `tcp-keepalive-${process.pid}.sock`);
    const server = net.createServer().listen(file);
    await once(server, 'listening');
    const client = net.connect(file);
    await once(client, 'connect');
    try {
      for (const call of [() => enableKeepalive(client), () => disableKeepalive(client), () => getKeepalive(client)]) {
        expect(call).toThrow(
          expect.objectContaining({
            code: 'ERR_INVALID_ARG_VALUE',
            message: expect.stringContaining('must be a TCP socket, but it is a Unix domain socket or named pipe'),
          }),
        );
      }
    } finally {
      client.destroy();
      server.close();
    }
  });

  test('a handle without a constructor, met before any TCP handle (a fresh copy of the library)', () => {
    jest.isolateModules(() => {
      const fresh = require('../src') as typeof import('../src');
      const socket = new net.Socket();
      (socket as unknown as { _handle: object })._handle = Object.create(null);
      for (const call of [() => fresh.enableKeepalive(socket), () => fresh.disableKeepalive(socket)]) {
        expect(call).toThrow(
          expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('must be a TCP socket, but it is a handle of no known class') }),
        );
      }
      (socket as unknown as { _handle: null })._handle = null;
      socket.destroy();
    });
  });

  test('TLS over a stream that is not a socket', () => {
    const stream = new Duplex({ read() {}, write(_chunk, _encoding, done) { done(); } });
    const secure = tls.connect({ socket: stream });
    secure.on('error', () => {});
    try {
      expect(() => enableKeepalive(secure)).toThrow(
        expect.objectContaining({
          code: 'ERR_INVALID_ARG_VALUE',
          message: expect.stringContaining('but it is a JavaScript stream, not an operating-system socket'),
        }),
      );
    } finally {
      secure.destroy();
    }
  });
});

describe('options the platform lacks → ERR_FEATURE_UNAVAILABLE_ON_PLATFORM', () => {
  // The validator for a platform whose headers define no TCP_USER_TIMEOUT (as macOS's).
  const names = [...binding.optionNames];
  names[3] = null;
  const validate = createValidator({ optionNames: names, optionMax: binding.optionMax });

  test('userTimeout is refused, naming the option', () => {
    expect(() => validate({ idle: 1000, userTimeout: 5000 })).toThrow(
      expect.objectContaining({
        name: 'TypeError',
        code: 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM',
        message:
          'The feature TCP_USER_TIMEOUT (options.userTimeout) is unavailable on the current platform, which is being used to run Node.js',
      }),
    );
  });

  test('every option the platform lacks is named, with the reason the platform gives', () => {
    const without = createValidator({
      optionNames: ['TCP_KEEPIDLE', null, null, null, 'SO_KEEPALIVE'],
      // A platform reports no limit for an option it lacks (0): the value is not range-checked.
      optionMax: [32767, 0, 0, 0, 1],
      missingReason: 'Only idle here',
    });
    expect(() => without({ idle: 1000, count: 3, userTimeout: 5000, interval: 2000 })).toThrow(
      expect.objectContaining({
        name: 'TypeError',
        code: 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM',
        message:
          'The features TCP_KEEPINTVL (options.interval), TCP_KEEPCNT (options.count) and TCP_USER_TIMEOUT (options.userTimeout) ' +
          'are unavailable on the current platform, which is being used to run Node.js. Only idle here',
      }),
    );
    // Bad values of the options it has, and non-numbers anywhere, are reported first.
    expect(() => without({ userTimeout: 5000, idle: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => without({ count: '3' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(without({ idle: 1000 })).toEqual([1, -1, -1, -1]);
  });

  test('the other options still convert', () => {
    expect(validate({ idle: 1500, interval: 1000, count: 4 })).toEqual([2, 1, 4, -1]);
  });

  test('this Linux build has every option', () => {
    expect(binding.optionNames).toEqual(['TCP_KEEPIDLE', 'TCP_KEEPINTVL', 'TCP_KEEPCNT', 'TCP_USER_TIMEOUT', 'SO_KEEPALIVE']);
  });
});

describe('settings read back with getKeepalive, passed as options', () => {
  test('another socket gets the same settings; enabled false is refused with a hint, and changes nothing', async () => {
    const { client, accepted } = await connectedPair();
    enableKeepalive(client, { idle: 6000, interval: 2000, count: 4, userTimeout: 9000 });
    expect(enableKeepalive(accepted, getKeepalive(client))).toBe(accepted);
    expect(getKeepalive(accepted)).toEqual(getKeepalive(client));
    const before = getKeepalive(accepted);
    expect(() => enableKeepalive(accepted, { ...getKeepalive(client), enabled: false })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('disableKeepalive') }),
    );
    expect(() => enableKeepalive(accepted, { enabled: 'yes' } as object)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(getKeepalive(accepted)).toEqual(before);
  });
});
