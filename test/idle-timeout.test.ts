// tcp-keepalive idle-timeout as a user runs it: the built dist/cli.js, against
// loopback servers, and in the network lab behind a NAT router that forgets
// idle connections after a configured time.
import { spawn, spawnSync, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { once } from 'node:events';
import { createLab, type Lab } from '../src/tools/lab';
import { listen } from './helpers/loopback';
import { labTest } from './helpers/namespaces';

const cli = path.join(__dirname, '..', 'dist', 'cli.js');

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
  /** ms from spawn to exit. */
  took: number;
}

interface Report {
  ending: string;
  lowerMs: number;
  upperMs: number | null;
  widthMs: number | null;
  allowedWidthMs: number;
  suggestedIdleMs: number | null;
  elapsedMs: number;
  connectionsUsed: number;
  mostAtOnce: number;
  endedBy?: { how: string; openMs: number; idleMs: number };
  probes: { connection: number; idleMs: number; outcome: string }[];
  exitCode: number;
}

const children = new Set<ChildProcess>();
const servers = new Set<net.Server>();

afterEach(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
  await Promise.all([...servers].map((server) => new Promise((resolve) => server.close(resolve))));
  servers.clear();
});

/** Collects a running CLI's output; `exit` resolves when it ends, or rejects after `limit` ms (and kills it). */
function follow(child: ChildProcessWithoutNullStreams, limit: number): { exit: Promise<Finished>; stdout: () => string } {
  children.add(child);
  const started = Date.now();
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = new Promise<Finished>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`idle-timeout still running after ${limit} ms; stdout: ${stdout}; stderr: ${stderr}`));
    }, limit);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, took: Date.now() - started });
    });
  });
  return { exit, stdout: () => stdout };
}

function start(args: string[], limit = 20000, env: NodeJS.ProcessEnv = process.env): ReturnType<typeof follow> {
  return follow(spawn(process.execPath, [cli, 'idle-timeout', ...args], { env }), limit);
}

/** A loopback server that hands each connection to `onConnection`. */
async function server(onConnection: (socket: net.Socket) => void = () => {}): Promise<number> {
  const made = net.createServer((socket) => {
    socket.on('error', () => {});
    onConnection(socket);
  });
  made.on('connection', (socket) => made.once('close', () => socket.destroy()));
  servers.add(made);
  return listen(made);
}

