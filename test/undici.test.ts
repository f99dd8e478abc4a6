// undici (from npm) and fetch: keepaliveConnector gives every connection of an
// undici Agent the settings, through undici.request, Node's own global fetch
// (setGlobalDispatcher, or its dispatcher option) and https. Each client runs
// in a child process; its sockets are read from outside it.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { Agent, buildConnector, request } from 'undici';
import { keepaliveConnector } from '../src';
import { localhostCertificate } from './helpers/certificate';
import { cleanEnv, startClient, stopClients } from './helpers/client-program';
import { runDocExample } from './helpers/doc-example';

// Child processes, each a Node start-up and more: a loaded machine needs more than the default.
jest.setTimeout(60000);

const settings = { idle: 7000, interval: 2000, count: 3, userTimeout: 9000 };
const configured = { enabled: true, ...settings };
const preloadEnv = { KEEPIDLE: '7', KEEPINTVL: '2', KEEPCNT: '3', TCP_USER_TIMEOUT: '9000' };
/** What undici's setKeepAlive(true, delay) leaves, Node re-applying it at connect: interval 1 s, count 10. */
const undiciValues = (idle: number) => ({ enabled: true, idle, interval: 1000, count: 10, userTimeout: 0 });

let dir: string;
let httpUrl: string;
let httpsUrl: string;
const servers: net.Server[] = [];

/** Answers every request with the client's port, and keeps idle connections open for the test's reads. */
function answerPort(request: http.IncomingMessage, response: http.ServerResponse): void {
  response.end(String(request.socket.remotePort));
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-keepalive-undici-'));
  const { key, cert } = localhostCertificate();
  fs.writeFileSync(path.join(dir, 'ca.pem'), cert);
  const plain = http.createServer({ keepAliveTimeout: 60000 }, answerPort);
  const secure = https.createServer({ key, cert, keepAliveTimeout: 60000 }, answerPort);
  for (const server of [plain, secure]) {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    servers.push(server);
  }
  httpUrl = `http://127.0.0.1:${(plain.address() as net.AddressInfo).port}/`;
  httpsUrl = `https://localhost:${(secure.address() as net.AddressInfo).port}/`;
});
afterEach(stopClients);
afterAll(async () => {
  for (const server of servers) {
    (server as http.Server).closeAllConnections();
    server.close();
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs the fixture in `mode` (three requests); returns the options of each
 * connection they used, read from outside. (undici opens a second one when
 * the next request comes before the first connection is free again.)
 */
async function connectionsOf(mode: string, url = httpUrl, nodeArgs: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const extra = url.startsWith('https:') ? { TLS_CA: path.join(dir, 'ca.pem') } : {};
  const client = await startClient(nodeArgs, 'undici.js', [mode, url], cleanEnv({ ...extra, ...env }));
  const ports = [...new Set(client.first.ports as number[])];
  return ports.map((port) => client.optionsAt(port));
}

/** Every connection has `expected` (and there is at least one). */
function expectEach(connections: Record<string, unknown>[], expected: Record<string, unknown>): void {
  expect(connections.length).toBeGreaterThan(0);
  expect(connections).toEqual(connections.map(() => expected));
}

describe('without keepaliveConnector (the problem)', () => {
  test("an undici Agent: undici's setKeepAlive(true, 60000) gives idle 60 s, interval 1 s, count 10", async () => {
    expectEach(await connectionsOf('plain'), undiciValues(60000));
  });

  test("undici's own keepAliveInitialDelay changes idle alone", async () => {
    expectEach(await connectionsOf('own-option'), undiciValues(10000));
  });

  test("Node's global fetch (its bundled undici): the same", async () => {
    expectEach(await connectionsOf('node-fetch'), undiciValues(60000));
  });
});

describe('keepaliveConnector', () => {
  test('an undici Agent, through undici.request', async () => {
    expectEach(await connectionsOf('connector'), configured);
  });

  test("Node's global fetch, after setGlobalDispatcher", async () => {
    expectEach(await connectionsOf('global'), configured);
  });

  test("Node's global fetch with the Agent as its dispatcher option", async () => {
    expectEach(await connectionsOf('dispatcher'), configured);
  });

  test('https: the TLS socket undici makes', async () => {
    expectEach(await connectionsOf('connector', httpsUrl), configured);
  });

  test('checks its arguments when called, not on the first connection', () => {
    expect(() => keepaliveConnector('buildConnector' as never, settings)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' }),
    );
    expect(() => keepaliveConnector(buildConnector({}), { idle: -1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => keepaliveConnector(buildConnector({}), { idel: 1000 } as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
  });

  test("undici's socketPath (a Unix socket) is passed on untouched", async () => {
    const socketPath = path.join(dir, 'http.sock');
    const server = http.createServer((_request, response) => response.end('unix'));
    server.listen(socketPath);
    await once(server, 'listening');
    const agent = new Agent({ connect: keepaliveConnector(buildConnector({ socketPath }), settings) });
    try {
      const { body } = await request('http://localhost/', { dispatcher: agent });
      expect(await body.text()).toBe('unix');
    } finally {
      await agent.close();
      server.close();
    }
  });
});

test('docs/integrations.md: the fetch example runs as written', async () => {
  expect(await runDocExample('integrations.md', 'fetch-keepalive.mjs', [httpUrl], cleanEnv())).toEqual({ code: 0, stdout: '200\n', stderr: '' });
});

test('the preload gives undici and fetch the settings with no code at all', async () => {
  const register = ['--require', path.join(__dirname, '..', 'dist', 'register.js')];
  expectEach(await connectionsOf('plain', httpUrl, register, preloadEnv), configured);
  expectEach(await connectionsOf('node-fetch', httpUrl, register, preloadEnv), configured);
});
