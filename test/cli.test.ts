// The tcp-keepalive command as a user runs it: the built dist/cli.js spawned as
// a process, its output and exit code checked against the kernel's own view.
import { spawn, spawnSync, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { once } from 'node:events';
import { formatDuration, parseDuration } from '../src/core/duration';
import { createLab } from '../src/tools/lab';
import { OPTION_SPECS } from '../src/core/options';
import { ExitCode } from '../src/tools/cli/outcome';
import { localhostCertificate } from './helpers/certificate';
import { listen, systemDefaults } from './helpers/loopback';
import { ssConnection } from './helpers/ss';
import { labTest, namespaceTest } from './helpers/namespaces';
import { packageRootForOthers } from './helpers/readable';

const root = path.join(__dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion (optionally under a command such as `unshare -n`). */
function run(args: string[], prefix: string[] = []): Result {
  const command = [...prefix, process.execPath, cli, ...args];
  const { status, stdout, stderr } = spawnSync(command[0], command.slice(1), { encoding: 'utf8', timeout: 15000 });
  return { status, stdout, stderr };
}

/** Runs a shell script in a fresh network namespace; $CLI is the command. */
function inNamespace(script: string, prefix: string[] = []): Result {
  const { status, stdout, stderr } = spawnSync(
    'unshare',
    ['-n', ...prefix, 'sh', '-c', script],
    { encoding: 'utf8', timeout: 15000, env: { ...process.env, CLI: `${process.execPath} ${cli}` } },
  );
  return { status, stdout, stderr };
}

const forOthers = packageRootForOthers();

const procFiles = ['time', 'intvl', 'probes'].map((name) => `/proc/sys/net/ipv4/tcp_keepalive_${name}`);
const catDefaults = `cat ${procFiles.join(' ')}`;

describe('help', () => {
  test('tcp-keepalive --help and help: the commands, durations and exit codes', () => {
    const help = run(['--help']);
    expect(help).toMatchObject({ status: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: tcp-keepalive <command>/);
    for (const command of ['show', 'sysctl', 'check HOST:PORT']) expect(help.stdout).toContain(`\n  ${command} `);
    for (const code of [0, 1, 2, 3, 4]) expect(help.stdout).toMatch(new RegExp(`^  ${code}  \\S`, 'm'));
    expect(run(['help'])).toEqual(help);
    expect(run(['-h'])).toEqual(help);
  });

  test.each(['show', 'sysctl', 'check'])('%s: --help, -h and "help COMMAND" print the same usage', (command) => {
    const help = run([command, '--help']);
    expect(help).toMatchObject({ status: 0, stderr: '' });
    expect(help.stdout).toMatch(new RegExp(`^Usage: tcp-keepalive ${command}`));
    expect(help.stdout).toMatch(/Exit codes/);
    expect(run([command, '-h'])).toEqual(help);
    expect(run(['help', command])).toEqual(help);
    // Help wins over arguments that would be refused.
    expect(run([command, '--bogus', 'x', '--help'])).toEqual(help);
  });

  test('--version prints the package version', () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    expect(run(['--version'])).toEqual({ status: 0, stdout: `${version}\n`, stderr: '' });
    expect(run(['-v'])).toEqual({ status: 0, stdout: `${version}\n`, stderr: '' });
  });

  test('the exit codes in the help and in docs/cli.md are those the commands return (outcome.ts)', () => {
    const codes = Object.values(ExitCode).sort();
    const helpCodes = [...run(['--help']).stdout.matchAll(/^ {2}(\d+) {2}\S/gm)].map((match) => Number(match[1]));
    const docs = fs.readFileSync(path.join(root, 'docs', 'cli.md'), 'utf8');
    const table = docs.slice(docs.indexOf('## Exit codes'));
    const docsCodes = [...table.matchAll(/^\| (\d+) \|/gm)].map((match) => Number(match[1]));
    expect(helpCodes).toEqual(codes);
    expect(docsCodes).toEqual(codes);
  });

  test("check's keepalive flags are the option table's, each with its meaning and unit", () => {
    const help = run(['check', '--help']).stdout;
    for (const spec of OPTION_SPECS) {
      expect(help).toMatch(new RegExp(`^  ${spec.flag} (DURATION|N) +${spec.meaning}`, 'm'));
    }
  });

  test('bare tcp-keepalive prints the usage on stderr, exit 2 (as a usage error)', () => {
    const help = run(['--help']);
    expect(run([])).toEqual({ status: 2, stdout: '', stderr: help.stdout });
  });
});

describe('bad arguments: exit 2 with one line on stderr naming the argument', () => {
  test.each([
    [['frobnicate'], /^tcp-keepalive: unknown command 'frobnicate'/],
    [['--frobnicate'], /^tcp-keepalive: unknown option --frobnicate/],
    [['help', 'frobnicate'], /^tcp-keepalive: unknown command 'frobnicate'/],
    [['show', '--verbose'], /^tcp-keepalive show: unknown option --verbose \(allowed: --json, --help\)$/],
    [['show', '--json=yes'], /^tcp-keepalive show: --json takes no value$/],
    [['show', 'extra'], /^tcp-keepalive show: unexpected argument 'extra'$/],
    [['sysctl'], /^tcp-keepalive sysctl: give at least one of --idle, --interval, --count$/],
    [['sysctl', '--idle'], /^tcp-keepalive sysctl: --idle needs a value/],
    [['sysctl', '--idle', 'soon'], /^tcp-keepalive sysctl: --idle must be a duration \(such as 30s, .*\), got 'soon'$/],
    [['sysctl', '--idle', '-5'], /^tcp-keepalive sysctl: --idle needs a value/],
    [['sysctl', '--idle', '1.5s'], /^tcp-keepalive sysctl: --idle must be whole seconds, as sysctls hold them, got '1.5s'$/],
    [['sysctl', '--interval', '0'], /^tcp-keepalive sysctl: --interval must be a duration above 0 and at most 32767s \(9h6m7s\), got '0'$/],
    [['sysctl', '--interval', '32768s'], /^tcp-keepalive sysctl: --interval must be .* at most 32767s .*, got '32768s'$/],
    [['sysctl', '--count', '0'], /^tcp-keepalive sysctl: --count must be an integer from 1 to 127, got '0'$/],
    [['sysctl', '--count', '128'], /^tcp-keepalive sysctl: --count must be an integer from 1 to 127, got '128'$/],
    [['sysctl', '--count', 'many'], /^tcp-keepalive sysctl: --count must be an integer from 1 to 127, got 'many'$/],
    [['sysctl', '--count', '3', '--user-timeout', '5s'], /^tcp-keepalive sysctl: unknown option --user-timeout/],
    [['check'], /^tcp-keepalive check: missing HOST:PORT/],
    [['check', 'localhost'], /^tcp-keepalive check: HOST:PORT expected .*, got 'localhost'$/],
    [['check', 'localhost:0'], /^tcp-keepalive check: the port must be an integer from 1 to 65535, got '0' in 'localhost:0'$/],
    [['check', 'localhost:65536'], /^tcp-keepalive check: the port must be .*, got '65536'/],
    [['check', 'localhost:http'], /^tcp-keepalive check: the port must be .*, got 'http'/],
    [['check', '::1:443'], /^tcp-keepalive check: put an IPv6 address in brackets, such as \[::1\]:443, got '::1:443'$/],
    [['check', '[localhost]:443'], /^tcp-keepalive check: '\[localhost\]' is not an IPv6 address/],
    [['check', '127.0.0.1:9', '127.0.0.1:10'], /^tcp-keepalive check: unexpected argument '127.0.0.1:10'/],
    [['check', '127.0.0.1:9', '--count', '1000'], /^tcp-keepalive check: --count must be an integer from 1 to 127, got '1000'$/],
    [['check', '127.0.0.1:9', '--idle', '0s'], /^tcp-keepalive check: --idle must be a duration above 0/],
    [['check', '127.0.0.1:9', '--user-timeout', '1.5ms'], /^tcp-keepalive check: --user-timeout must be whole milliseconds from 0 \(off\) to /],
    [['check', '127.0.0.1:9', '--user-timeout', '30'], /^tcp-keepalive check: --user-timeout needs a unit, such as 30s or 500ms \(a bare number would be seconds here but milliseconds in TCP_USER_TIMEOUT\), got '30'$/],
    [['check', '127.0.0.1:9', '--once', '--for', '5s'], /^tcp-keepalive check: --once and --for cannot be used together$/],
    [['check', '127.0.0.1:9', '--for', 'soon'], /^tcp-keepalive check: --for must be a duration/],
    [['check', '127.0.0.1:9', '--every', '0'], /^tcp-keepalive check: --every must be a duration from 10ms to /],
    [['check', '127.0.0.1:9', '--insecure'], /^tcp-keepalive check: --insecure applies only with --tls$/],
    [['check', '127.0.0.1:9', '--tls=yes'], /^tcp-keepalive check: --tls takes no value$/],
  ])('%j', (args, message) => {
    const result = run(args as string[]);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.endsWith('\n')).toBe(true);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr.trimEnd()).toMatch(message);
  });
});

