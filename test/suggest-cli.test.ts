// tcp-keepalive suggest as a user runs it (dist/cli.js in a process of its
// own): the same settings as suggestKeepalive, and what it prints to copy
// works as printed: the preload's variables give those settings to an
// unmodified program, the sysctl lines are those `tcp-keepalive sysctl` writes.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { middleboxPresets, suggestKeepalive, type KeepaliveGoals } from '../src';
import { formatDuration } from '../src/core/duration';

const root = path.join(__dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');

function run(args: string[], env: NodeJS.ProcessEnv = process.env): { status: number | null; stdout: string; stderr: string } {
  const { status, stdout, stderr } = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 15000, env });
  return { status, stdout, stderr };
}

describe('tcp-keepalive suggest', () => {
  test('--help, -h and "help suggest" print the same usage, with every preset and its timeout', () => {
    const help = run(['suggest', '--help']);
    expect(help).toMatchObject({ status: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: tcp-keepalive suggest \[--detect-within DURATION\]/);
    for (const [name, box] of Object.entries(middleboxPresets)) {
      expect(help.stdout).toMatch(new RegExp(`^ +${name} +${formatDuration(box.idleTimeout)} +${box.name.replace(/[()]/g, '\\$&')}$`, 'm'));
    }
    expect(help.stdout).toMatch(/Exit codes: 0 done, 1 .*\n.*\n2 bad arguments/);
    expect(run(['suggest', '-h'])).toEqual(help);
    expect(run(['help', 'suggest'])).toEqual(help);
    expect(run(['--help']).stdout).toMatch(/^ {2}suggest +keepalive settings for a detection target/m);
  });

  test.each<[string[], KeepaliveGoals]>([
    [['--detect-within', '30s'], { detectWithin: 30000 }],
    [['--detect-within', '6s', '--in-flight'], { detectWithin: 6000, inFlight: true }],
    [['--behind', 'aws-nlb'], { behind: 'aws-nlb' }],
    [['--detect-within', '1m', '--idle-timeout', '20s'], { detectWithin: 60000, behind: 20000 }],
    [['--detect-within', '1h', '--behind', 'gcp-cloud-nat', '--in-flight'], { detectWithin: 3600000, behind: 'gcp-cloud-nat', inFlight: true }],
  ])('%j --json: one object, the settings suggestKeepalive gives, with the preload variables and sysctls', (args, goals) => {
    const { status, stdout, stderr } = run(['suggest', ...args, '--json']);
    expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
    expect(stdout.trim().split('\n')).toHaveLength(1);
    const printed = JSON.parse(stdout);
    const suggestion = suggestKeepalive(goals);
    expect(printed).toMatchObject({ ...suggestion, notes: expect.any(Array) });
    const { idle, interval, count, userTimeout } = suggestion.options;
    expect(printed.preload).toEqual({
      KEEPIDLE: String(idle / 1000),
      KEEPINTVL: String(interval / 1000),
      KEEPCNT: String(count),
      ...(userTimeout === undefined ? {} : { TCP_USER_TIMEOUT: String(userTimeout) }),
    });
    expect(printed.sysctl).toEqual({
      'net.ipv4.tcp_keepalive_time': idle / 1000,
      'net.ipv4.tcp_keepalive_intvl': interval / 1000,
      'net.ipv4.tcp_keepalive_probes': count,
    });
  });

  test('the text: options, detection, and a preload line that gives exactly these settings to an unmodified program', () => {
    const { status, stdout, stderr } = run(['suggest', '--detect-within', '30s', '--behind', 'aws-nlb', '--in-flight']);
    expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
    expect(stdout.replace(/\n(?=\S)/g, ' ')).toMatch(
      /^Keepalive settings for a dead peer noticed within 30s; a connection kept behind AWS Network Load Balancer \(idle timeout 5m50s\); data in flight included:\n/,
    );
    expect(stdout).toMatch(/^ {2}idle +14s +TCP_KEEPIDLE /m);
    expect(stdout).toMatch(/^ {2}userTimeout +26s +TCP_USER_TIMEOUT /m);
    expect(stdout).toContain('noticed after 14s + 3 × 4s = 26s; by\n29.382s at the latest');
    expect(stdout).toContain('  enableKeepalive(socket, { idle: 14000, interval: 4000, count: 3, userTimeout: 26000 });');
    const preload = /^ {2}((?:\w+=\S+ )+)node --require tcp-keepalive\/register app\.js$/m.exec(stdout);
    expect(preload?.[1]).toBe('KEEPIDLE=14 KEEPINTVL=4 KEEPCNT=3 TCP_USER_TIMEOUT=26000 ');
    // The variables as printed, under the preload, in a program that only connects.
    const variables = Object.fromEntries((preload?.[1] ?? '').trim().split(' ').map((pair) => pair.split('=')));
    const program =
      "const net = require('net'); const server = net.createServer().listen(0, '127.0.0.1', () => {" +
      "  const socket = net.connect(server.address().port, '127.0.0.1', () => {" +
      `    console.log(JSON.stringify(require(${JSON.stringify(path.join(root, 'dist'))}).getKeepalive(socket)));` +
      '    process.exit(0); }); });';
    const child = spawnSync(process.execPath, ['--require', path.join(root, 'dist', 'register.js'), '-e', program], {
      encoding: 'utf8',
      timeout: 15000,
      env: { ...process.env, ...variables },
    });
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual({ enabled: true, idle: 14000, interval: 4000, count: 3, userTimeout: 26000 });
  });

  test('the sysctl lines are the ones `tcp-keepalive sysctl` writes for the same values', () => {
    const { stdout } = run(['suggest', '--behind', 'azure-lb']);
    const lines = stdout.split('\n').filter((line) => /^ {2}net\.ipv4\./.test(line)).map((line) => line.trim());
    expect(lines).toEqual(['net.ipv4.tcp_keepalive_time = 192', 'net.ipv4.tcp_keepalive_intvl = 19', 'net.ipv4.tcp_keepalive_probes = 3']);
    const file = run(['sysctl', '--idle', '192s', '--interval', '19s', '--count', '3']).stdout;
    expect(file.split('\n').filter((line) => !line.startsWith('#') && line !== '')).toEqual(lines);
  });

  test.each([
    [[], /^tcp-keepalive suggest: give --detect-within, --behind or --idle-timeout/],
    [['--detect-within', '2s'], /^tcp-keepalive suggest: --detect-within must be at least 2\.294s \(the shortest keepalive, .*\), got '2s'$/],
    [['--detect-within', 'soon'], /^tcp-keepalive suggest: --detect-within must be a duration .*, got 'soon'$/],
    [['--idle-timeout', '4s'], /^tcp-keepalive suggest: --idle-timeout must be at least 4\.294s \(a probe and its repeat .*\), got '4s'$/],
    [['--behind', 'aws-elb'], /^tcp-keepalive suggest: --behind must be one of aws-nlb, aws-nat-gateway, .*kube-proxy-ipvs \(or give --idle-timeout\), got 'aws-elb'$/],
    [['--behind', 'aws-alb'], /^tcp-keepalive suggest: --behind aws-alb: no keepalive setting helps, an AWS Application Load Balancer is an HTTP proxy.*send data \(an application ping\) instead$/],
    [['--behind', 'cloudflare', '--detect-within', '30s'], /^tcp-keepalive suggest: --behind cloudflare: no keepalive setting helps, Cloudflare's documented limits/],
    [['--behind', 'aws-nlb', '--idle-timeout', '350s'], /^tcp-keepalive suggest: give --behind or --idle-timeout, not both$/],
    [['--in-flight'], /^tcp-keepalive suggest: give --detect-within, --behind or --idle-timeout/],
    [['--detect-within', '30s', 'extra'], /^tcp-keepalive suggest: unexpected argument 'extra'$/],
    [['--detect'], /^tcp-keepalive suggest: unknown option --detect \(allowed: --detect-within, --behind, --idle-timeout, --in-flight, --json, --help\)$/],
  ])('%j: exit 2, one line naming the argument', (args, message) => {
    const { status, stdout, stderr } = run(['suggest', ...args]);
    expect({ status, stdout }).toEqual({ status: 2, stdout: '' });
    expect(stderr.split('\n')).toHaveLength(2);
    expect(stderr.trimEnd()).toMatch(message);
  });

  test('--in-flight on a backend without TCP_USER_TIMEOUT: exit 1, the option named', () => {
    const { status, stdout, stderr } = run(['suggest', '--detect-within', '30s', '--in-flight'], { ...process.env, TCP_KEEPALIVE_BACKEND: 'node' });
    expect({ status, stdout }).toEqual({ status: 1, stdout: '' });
    expect(stderr).toMatch(/^tcp-keepalive suggest: The feature.* TCP_USER_TIMEOUT \(goals\.inFlight\).* unavailable on the current platform/);
  });
});