describe('help and arguments', () => {
  test('--help, -h and "help idle-timeout" print the same usage, with its exit codes', () => {
    const help = spawnSync(process.execPath, [cli, 'idle-timeout', '--help'], { encoding: 'utf8' });
    expect({ status: help.status, stderr: help.stderr }).toEqual({ status: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: tcp-keepalive idle-timeout HOST:PORT/);
    for (const code of [0, 1, 2, 4, 5]) expect(help.stdout).toMatch(new RegExp(`^  ${code}  \\S`, 'm'));
    expect(spawnSync(process.execPath, [cli, 'help', 'idle-timeout'], { encoding: 'utf8' }).stdout).toBe(help.stdout);
    expect(spawnSync(process.execPath, [cli, 'idle-timeout', '-h'], { encoding: 'utf8' }).stdout).toBe(help.stdout);
    const main = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' }).stdout;
    expect(main).toContain('\n  idle-timeout HOST:PORT\n');
    expect(main).toMatch(/^  5  idle-timeout: stopped/m);
  });

  test.each([
    [[], /^tcp-keepalive idle-timeout: missing HOST:PORT/],
    [['localhost'], /^tcp-keepalive idle-timeout: HOST:PORT expected .*, got 'localhost'$/],
    [['127.0.0.1:9', '127.0.0.1:10'], /^tcp-keepalive idle-timeout: unexpected argument '127\.0\.0\.1:10' \(idle-timeout takes one HOST:PORT\)$/],
    [['127.0.0.1:9', '--idle', '5s'], /^tcp-keepalive idle-timeout: unknown option --idle \(allowed: --max, --precision, --connections, --connect-timeout, --json, --help\)$/],
    [['127.0.0.1:9', '--json=yes'], /^tcp-keepalive idle-timeout: --json takes no value$/],
    [['127.0.0.1:9', '--max'], /^tcp-keepalive idle-timeout: --max needs a value/],
    [['127.0.0.1:9', '--max', 'soon'], /^tcp-keepalive idle-timeout: --max must be a duration/],
    [['127.0.0.1:9', '--max', '1s'], /^tcp-keepalive idle-timeout: --max must be a duration from 2s to 9h, got '1s'$/],
    [['127.0.0.1:9', '--max', '10h'], /^tcp-keepalive idle-timeout: --max must be a duration from 2s to 9h, got '10h'$/],
    [['127.0.0.1:9', '--max', '90.5s'], /^tcp-keepalive idle-timeout: --max must be whole seconds \(keepalive's idle is\), got '90\.5s'$/],
    [['127.0.0.1:9', '--precision', '500ms'], /^tcp-keepalive idle-timeout: --precision must be a duration from 1s to 9h \(keepalive's idle is whole seconds\) or a percentage from 1% to 100%, got '500ms'$/],
    [['127.0.0.1:9', '--precision', '0.5%'], /^tcp-keepalive idle-timeout: --precision must be .*, got '0\.5%'$/],
    [['127.0.0.1:9', '--precision', 'fine'], /^tcp-keepalive idle-timeout: --precision must be .*, got 'fine'$/],
    [['127.0.0.1:9', '--connections', '0'], /^tcp-keepalive idle-timeout: --connections must be an integer from 1 to 16, got '0'$/],
    [['127.0.0.1:9', '--connections', '17'], /^tcp-keepalive idle-timeout: --connections must be an integer from 1 to 16, got '17'$/],
    [['127.0.0.1:9', '--connections', 'many'], /^tcp-keepalive idle-timeout: --connections must be an integer from 1 to 16, got 'many'$/],
    [['127.0.0.1:9', '--connect-timeout', '0'], /^tcp-keepalive idle-timeout: --connect-timeout must be a duration from 1ms to /],
  ])('%j: exit 2, one line naming the argument', (args, message) => {
    const result = spawnSync(process.execPath, [cli, 'idle-timeout', ...(args as string[])], { encoding: 'utf8', timeout: 15000 });
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.endsWith('\n')).toBe(true);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr.trimEnd()).toMatch(message);
  });
});

describe('on loopback', () => {
  test('nothing listening: exit 1 with one line, nothing on stdout', async () => {
    const port = await server();
    await new Promise((resolve) => [...servers][0].close(resolve));
    servers.clear();
    const { code, stdout, stderr } = await start([`127.0.0.1:${port}`]).exit;
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr).toMatch(new RegExp(`^tcp-keepalive idle-timeout: cannot connect to 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED.*\n$`));
  });

  test('without the addon (no TCP_INFO to read): exit 1 with one line', async () => {
    const port = await server();
    const { code, stdout, stderr } = await start([`127.0.0.1:${port}`], 20000, { ...process.env, PREBUILDS_ONLY: '1' }).exit;
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr).toMatch(/^tcp-keepalive idle-timeout: cannot measure on 127\.0\.0\.1:\d+: .*getKeepaliveStatus.*\n$/);
  });

  test('loopback forgets nothing: at least --max 3s, after 3 s, exit 0; --json gives upperMs null', async () => {
    const port = await server();
    const text = start([`127.0.0.1:${port}`, '--max', '3s']);
    const json = start([`127.0.0.1:${port}`, '--max', '3s', '--json']);
    const [shown, reported] = await Promise.all([text.exit, json.exit]);
    expect({ code: shown.code, stderr: shown.stderr }).toEqual({ code: 0, stderr: '' });
    expect(shown.stdout).toMatch(/^Connected to 127\.0\.0\.1:\d+\. Probing idle connections with keepalive alone, on up to 8 at once, up to 3s; precision: the larger of 2s and 10%\.$/m);
    // The bounds column floors to 10 ms and the event rounds, so a probe after 2,995 ms shows as "2.99s – ?" beside "after 3s".
    expect(shown.stdout).toMatch(/^ {2}\S+ +(2\.99|3(\.\d+)?)s – \? +\d +#\d: probe after 3(\.\d+)?s idle answered$/m);
    expect(shown.stdout).toContain('This path keeps an idle connection at least 3s (--max): no probe up to then went unanswered.\n');
    expect(shown.stdout).toMatch(/^Suggested keepalive: idle 2s, interval 1s /m);
    expect(shown.took).toBeGreaterThan(3000);
    expect(shown.took).toBeLessThan(10000);

    expect(reported.code).toBe(0);
    // Progress on stderr, one object on stdout.
    expect(reported.stderr).toMatch(/^Connected to /);
    expect(reported.stdout.trimEnd().split('\n')).toHaveLength(1);
    const report = JSON.parse(reported.stdout) as Report;
    expect(report).toMatchObject({ ending: 'at least max', upperMs: null, widthMs: null, exitCode: 0, suggestedIdleMs: 2000 });
    expect(report.lowerMs).toBeGreaterThanOrEqual(2990);
    expect(report.mostAtOnce).toBeLessThanOrEqual(8);
    expect(report.probes.every((probe) => probe.outcome === 'answered')).toBe(true);
  });

  test('a server that closes idle connections itself after 2 s: exit 4, saying so', async () => {
    const port = await server((socket) => setTimeout(() => socket.end(), 2000));
    const { code, stdout, stderr } = await start([`127.0.0.1:${port}`, '--json']).exit;
    expect(code).toBe(4);
    const report = JSON.parse(stdout) as Report;
    expect(report).toMatchObject({ ending: 'ended', exitCode: 4, suggestedIdleMs: null, endedBy: { how: 'closed' } });
    expect(Math.abs((report.endedBy as { openMs: number }).openMs - 2000)).toBeLessThan(1000);
    expect(stderr).toMatch(/^A connection was closed by the other end \(FIN\) with no probe outstanding, 2(\.\d+)?s after it opened: /m);
  });

  test('Ctrl-C: the bounds so far, exit 5', async () => {
    const port = await server();
    const running = start([`127.0.0.1:${port}`, '--max', '60s']);
    const deadline = Date.now() + 10000;
    while (!/#\d+: probe after 2(\.\d+)?s idle answered/.test(running.stdout()) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    [...children][0].kill('SIGINT');
    const { code, stdout, stderr } = await running.exit;
    expect({ code, stderr }).toEqual({ code: 5, stderr: '' });
    // As above: the bound floors to 10 ms, so a probe shown "after 2.01s" may give "at least 1.99s".
    expect(stdout).toMatch(/^Stopped \(SIGINT\) after \S+, before the bounds met the precision\.\nSo far: at least (1\.99|2(\.\d+)?)s, no upper bound\.$/m);
  });
});

describe('in the network lab, behind a NAT that forgets idle connections', () => {
  /** Runs idle-timeout --json from the client of a NAT lab whose router forgets after `timeout` ms. */
  async function measureBehindNat(timeout: number): Promise<{ report: Report; result: Finished; lab: Lab }> {
    const lab = await createLab({ nat: { idleTimeout: timeout } });
    labs.add(lab);
    const listener =
      "const server = require('net').createServer((s) => s.on('error', () => {}));" +
      "server.listen(0, '0.0.0.0', () => console.log(server.address().port));" +
      "process.stdin.resume().on('end', () => process.exit());";
    const peer = lab.server.spawn(process.execPath, ['-e', listener]);
    const [port] = (await once(peer.stdout.setEncoding('utf8'), 'data')) as [string];
    const running = follow(
      lab.client.spawn(process.execPath, [cli, 'idle-timeout', `${lab.server.address}:${port.trim()}`, '--max', '2m', '--json']),
      3 * timeout + 60000,
    );
    const result = await running.exit;
    return { report: JSON.parse(result.stdout) as Report, result, lab };
  }

  const labs = new Set<Lab>();
  afterEach(async () => {
    await Promise.all([...labs].map((lab) => lab.close()));
    labs.clear();
  });

  labTest(
    'router timeouts of 20 s and 45 s: bounds that contain each, within the larger of 2 s and 10 %, exit 0',
    async () => {
      // Both at once, in labs of their own: the run takes as long as the longer one.
      const runs = await Promise.all([20000, 45000].map(async (timeout) => ({ timeout, ...(await measureBehindNat(timeout)) })));
      for (const { timeout, report, result } of runs) {
        expect({ code: result.code, ending: report.ending }).toEqual({ code: 0, ending: expect.stringMatching(/^(precision|granularity)$/) });
        expect(report.lowerMs).toBeLessThanOrEqual(timeout);
        expect(report.upperMs).toBeGreaterThanOrEqual(timeout);
        expect(report.widthMs).toBeLessThanOrEqual(Math.max(2000, 0.1 * timeout));
        expect(report.widthMs).toBeLessThanOrEqual(report.allowedWidthMs);
        expect(report.mostAtOnce).toBeLessThanOrEqual(8);
        expect(report.suggestedIdleMs).toBeLessThan(report.lowerMs);
        // Some probe went unanswered: the router really forgot, and the tool saw it.
        expect(report.probes.some((probe) => probe.outcome === 'forgotten')).toBe(true);
        expect(result.stderr).toMatch(/: probe after \S+ idle unanswered: forgotten$/m);
        expect(report.elapsedMs).toBeLessThan(3 * timeout + 10000);
        process.stdout.write(
          `idle-timeout behind a NAT forgetting after ${timeout / 1000}s: ${report.lowerMs} – ${report.upperMs} ms, ` +
            `in ${report.elapsedMs} ms with ${report.connectionsUsed} connections\n`,
        );
      }
    },
    200000,
  );
});