describe('show', () => {
  test("prints this system's defaults from /proc and the detection time they imply", () => {
    const system = systemDefaults();
    const result = run(['show']);
    expect(result).toMatchObject({ status: 0, stderr: '' });
    const s = (ms: number): string => `${ms / 1000}s`;
    expect(result.stdout).toMatch(new RegExp(`^  idle +${s(system.idle)} .*net\\.ipv4\\.tcp_keepalive_time`, 'm'));
    expect(result.stdout).toMatch(new RegExp(`^  interval +${s(system.interval)} .*net\\.ipv4\\.tcp_keepalive_intvl`, 'm'));
    expect(result.stdout).toMatch(new RegExp(`^  count +${system.count} .*net\\.ipv4\\.tcp_keepalive_probes`, 'm'));
    const total = formatDuration(system.idle + system.interval * system.count);
    expect(result.stdout).toContain(`${s(system.idle)} + ${system.count} × ${s(system.interval)} = ${total}`);
  });

  test('--json: the defaults and detection time in milliseconds', () => {
    const system = systemDefaults();
    const result = run(['show', '--json']);
    expect(result).toMatchObject({ status: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual({ ...system, detectionTime: system.idle + system.interval * system.count });
  });

  namespaceTest("reads the caller's network namespace", () => {
    const result = inNamespace(
      `echo 30 > ${procFiles[0]} && echo 4 > ${procFiles[1]} && echo 5 > ${procFiles[2]} && $CLI show && $CLI show --json`,
    );
    expect(result).toMatchObject({ status: 0, stderr: '' });
    expect(result.stdout).toMatch(/^  idle +30s /m);
    expect(result.stdout).toContain('30s + 5 × 4s = 50s');
    expect(result.stdout).toContain('{"idle":30000,"interval":4000,"count":5,"detectionTime":50000}');
  });
});

describe('sysctl', () => {
  /** The non-comment lines of a sysctl.d file. */
  const settingLines = (text: string): string[] => text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));

  test('prints a sysctl.d file: where it goes, how to load it, the detection time, the settings', () => {
    const result = run(['sysctl', '--idle', '60s', '--interval', '10s', '--count', '5']);
    expect(result).toMatchObject({ status: 0, stderr: '' });
    expect(settingLines(result.stdout)).toEqual([
      'net.ipv4.tcp_keepalive_time = 60',
      'net.ipv4.tcp_keepalive_intvl = 10',
      'net.ipv4.tcp_keepalive_probes = 5',
    ]);
    const comments = result.stdout.split('\n').filter((line) => line.startsWith('#')).join(' ');
    expect(comments).toContain('/etc/sysctl.d/60-tcp-keepalive.conf');
    expect(comments).toContain('sysctl --system');
    expect(comments).toContain('60s + 5 × 10s = 1m50s');
    for (const line of result.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });

  test('takes any duration form, and prints only the settings given', () => {
    expect(settingLines(run(['sysctl', '--idle', '2m', '--interval', '1m30s']).stdout)).toEqual([
      'net.ipv4.tcp_keepalive_time = 120',
      'net.ipv4.tcp_keepalive_intvl = 90',
    ]);
    const system = systemDefaults();
    const countOnly = run(['sysctl', '--count', '4']);
    expect(settingLines(countOnly.stdout)).toEqual(['net.ipv4.tcp_keepalive_probes = 4']);
    // The rest comes from this system's current values.
    const total = formatDuration(system.idle + 4 * system.interval);
    expect(countOnly.stdout).toContain(`${system.idle / 1000}s + 4 × ${system.interval / 1000}s = ${total}`);
  });

  namespaceTest('the file loads with sysctl -p (in a fresh network namespace)', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-keepalive-cli-')), '60-tcp-keepalive.conf');
    try {
      fs.writeFileSync(file, run(['sysctl', '--idle', '45s', '--interval', '3s', '--count', '7']).stdout);
      const result = inNamespace(`sysctl -q -p ${file} && ${catDefaults}`);
      expect(result).toMatchObject({ status: 0, stderr: '' });
      expect(result.stdout.split('\n')).toEqual(['45', '3', '7', '']);
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });

  namespaceTest('--apply writes /proc/sys of its network namespace and reports old and new values', () => {
    const before = systemDefaults();
    // A fresh namespace starts with the kernel's values, whatever the host has.
    const fresh = inNamespace(catDefaults).stdout.trim().split('\n');
    const result = inNamespace(`$CLI sysctl --idle 1m --interval 10 --count 5 --apply && ${catDefaults}`);
    expect(result).toMatchObject({ status: 0, stderr: '' });
    const lines = result.stdout.trim().split('\n');
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^  net\\.ipv4\\.tcp_keepalive_time +${fresh[0]} +→ +60$`)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^  net\\.ipv4\\.tcp_keepalive_intvl +${fresh[1]} +→ +10$`)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^  net\\.ipv4\\.tcp_keepalive_probes +${fresh[2]} +→ +5$`)));
    expect(result.stdout).toContain('now noticed after 60s + 5 × 10s = 1m50s');
    // What the namespace holds afterwards, read by cat in that same namespace.
    expect(lines.slice(-3)).toEqual(['60', '10', '5']);
    // The host was never touched.
    expect(systemDefaults()).toEqual(before);
  });

  namespaceTest('--apply changes only the settings given', () => {
    const fresh = inNamespace(catDefaults).stdout.trim().split('\n');
    const result = inNamespace(`$CLI sysctl --count 3 --apply && ${catDefaults}`);
    expect(result).toMatchObject({ status: 0, stderr: '' });
    expect(result.stdout).not.toContain('tcp_keepalive_time');
    expect(result.stdout.trim().split('\n').slice(-3)).toEqual([fresh[0], fresh[1], '3']);
  });

  namespaceTest('--apply without root: exit 1, one line, nothing changed', () => {
    const asNobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
    const readable = forOthers();
    const cliForOthers = path.join(readable, 'dist', 'cli.js');
    const result = inNamespace(
      `cd ${readable} && ${process.execPath} ${cliForOthers} sysctl --idle 1m --count 5 --apply; echo "exit $?"; ${catDefaults}`,
      asNobody,
    );
    const fresh = inNamespace(catDefaults).stdout.trim().split('\n');
    expect(result.stderr).toBe(
      'tcp-keepalive sysctl: permission denied writing /proc/sys/net/ipv4/tcp_keepalive_time: --apply must run as root\n',
    );
    expect(result.stdout.trim().split('\n')).toEqual(['exit 1', ...fresh]);
  });
});

describe('check', () => {
  const children = new Set<ChildProcess>();
  const servers = new Set<net.Server>();

  afterEach(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    children.clear();
    await Promise.all([...servers].map((server) => new Promise((resolve) => server.close(resolve))));
    servers.clear();
  });

  /** A loopback server whose connections are handed to `onConnection`, closed after the test. */
  async function server(onConnection: (socket: net.Socket) => void = () => {}, host = '127.0.0.1'): Promise<number> {
    const made = net.createServer((socket) => {
      socket.on('error', () => {});
      onConnection(socket);
    });
    made.on('connection', (socket) => made.once('close', () => socket.destroy()));
    servers.add(made);
    return listen(made, host);
  }

  interface Running {
    child: ChildProcess;
    output: () => string;
    /** Resolves with the first match of `pattern` in stdout; rejects after `ms`. */
    waitFor: (pattern: RegExp, ms?: number) => Promise<RegExpMatchArray>;
    exit: Promise<{ code: number | null; stdout: string; stderr: string }>;
  }

  /** Collects a running CLI's output. */
  function follow(child: ChildProcessWithoutNullStreams): Running {
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exit = once(child, 'close').then(([code]) => ({ code: code as number | null, stdout, stderr }));
    const waitFor = (pattern: RegExp, ms = 10000): Promise<RegExpMatchArray> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no ${pattern} within ${ms} ms; stdout: ${stdout}; stderr: ${stderr}`));
        }, ms);
        const look = (): void => {
          const match = pattern.exec(stdout);
          if (!match) return;
          cleanup();
          resolve(match);
        };
        const cleanup = (): void => {
          clearTimeout(timer);
          child.stdout.off('data', look);
        };
        child.stdout.on('data', look);
        void exit.then(() => setImmediate(look));
        look();
      });
    return { child, output: () => stdout, waitFor, exit };
  }

  function start(args: string[], env: NodeJS.ProcessEnv = process.env): Running {
    const child = spawn(process.execPath, [cli, 'check', ...args], { env });
    children.add(child);
    return follow(child);
  }

  const statusLine = /^  \S+ +ESTABLISHED +\d+(\/\d+)? +\S+ +\d+ B +\d+$/m;

  test('prints the values the kernel holds, watches, and exits 0 with a summary on Ctrl-C', async () => {
    const accepted: net.Socket[] = [];
    const port = await server((socket) => accepted.push(socket));
    const running = start([`127.0.0.1:${port}`, '--idle', '1500ms', '--interval', '1s', '--count', '3', '--every', '100ms']);
    const [, localPort] = await running.waitFor(/^Connected to 127\.0\.0\.1:\d+ from 127\.0\.0\.1:(\d+)\.$/m);
    await running.waitFor(/(?:^  \S+ +ESTABLISHED .*\n){3}/m);
    const out = running.output();
    expect(out).toMatch(/^  keepalive +on$/m);
    expect(out).toMatch(/^  idle +2s +\(--idle 1500ms, rounded up to whole seconds\)$/m);
    expect(out).toMatch(/^  interval +1s +\(--interval 1s\)$/m);
    expect(out).toMatch(/^  count +3 +\(--count 3\)$/m);
    expect(out).toMatch(/^  user timeout +0 \(off\) +\(system default\)$/m);
    expect(out).toContain('An idle dead peer is noticed after 2s + 3 × 1s = 5s.');
    expect(out.match(new RegExp(statusLine.source, 'gm'))?.length).toBeGreaterThanOrEqual(3);
    // The kernel's view of the same connection: the server accepted it, and its keepalive timer runs.
    expect(accepted.map((socket) => socket.remotePort)).toEqual([Number(localPort)]);
    expect(ssConnection(Number(localPort), port)?.timer?.name).toBe('keepalive');

    running.child.kill('SIGINT');
    const { code, stdout, stderr } = await running.exit;
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout.trimEnd().split('\n').at(-1)).toMatch(
      /^Stopped \(SIGINT\) after \S+: ESTABLISHED, peer last heard from \S+ ago, most unanswered probes 0\/3, 0 B received\.$/,
    );
  });

  test('IPv6 [::1]:PORT with a user timeout; SIGTERM stops it cleanly too', async () => {
    const port = await server(undefined, '::1');
    const running = start([`[::1]:${port}`, '--idle', '3s', '--interval', '1s', '--user-timeout', '4s', '--every', '100ms']);
    await running.waitFor(/^Connected to \[::1\]:\d+ from \[::1\]:\d+\.$/m);
    await running.waitFor(statusLine);
    const out = running.output();
    expect(out).toMatch(/^  user timeout +4s +\(--user-timeout 4s\)$/m);
    expect(out).toMatch(/^  count +\d+ +\(system default\)$/m);
    // The kernel stops at the first probe time past the user timeout: 3s + 1 × 1s.
    expect(out).toContain('An idle dead peer is noticed after 3s + 1 × 1s = 4s (user timeout 4s: count does not apply).');
    running.child.kill('SIGTERM');
    const { code, stdout } = await running.exit;
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Stopped \(SIGTERM\) after /m);
  });

  test('the peer closes the connection: exit 4', async () => {
    const port = await server((socket) => setTimeout(() => socket.end(), 300));
    const { code, stdout, stderr } = await start([`127.0.0.1:${port}`, '--every', '100ms']).exit;
    expect({ code, stderr }).toEqual({ code: 4, stderr: '' });
    expect(stdout).toMatch(/^  \S+ +ESTABLISHED /m);
    expect(stdout.trimEnd().split('\n').at(-1)).toMatch(/^The peer closed the connection \(FIN\) after \S+\.$/);
  });

  test('the peer resets the connection: exit 4', async () => {
    const port = await server((socket) => setTimeout(() => socket.resetAndDestroy(), 300));
    const { code, stdout, stderr } = await start([`127.0.0.1:${port}`, '--every', '100ms']).exit;
    expect({ code, stderr }).toEqual({ code: 4, stderr: '' });
    expect(stdout.trimEnd().split('\n').at(-1)).toMatch(/^The peer reset the connection \(ECONNRESET\) after \S+\.$/);
  });

  test('nothing listening: exit 1 with one line', async () => {
    const port = await server();
    await new Promise((resolve) => [...servers][0].close(resolve));
    servers.clear();
    const { code, stdout, stderr } = await start([`127.0.0.1:${port}`]).exit;
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr).toMatch(new RegExp(`^tcp-keepalive check: cannot connect to 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED.*\n$`));
  });

  namespaceTest('no answer to the SYN: gives up after --connect-timeout, exit 1', () => {
    const drop = "nft add table inet t && nft add chain inet t in '{ type filter hook input priority 0; }' && nft add rule inet t in tcp dport 9 drop";
    const result = inNamespace(`ip link set lo up && ${drop} && $CLI check 127.0.0.1:9 --connect-timeout 300ms`);
    expect(result).toEqual({
      status: 1,
      stdout: '',
      stderr: 'tcp-keepalive check: no connection to 127.0.0.1:9 after 300ms\n',
    });
  });

  labTest('the peer vanishes (lab): probes climb, then exit 3 with the measured and expected detection time', async () => {
    const lab = await createLab();
    try {
      const listener =
        "const server = require('net').createServer((s) => s.on('error', () => {}));" +
        "server.listen(0, '0.0.0.0', () => console.log(server.address().port));" +
        'process.stdin.resume().on(\'end\', () => process.exit());';
      const peer = lab.server.spawn(process.execPath, ['-e', listener]);
      const [port] = (await once(peer.stdout.setEncoding('utf8'), 'data')) as [string];
      const args = ['check', `${lab.server.address}:${port.trim()}`, '--idle', '2s', '--interval', '1s', '--count', '2', '--every', '200ms'];
      const running = follow(lab.client.spawn(process.execPath, [cli, ...args]));
      await running.waitFor(statusLine);
      expect(running.output()).toContain('An idle dead peer is noticed after 2s + 2 × 1s = 4s.');
      await lab.server.vanish();
      const vanished = Date.now();
      const { code, stdout, stderr } = await running.exit;
      const sinceVanish = Date.now() - vanished;
      expect({ code, stderr }).toEqual({ code: 3, stderr: '' });
      // The probes went out unanswered, one per interval, as the status lines show.
      expect(stdout).toMatch(/^  \S+ +ESTABLISHED +1\/2 /m);
      expect(stdout).toMatch(/^  \S+ +ESTABLISHED +2\/2 /m);
      const [, measuredText] = /^The peer was declared dead \(ETIMEDOUT\) (\S+) after it was last heard from; expected 4s\.$/m.exec(stdout) ?? [];
      const measured = parseDuration(measuredText ?? '') as number;
      // Kernel timers fire a little late, never early (the same bounds as the dead-peer tests).
      expect(measured).toBeGreaterThanOrEqual(4000 - 500);
      expect(measured).toBeLessThanOrEqual(4000 + 1500);
      // The peer was last heard from before it vanished, so the measure covers at least that long.
      expect(measured).toBeGreaterThanOrEqual(sinceVanish - 200);
    } finally {
      await lab.close();
    }
  }, 30000);

  describe('--tls', () => {
    let certFile: string;
    let port: number;
    let tlsServer: tls.Server;

    beforeAll(async () => {
      const { key, cert } = localhostCertificate();
      certFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-keepalive-cli-')), 'cert.pem');
      fs.writeFileSync(certFile, cert);
      tlsServer = tls.createServer({ key, cert }, (socket) => socket.on('error', () => {}));
      port = await listen(tlsServer);
    });

    afterAll(async () => {
      tlsServer.close();
      fs.rmSync(path.dirname(certFile), { recursive: true, force: true });
    });

    test('verifies the certificate; a trusted one connects and is watched', async () => {
      const running = start([`localhost:${port}`, '--tls', '--idle', '5s', '--every', '100ms'], {
        ...process.env,
        NODE_EXTRA_CA_CERTS: certFile,
      });
      await running.waitFor(statusLine);
      expect(running.output()).toMatch(/^TLS: TLSv1\.[23], certificate verified\.$/m);
      expect(running.output()).toMatch(/^  idle +5s +\(--idle 5s\)$/m);
      running.child.kill('SIGINT');
      expect((await running.exit).code).toBe(0);
    });

    test('an untrusted certificate: exit 1, naming --insecure', async () => {
      const { code, stdout, stderr } = await start([`localhost:${port}`, '--tls']).exit;
      expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
      // Node 24 and 26 add a hint about --use-system-ca to the certificate error.
      expect(stderr).toMatch(
        /^tcp-keepalive check: cannot connect to localhost:\d+: self[- ]signed certificate(; if the root CA is installed locally, try running Node\.js with --use-system-ca)? \(--insecure skips verification\)\n$/,
      );
    });

    test('--insecure connects anyway and says the certificate was not verified', async () => {
      const running = start([`localhost:${port}`, '--tls', '--insecure', '--every', '100ms']);
      await running.waitFor(statusLine);
      expect(running.output()).toMatch(/^TLS: TLSv1\.[23], certificate NOT verified: DEPTH_ZERO_SELF_SIGNED_CERT\.$/m);
      running.child.kill('SIGINT');
      expect((await running.exit).code).toBe(0);
    });
  });
});

