// pg (node-postgres) against a real PostgreSQL: the recipe of docs/integrations.md,
//   new pg.Pool({ ..., stream: () => enableKeepalive(new net.Socket(), settings) })
// gives every connection the pool makes interval, count and user timeout
// too, held through pg's own setKeepAlive(true, keepAliveInitialDelayMillis)
// on connect, and again on the connection that replaces one the server
// ended. The client runs in a child process; its sockets are read from outside it.
import path from 'node:path';
import pg from 'pg';
import { cleanEnv, startClient, stopClients, until, type ClientProgram } from './helpers/client-program';
import { runDocExample } from './helpers/doc-example';
import { describeWith, postgresBinDir, startPostgres, type RunningServer } from './helpers/servers';

// Child processes and a database server: a loaded machine needs more than the default.
jest.setTimeout(60000);

const configured = { enabled: true, idle: 7000, interval: 2000, count: 3, userTimeout: 9000 };
const preloadEnv = { KEEPIDLE: '7', KEEPINTVL: '2', KEEPCNT: '3', TCP_USER_TIMEOUT: '9000' };
/** What pg's setKeepAlive(true, 10000) on connect leaves: idle 10 s, interval 1 s, count 10. */
const pgValues = { enabled: true, idle: 10000, interval: 1000, count: 10, userTimeout: 0 };
/** pg's own call on each connection, made after the recipe's settings were applied (on 'connect'). */
const pgCalls = [[true, 10000]];

describeWith(postgresBinDir() !== undefined)('pg.Pool against PostgreSQL', () => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await startPostgres();
  }, 60000);
  afterEach(stopClients);
  afterAll(async () => {
    await server?.stop();
  });

  const start = (mode: string, nodeArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ClientProgram> =>
    startClient(nodeArgs, 'pg.js', [mode, String(server.port)], cleanEnv(env));

  /** Ends the backend `pid` from the server's side, as an administrator or a failover would. */
  async function terminateBackend(pid: number): Promise<void> {
    const admin = new pg.Client({ host: '127.0.0.1', port: server.port, user: 'postgres', database: 'postgres' });
    await admin.connect();
    try {
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    } finally {
      await admin.end();
    }
  }

  /** A query, then the server ends that connection; the next query gets a new one. Both are returned. */
  async function twoConnections(client: ClientProgram) {
    const first = await client.send('query');
    const firstOptions = client.optionsAt(first.port as number);
    await terminateBackend(first.pid as number);
    // pg drops the client once it has read the termination; the socket is gone then.
    await until(() => !client.holds(first.port as number), 'the terminated connection to close');
    const second = await client.send('query');
    expect(second.port).not.toBe(first.port);
    return [
      { driverCalls: first.driverCalls, options: firstOptions },
      { driverCalls: second.driverCalls, options: client.optionsAt(second.port as number) },
    ];
  }

  test("pg's own keepAlive: idle alone, and its setKeepAlive makes interval 1 s and count 10 (the problem)", async () => {
    const client = await start('driver');
    const first = await client.send('query');
    expect(first.driverCalls).toEqual(pgCalls);
    expect(client.optionsAt(first.port as number)).toEqual(pgValues);
  });

  test("the recipe: every connection of the pool, held through pg's own setKeepAlive, the one after a terminated backend too", async () => {
    const connections = await twoConnections(await start('recipe'));
    for (const connection of connections) {
      expect(connection.driverCalls).toEqual(pgCalls);
      expect(connection.options).toEqual(configured);
    }
  });

  test('docs/integrations.md: the pg example runs as written', async () => {
    const env = cleanEnv({ PGHOST: '127.0.0.1', PGPORT: String(server.port), PGUSER: 'postgres', PGDATABASE: 'postgres' });
    expect(await runDocExample('integrations.md', 'pg-keepalive.mjs', [], env)).toEqual({ code: 0, stdout: '1\n', stderr: '' });
  });

  test('the preload, with no code at all: the same', async () => {
    const register = ['--require', path.join(__dirname, '..', 'dist', 'register.js')];
    const connections = await twoConnections(await start('driver', register, preloadEnv));
    for (const connection of connections) {
      expect(connection.driverCalls).toEqual(pgCalls);
      expect(connection.options).toEqual(configured);
    }
  });
});
