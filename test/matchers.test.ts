// toHaveKeepalive under this repository's jest, set up by tcp-keepalive/jest
// (src/jest.ts): messages as jest words them, .not, asymmetric use, and the
// same refusals of bad arguments as assertKeepalive.
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { enableKeepalive } from '../src';
import { toHaveKeepalive, keepaliveMatchers } from '../src/matchers';
import '../src/jest';
import { closeAll, connectedPair, listen } from './helpers/loopback';

afterEach(closeAll);

const plain = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, '');

/** The message of the failure `run` throws. */
function failureOf(run: () => void): string {
  try {
    run();
  } catch (error) {
    return plain((error as Error).message);
  }
  throw new Error('the matcher did not fail');
}

const label = (socket: net.Socket): string =>
  `${socket.localAddress}:${socket.localPort} -> ${socket.remoteAddress}:${socket.remotePort}`;

test('tcp-keepalive/jest registered the matcher, the one tcp-keepalive/matchers exports', () => {
  expect(keepaliveMatchers).toEqual({ toHaveKeepalive });
  expect(typeof (expect as unknown as { toHaveKeepalive: unknown }).toHaveKeepalive).toBe('function');
});

test('passes on the settings the kernel holds, and .not on others', async () => {
  const { client } = await connectedPair();
  expect(client).not.toHaveKeepalive();
  expect(client).toHaveKeepalive({ enabled: false });
  enableKeepalive(client, { idle: 5000, interval: 1000, count: 3 });
  expect(client).toHaveKeepalive();
  expect(client).toHaveKeepalive({ idle: 5000, count: 3 });
  expect(client).toHaveKeepalive({ idle: 4200 });
  expect(client).not.toHaveKeepalive({ idle: 6000 });
  expect(client).not.toHaveKeepalive({ enabled: false });
});

test('a failure reads like a built-in matcher: the hint, the socket, a diff in ms', async () => {
  const { client } = await connectedPair();
  enableKeepalive(client, { idle: 5000, count: 3 });
  expect(failureOf(() => expect(client).toHaveKeepalive({ idle: 7000, count: 3 }))).toBe(
    [
      'expect(received).toHaveKeepalive(expected)',
      '',
      `Keepalive of ${label(client)}, as the kernel holds it (ms):`,
      '',
      '- Expected',
      '+ Received',
      '',
      '  Object {',
      '    "count": 3,',
      '    "enabled": true,',
      '-   "idle": 7000,',
      '+   "idle": 5000,',
      '  }',
    ].join('\n'),
  );
});

test('.not fails when every compared field matches, showing both', async () => {
  const { client } = await connectedPair();
  enableKeepalive(client, { idle: 5000 });
  expect(failureOf(() => expect(client).not.toHaveKeepalive({ idle: 4500 }))).toBe(
    [
      'expect(received).not.toHaveKeepalive(expected)',
      '',
      `Keepalive of ${label(client)}, as the kernel holds it (ms):`,
      '',
      'Expected: not {"enabled": true, "idle": 5000}',
      'Received:     {"enabled": true, "idle": 5000}',
      '',
      '(idle 4500 is compared as 5000: the kernel keeps it in whole seconds, and enableKeepalive rounds up)',
    ].join('\n'),
  );
  expect(failureOf(() => expect(client).not.toHaveKeepalive())).toBe(
    [
      'expect(received).not.toHaveKeepalive()',
      '',
      `Keepalive of ${label(client)}, as the kernel holds it (ms):`,
      '',
      'Expected: not {"enabled": true}',
      'Received:     {"enabled": true}',
    ].join('\n'),
  );
});

test('a socket still connecting fails with .not as without: nothing can be said of it yet', async () => {
  const server = net.createServer();
  const port = await listen(server);
  const client = net.connect(port, '127.0.0.1');
  try {
    const message =
      "Cannot check keepalive on a socket still connecting: it is still connecting, and its settings can be read once it has emitted 'connect' (the check is synchronous: await once(socket, 'connect') first)";
    expect(failureOf(() => expect(client).toHaveKeepalive({ count: 2 }))).toBe(
      `expect(received).toHaveKeepalive(expected)\n\n${message}\n\nExpected: {"count": 2, "enabled": true}`,
    );
    expect(failureOf(() => expect(client).not.toHaveKeepalive({ count: 2 }))).toBe(
      `expect(received).not.toHaveKeepalive(expected)\n\n${message}\n\nExpected: not {"count": 2, "enabled": true}`,
    );
    await once(client, 'connect');
  } finally {
    client.destroy();
    server.close();
  }
});

