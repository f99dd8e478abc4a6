// Whole servers and agents: every connection they make or accept gets the settings.
import net from 'node:net';
import tls from 'node:tls';
import http from 'node:http';
import https from 'node:https';
import http2 from 'node:http2';
import { once } from 'node:events';
import { enableKeepalive, disableKeepalive, getKeepalive, type KeepaliveSettings } from '../src';
import { listen, systemDefaults } from './helpers/loopback';
import { localhostCertificate } from './helpers/certificate';
import { straceWorks, traceKeepaliveCalls } from './helpers/strace';

const options = { idle: 6000, interval: 2000, count: 4, userTimeout: 9000 };
const configured = { enabled: true, ...options };
const untouched = (): KeepaliveSettings => ({ enabled: false, ...systemDefaults(), userTimeout: 0 });

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

/** Listens, remembering to close; returns the port. */
async function serve(server: net.Server): Promise<number> {
  const port = await listen(server);
  cleanups.push(() => server.close());
  return port;
}

async function connectTo(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  cleanups.push(() => socket.destroy());
  await once(socket, 'connect');
  return socket;
}

describe('servers', () => {
  test("net.Server configured before listen: accepted sockets hold the settings in the user's handler", async () => {
    const seen: KeepaliveSettings[] = [];
    const server = net.createServer((socket) => {
      seen.push(getKeepalive(socket));
      // Node's later calls do not undo them.
      socket.setKeepAlive(true, 1000);
      seen.push(getKeepalive(socket));
      socket.destroy();
    });
    expect(enableKeepalive(server, options)).toBe(server);
    const port = await serve(server);
    const client = await connectTo(port);
    await once(client, 'close');
    expect(seen).toEqual([configured, configured]);
    // The other end is not the server's: untouched.
    expect(client.destroyed).toBe(true);
  });

  test('a server already listening, and later calls merging', async () => {
    const accepted: net.Socket[] = [];
    const server = net.createServer((socket) => accepted.push(socket));
    const port = await serve(server);
    enableKeepalive(server, { idle: 6000, count: 4 });
    enableKeepalive(server, { interval: 2000, userTimeout: 9000 });
    const client = await connectTo(port);
    while (accepted.length === 0) await once(server, 'connection');
    cleanups.push(() => accepted.forEach((socket) => socket.destroy()));
    expect(getKeepalive(accepted[0])).toEqual(configured);
    expect(getKeepalive(client)).toEqual(untouched());
  });

  test("a server created with Node's keepAlive option still ends up with ours", async () => {
    const seen: KeepaliveSettings[] = [];
    const server = net.createServer({ keepAlive: true, keepAliveInitialDelay: 1000 }, (socket) => {
      seen.push(getKeepalive(socket));
      socket.destroy();
    });
    enableKeepalive(server, options);
    const port = await serve(server);
    await once(await connectTo(port), 'close');
    expect(seen).toEqual([configured]);
  });

  test('disableKeepalive(server): new connections are no longer configured, keepalive off', async () => {
    const seen: KeepaliveSettings[] = [];
    const server = net.createServer((socket) => {
      seen.push(getKeepalive(socket));
      socket.destroy();
    });
    enableKeepalive(server, options);
    const port = await serve(server);
    await once(await connectTo(port), 'close');
    expect(disableKeepalive(server)).toBe(server);
    expect(server.listenerCount('connection')).toBe(1);
    await once(await connectTo(port), 'close');
    // Off; the other options stay on the listening socket, as for a single socket.
    expect(seen).toEqual([configured, { ...configured, enabled: false }]);
  });

  test('a server listening on a Unix path is refused with a clear error', async () => {
    const server = net.createServer();
    server.listen(`/tmp/tcp-keepalive-server-${process.pid}.sock`);
    await once(server, 'listening');
    cleanups.push(() => server.close());
    expect(() => enableKeepalive(server, options)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('must listen on TCP') }),
    );
    expect(server.listenerCount('connection')).toBe(0);
  });

  test("http, https, tls and http2 servers: settings in place in the user's handlers", async () => {
    const { key, cert } = localhostCertificate();
    const seen: Record<string, KeepaliveSettings> = {};
    const servers = {
      http: http.createServer((request, response) => {
        seen.http = getKeepalive(request.socket);
        response.end();
      }),
      https: https.createServer({ key, cert }, (request, response) => {
        seen.https = getKeepalive(request.socket);
        response.end();
      }),
      tls: tls.createServer({ key, cert }, (socket) => {
        seen.tls = getKeepalive(socket);
        socket.end();
      }),
      http2: http2.createSecureServer({ key, cert }, (request, response) => {
        seen.http2 = getKeepalive(request.socket);
        response.end();
      }),
    };
    const ports: Record<string, number> = {};
    for (const [name, server] of Object.entries(servers)) {
      enableKeepalive(server, options);
      ports[name] = await serve(server);
    }
    const get = (module: typeof http | typeof https, port: number) =>
      new Promise<void>((resolve, reject) =>
        module.get({ port, host: '127.0.0.1', ca: cert, servername: 'localhost', agent: false }, (response) => {
          response.resume().on('end', resolve);
        }).on('error', reject),
      );
    await get(http, ports.http);
    await get(https, ports.https);
    const secure = tls.connect({ port: ports.tls, host: '127.0.0.1', ca: cert, servername: 'localhost' });
    await once(secure.resume(), 'end');
    secure.destroy();
    const session = http2.connect(`https://localhost:${ports.http2}`, { ca: cert });
    const stream = session.request({ ':path': '/' });
    await once(stream.resume(), 'end');
    session.close();
    expect(seen).toEqual({ http: configured, https: configured, tls: configured, http2: configured });
  });
});