describe('every exit path ends the command cleanly (issue 9)', () => {
  const noAddon = { ...process.env, PREBUILDS_ONLY: '1' };

  /** Runs a shell script with $CLI, $NODE and $ROOT set, optionally without the addon. */
  function script(text: string, env: NodeJS.ProcessEnv = process.env, prefix: string[] = []): Result {
    const command = [...prefix, 'sh', '-c', text];
    const { status, stdout, stderr } = spawnSync(command[0], command.slice(1), {
      encoding: 'utf8',
      timeout: 20000,
      env: { ...env, CLI: `${process.execPath} ${cli}`, NODE: process.execPath, ROOT: root },
    });
    return { status, stdout, stderr };
  }

  namespaceTest('system defaults beyond the per-socket limits are read, shown and computed with', () => {
    const extremes =
      'ip link set lo up && echo 86400 > /proc/sys/net/ipv4/tcp_keepalive_time && echo 200 > /proc/sys/net/ipv4/tcp_keepalive_probes';
    const result = script(
      `${extremes} && $CLI show && $CLI show --json && $CLI sysctl --count 5 | tail -1 && $CLI sysctl --count 5 --apply && ` +
        `$NODE -e "const net = require('net'); const k = require(process.env.ROOT); const s = net.createServer().listen(0, '127.0.0.1', () => { ` +
        `const c = net.connect(s.address().port, '127.0.0.1', () => { k.enableKeepalive(c); console.log(k.detectionTime(k.getKeepalive(c))); c.destroy(); s.close(); }); });"`,
      process.env,
      ['unshare', '-n'],
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const interval = systemDefaults().interval;
    expect(result.stdout).toContain('  idle      86400s  (24h)');
    expect(result.stdout).toContain(`{"idle":86400000,"interval":${interval},"count":200,"detectionTime":${86400000 + interval * 200}}`);
    expect(result.stdout).toContain('net.ipv4.tcp_keepalive_probes = 5\n');
    expect(result.stdout).toContain(`now noticed after 86400s + 5 × ${interval / 1000}s`);
    // The library's own example, on a fresh socket that inherits those defaults.
    expect(result.stdout.trim().split('\n').at(-1)).toBe(String(86400000 + interval * 5));
  });

  namespaceTest('sysctl --apply: a value that does not stick rolls back what was written before it, and says so', () => {
    const fresh = inNamespace(catDefaults).stdout.trim().split('\n');
    // The third write does not stick: in a mount namespace of the test's own,
    // /dev/null is bound over tcp_keepalive_probes (the write succeeds, the
    // read back gives nothing), as when a kernel keeps another value.
    const result = script(
      `mount --bind /dev/null /proc/sys/net/ipv4/tcp_keepalive_probes && ` +
        `$CLI sysctl --idle 1m --interval 10 --count 5 --apply; echo "exit $?"; cat /proc/sys/net/ipv4/tcp_keepalive_time /proc/sys/net/ipv4/tcp_keepalive_intvl`,
      process.env,
      ['unshare', '-n', '-m'],
    );
    expect(result.stderr).toMatch(
      /^tcp-keepalive sysctl: the kernel holds .* for net\.ipv4\.tcp_keepalive_probes, not 5; nothing applied \(every value written before was put back\)\n$/,
    );
    expect(result.stdout.trim().split('\n')).toEqual(['exit 1', fresh[0], fresh[1]]);
  });

  test('without the addon, sysctl takes every valid argument (procfs needs no addon)', () => {
    const result = spawnSync(process.execPath, [cli, 'sysctl', '--interval', '10', '--count', '5'], { encoding: 'utf8', env: noAddon });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(result.stdout).toContain('net.ipv4.tcp_keepalive_intvl = 10\nnet.ipv4.tcp_keepalive_probes = 5\n');
  });

  namespaceTest('without the addon, sysctl --apply writes and reports', () => {
    const result = script('$CLI sysctl --idle 60 --apply && cat /proc/sys/net/ipv4/tcp_keepalive_time', noAddon, ['unshare', '-n']);
    expect(result).toMatchObject({ status: 0, stderr: '' });
    expect(result.stdout.trim().split('\n').at(-1)).toBe('60');
  });

  test('without the addon, the preload names the missing addon, not a missing socket option', () => {
    const result = spawnSync(process.execPath, ['--require', path.join(root, 'dist', 'register.js'), '-e', ''], {
      encoding: 'utf8',
      // TCP_USER_TIMEOUT: no Node version's setKeepAlive sets it.
      env: { ...noAddon, TCP_USER_TIMEOUT: '5000' },
    });
    expect(result.status).toBe(9);
    expect(result.stderr).toMatch(/^tcp-keepalive\/register: TCP_USER_TIMEOUT is set, but tcp-keepalive's native addon is not loaded \(/);
  });

  /** The exit code of `child`, or a failure naming its stderr if it has not ended within `ms`. */
  async function exitWithin(child: ChildProcess, ms: number, stderr: () => string): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const [code] = (await Promise.race([
        once(child, 'exit'),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`check did not end within ${ms} ms; stderr: ${stderr()}`)), ms);
        }),
      ])) as [number | null];
      return code;
    } finally {
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }

  /** A server that holds its connections open until the test ends, then closes them. */
  function idlePeer(): net.Server {
    const open = new Set<net.Socket>();
    const server = net.createServer((socket) => open.add(socket.on('error', () => {})));
    server.on('close', () => open.forEach((socket) => socket.destroy()));
    const close = server.close.bind(server);
    server.close = (callback?: (error?: Error) => void) => {
      open.forEach((socket) => socket.destroy());
      return close(callback);
    };
    return server;
  }

  test('check whose watch fails (no addon to read the settings): one line, exit 1, the process ends', async () => {
    const server = idlePeer();
    const port = await listen(server);
    try {
      const child = spawn(process.execPath, [cli, 'check', `127.0.0.1:${port}`], { env: noAddon });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      const code = await exitWithin(child, 10000, () => stderr);
      expect(code).toBe(1);
      expect(stderr).toMatch(/^tcp-keepalive check: The feature getKeepalive is unavailable .*native addon.*\n$/);
    } finally {
      server.close();
    }
  });

  test('check | head -1: a closed stdout ends the command quietly', async () => {
    const server = idlePeer();
    const port = await listen(server);
    try {
      const child = spawn('sh', ['-c', `"$NODE" "$CLI_JS" check 127.0.0.1:${port} --every 50ms | head -1; echo "done"`], {
        env: { ...process.env, NODE: process.execPath, CLI_JS: cli },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      const code = await exitWithin(child, 10000, () => stderr);
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(stdout).toMatch(/^Connected to 127\.0\.0\.1:\d+ from 127\.0\.0\.1:\d+\.\ndone\n$/);
    } finally {
      server.close();
    }
  });

  /** Runs check to its end against a peer that stays open and idle; returns its output. */
  async function checkToEnd(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const server = idlePeer();
    const port = await listen(server);
    try {
      const child = spawn(process.execPath, [cli, 'check', `127.0.0.1:${port}`, ...args]);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      const code = await exitWithin(child, 10000, () => stderr);
      return { code, stdout, stderr };
    } finally {
      server.close();
    }
  }

  test('check --once: the settings and one status line, then exit 0 by itself', async () => {
    const result = await checkToEnd(['--idle', '5s', '--once']);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^  idle +5s +\(--idle 5s\)$/m);
    expect(result.stdout.match(/^  0s +ESTABLISHED/gm)).toHaveLength(1);
    expect(result.stdout).toMatch(/^Stopped \(--once\) after .*: ESTABLISHED/m);
  });

  test('check --for 300ms --every 50ms --json: one JSON object per line, ending by itself', async () => {
    const result = await checkToEnd(['--idle', '5s', '--for', '300ms', '--every', '50ms', '--json']);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    const events = result.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(events[0]).toMatchObject({ event: 'connected', settings: { enabled: true, idle: 5000 }, detectionMs: expect.any(Number) });
    const statuses = events.filter((event) => event.event === 'status');
    expect(statuses.length).toBeGreaterThanOrEqual(2);
    expect(statuses[0]).toMatchObject({ state: 'ESTABLISHED', unansweredProbes: 0, elapsedMs: expect.any(Number) });
    expect(events.at(-1)).toMatchObject({ event: 'end', reason: 'done', exitCode: 0 });
    expect(events.slice(1, -1).every((event) => event.event === 'status')).toBe(true);
  });
});