test("an agent's sockets: all must match; .not passes when one differs; no socket fails both ways", async () => {
  const server = http.createServer((_request, response) => response.end('ok'));
  const port = await listen(server);
  const agent = new http.Agent({ keepAlive: true });
  try {
    const noSocket =
      'Cannot check keepalive on the http.Agent: it has no open TCP socket: make a request first (an agent with keepAlive keeps its sockets between requests, in freeSockets)';
    expect(failureOf(() => expect(agent).toHaveKeepalive())).toContain(noSocket);
    expect(failureOf(() => expect(agent).not.toHaveKeepalive())).toContain(noSocket);
    enableKeepalive(agent, { idle: 3000 });
    // Two requests at once: two sockets.
    const get = () =>
      new Promise<void>((resolve, reject) => {
        http.get({ port, host: '127.0.0.1', agent }, (response) => response.resume().on('end', resolve)).on('error', reject);
      });
    await Promise.all([get(), get()]);
    while ((Object.values(agent.freeSockets).flat() as unknown[]).length < 2) await new Promise((resolve) => setImmediate(resolve));
    expect(agent).toHaveKeepalive({ idle: 3000 });
    const [first, second] = Object.values(agent.freeSockets).flat() as net.Socket[];
    enableKeepalive(second, { idle: 4000 });
    expect(agent).not.toHaveKeepalive({ idle: 3000 });
    expect(failureOf(() => expect(agent).toHaveKeepalive({ idle: 3000 }))).toBe(
      [
        'expect(received).toHaveKeepalive(expected)',
        '',
        `Expected each of the http.Agent's 2 sockets to have: {"enabled": true, "idle": 3000}`,
        '1 of them differs:',
        '',
        `Keepalive of ${label(second)}, as the kernel holds it (ms):`,
        '',
        '- Expected',
        '+ Received',
        '',
        '  Object {',
        '    "enabled": true,',
        '-   "idle": 3000,',
        '+   "idle": 4000,',
        '  }',
      ].join('\n'),
    );
    enableKeepalive(second, { idle: 3000 });
    expect(failureOf(() => expect(agent).not.toHaveKeepalive({ idle: 3000 }))).toBe(
      [
        'expect(received).not.toHaveKeepalive(expected)',
        '',
        `Expected at least one of the http.Agent's 2 sockets not to have: {"enabled": true, "idle": 3000}`,
        `Every one holds it:\n  ${label(first)}\n  ${label(second)}`,
      ].join('\n'),
    );
  } finally {
    agent.destroy();
    server.close();
  }
});

test('asymmetric: expect.toHaveKeepalive inside toEqual and toHaveBeenCalledWith, and expect.not.toHaveKeepalive', async () => {
  const { client, accepted } = await connectedPair();
  enableKeepalive(accepted, { idle: 2000 });
  expect({ accepted, client }).toEqual({
    accepted: expect.toHaveKeepalive({ idle: 2000 }),
    client: expect.not.toHaveKeepalive(),
  });
  const onConnection = jest.fn();
  onConnection(accepted);
  expect(onConnection).toHaveBeenCalledWith(expect.toHaveKeepalive({ idle: 2000 }));
  expect(() => expect({ client }).toEqual({ client: expect.toHaveKeepalive() })).toThrow();
});

test('bad arguments throw Node-style errors, with or without .not', async () => {
  const { client, server } = await connectedPair();
  expect(() => expect(server).toHaveKeepalive()).toThrow(
    expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/^The argument 'received' is a net.Server/) }),
  );
  expect(() => expect('socket').not.toHaveKeepalive()).toThrow(
    expect.objectContaining({
      code: 'ERR_INVALID_ARG_TYPE',
      message:
        'The "received" argument must be an instance of net.Socket or http.Agent, or an iterable of net.Socket. Received type string (\'socket\')',
    }),
  );
  // @ts-expect-error: a misspelt field is a type error too.
  expect(() => expect(client).not.toHaveKeepalive({ intervall: 1000 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
});