// Where ptrace is forbidden the syscalls cannot be observed; CI installs strace and can.
(straceWorks() ? describe : describe.skip)('syscalls per accepted connection (strace)', () => {
  const connections = 300;
  const expected = JSON.stringify(configured);

  test('inherited from the listening socket: no keepalive syscall for any of 300 connections', () => {
    const { stdout, calls } = traceKeepaliveCalls('server-accept.js', [String(connections)]);
    const { listenFd, seen } = JSON.parse(stdout) as { listenFd: number; seen: Record<string, number> };
    expect(seen).toEqual({ [expected]: connections });
    expect(calls.map((call) => `${call.fd}:${call.option}=${call.value}`)).toEqual([
      `${listenFd}:TCP_KEEPIDLE=6`,
      `${listenFd}:TCP_KEEPINTVL=2`,
      `${listenFd}:TCP_KEEPCNT=4`,
      `${listenFd}:TCP_USER_TIMEOUT=9000`,
      `${listenFd}:SO_KEEPALIVE=1`,
    ]);
  });

  test("with Node's keepAlive server option overriding them: applied again on each connection", () => {
    const { stdout, calls } = traceKeepaliveCalls('server-accept.js', [String(connections), 'node-keepalive']);
    const { listenFd, seen } = JSON.parse(stdout) as { listenFd: number; seen: Record<string, number> };
    expect(seen).toEqual({ [expected]: connections });
    const perConnection = calls.filter((call) => call.fd !== listenFd);
    // Node's four (libuv), then our five, on every accepted socket.
    expect(perConnection).toHaveLength(connections * 9);
  });
});

describe('agents', () => {
  /** Makes `count` requests one after another; returns what the client socket held after each. */
  async function requests(agent: http.Agent, port: number, count: number, module: typeof http | typeof https = http, ca?: string) {
    const seen: Array<KeepaliveSettings & { port: number }> = [];
    for (let i = 0; i < count; i++) {
      await new Promise<void>((resolve, reject) => {
        const request = module.get({ port, host: '127.0.0.1', agent, ca, servername: 'localhost' }, (response) => {
          const socket = response.socket;
          seen.push({ port: socket.localPort as number, ...getKeepalive(socket) });
          response.resume().on('end', resolve);
        });
        request.on('error', reject);
      });
      await new Promise((resolve) => setImmediate(resolve));
    }
    return seen;
  }

  test('http.Agent({ keepAlive: true }): every request reads the settings, on one reused socket', async () => {
    const serverSide: KeepaliveSettings[] = [];
    const server = http.createServer((request, response) => {
      serverSide.push(getKeepalive(request.socket));
      response.end('ok');
    });
    const port = await serve(server);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    expect(enableKeepalive(agent, options)).toBe(agent);
    const seen = await requests(agent, port, 5);
    expect(new Set(seen.map((s) => s.port)).size).toBe(1);
    expect(seen.map(({ port: _, ...settings }) => settings)).toEqual(Array(5).fill(configured));
    // The server's end is not the agent's: untouched.
    expect(serverSide).toEqual(Array(5).fill(untouched()));
  });

  test('sockets already in the pool are configured too, and new ones after them', async () => {
    const server = http.createServer((_request, response) => response.end('ok'));
    const port = await serve(server);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    const [before] = await requests(agent, port, 1);
    expect(before.enabled).toBe(true); // Node's keepAlive agent turns it on, with its own values.
    expect(before.count).toBe(10);
    enableKeepalive(agent, options);
    const after = await requests(agent, port, 2);
    expect(after.every((s) => s.port === before.port)).toBe(true);
    expect(after.map(({ port: _, ...settings }) => settings)).toEqual([configured, configured]);
  });

  test('https.Agent', async () => {
    const { key, cert } = localhostCertificate();
    const server = https.createServer({ key, cert }, (_request, response) => response.end('ok'));
    const port = await serve(server);
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    enableKeepalive(agent, options);
    const seen = await requests(agent, port, 3, https, cert);
    expect(seen.map(({ port: _, ...settings }) => settings)).toEqual(Array(3).fill(configured));
  });

  test('disableKeepalive(agent) turns pooled sockets off and restores createConnection', async () => {
    const server = http.createServer((_request, response) => response.end('ok'));
    const port = await serve(server);
    const agent = new http.Agent({ keepAlive: false });
    cleanups.push(() => agent.destroy());
    const ownCreateConnection = agent.createConnection;
    enableKeepalive(agent, options);
    expect(agent.createConnection).not.toBe(ownCreateConnection);
    disableKeepalive(agent);
    expect(agent.createConnection).toBe(ownCreateConnection);
    expect(Object.prototype.hasOwnProperty.call(agent, 'createConnection')).toBe(false);
    const [seen] = await requests(agent, port, 1);
    expect(seen.enabled).toBe(false);
  });

  test('an agent talking over a Unix socket is left alone, without errors', async () => {
    const path = `/tmp/tcp-keepalive-agent-${process.pid}.sock`;
    const server = http.createServer((_request, response) => response.end('ok'));
    server.listen(path);
    await once(server, 'listening');
    cleanups.push(() => server.close());
    const agent = new http.Agent({ keepAlive: true });
    cleanups.push(() => agent.destroy());
    enableKeepalive(agent, options);
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get({ socketPath: path, agent }, (response) => {
          let text = '';
          response.on('data', (chunk) => (text += chunk)).on('end', () => resolve(text));
        })
        .on('error', reject);
    });
    expect(body).toBe('ok');
  });
});
