// ioredis against a real Redis: the recipe of docs/integrations.md,
//   redis.on('connect', () => enableKeepalive(redis.stream, settings))
// gives each connection interval, count and user timeout too, the ones
// ioredis makes on its own after the server killed the last one included
// (ioredis calls setKeepAlive(true, keepAlive) on every new socket). The
// client runs in a child process; its sockets are read from outside it.
import path from 'node:path';
import Redis from 'ioredis';
import { cleanEnv, startClient, stopClients, until, type ClientProgram } from './helpers/client-program';
import { runDocExample } from './helpers/doc-example';
import { describeWith, redisServerPath, startRedis, type RunningServer } from './helpers/servers';

// Child processes and a database server: a loaded machine needs more than the default.
jest.setTimeout(60000);

const configured = { enabled: true, idle: 7000, interval: 2000, count: 3, userTimeout: 9000 };
const preloadEnv = { KEEPIDLE: '7', KEEPINTVL: '2', KEEPCNT: '3', TCP_USER_TIMEOUT: '9000' };
/** What ioredis's setKeepAlive(true, 10000) on connect leaves: idle 10 s, interval 1 s, count 10. */
const ioredisValues = { enabled: true, idle: 10000, interval: 1000, count: 10, userTimeout: 0 };
const ioredisCalls = [[true, 10000]];

describeWith(redisServerPath() !== undefined)('ioredis against Redis', () => {
  let server: RunningServer;
  let admin: Redis;

  beforeAll(async () => {
    server = await startRedis();
    admin = new Redis({ host: '127.0.0.1', port: server.port, lazyConnect: true });
    await admin.connect();
  }, 60000);
  afterEach(stopClients);
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
  });

  const start = (mode: string, nodeArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ClientProgram> =>
    startClient(nodeArgs, 'ioredis.js', [mode, String(server.port)], cleanEnv(env));

  /** The client's connection, then the server kills it (CLIENT KILL) and ioredis connects again. Both are returned. */
  async function twoConnections(client: ClientProgram) {
    const first = await client.send('info');
    const firstOptions = client.optionsAt(first.port as number);
    await admin.client('KILL', 'ID', String(first.id));
    await until(() => client.portsTo(server.port).some((port) => port !== first.port), 'ioredis to connect again');
    const second = await client.send('info');
    expect(second.port).not.toBe(first.port);
    return [
      { driverCalls: first.driverCalls, options: firstOptions },
      { driverCalls: second.driverCalls, options: client.optionsAt(second.port as number) },
    ];
  }

  test("ioredis's own keepAlive: idle alone, and its setKeepAlive makes interval 1 s and count 10 (the problem)", async () => {
    const client = await start('driver');
    const first = await client.send('info');
    expect(first.driverCalls).toEqual(ioredisCalls);
    expect(client.optionsAt(first.port as number)).toEqual(ioredisValues);
  });

  test('enableKeepalive on the first connection alone: the one ioredis makes after a kill has its own values again', async () => {
    const [first, second] = await twoConnections(await start('once'));
    expect(first.options).toEqual(configured);
    expect(second.driverCalls).toEqual(ioredisCalls);
    expect(second.options).toEqual(ioredisValues);
  });

  test("the recipe: on every 'connect', so the connection after a kill has the settings too", async () => {
    const connections = await twoConnections(await start('recipe'));
    for (const connection of connections) {
      expect(connection.driverCalls).toEqual(ioredisCalls);
      expect(connection.options).toEqual(configured);
    }
  });

  test('docs/integrations.md: the ioredis example runs as written', async () => {
    const env = cleanEnv({ REDIS_URL: `redis://127.0.0.1:${server.port}` });
    expect(await runDocExample('integrations.md', 'ioredis-keepalive.mjs', [], env)).toEqual({ code: 0, stdout: 'PONG\n', stderr: '' });
  });

  test('the preload, with no code at all: the same', async () => {
    const register = ['--require', path.join(__dirname, '..', 'dist', 'register.js')];
    const connections = await twoConnections(await start('driver', register, preloadEnv));
    for (const connection of connections) {
      expect(connection.driverCalls).toEqual(ioredisCalls);
      expect(connection.options).toEqual(configured);
    }
  });
});
