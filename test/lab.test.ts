// The network lab itself: what it builds, that vanish really silences a host,
// and that nothing is left behind, also when its process dies.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { createLab, labSupport, type Lab, type LabHost } from '../src/tools/lab';
import { LabPeer } from './helpers/lab-peer';
import { packageRootForOthers } from './helpers/readable';

const support = labSupport();
const inCI = process.env.CI === 'true';
const labTest = support.available || inCI ? test : test.skip;
const distLab = path.join(__dirname, '..', 'dist', 'lab.js');

function namespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(' ')[0])
    .filter(Boolean);
}

/** Whether `pid` runs: exists and is not a zombie (this machine's init may reap late). */
function isRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

/** Tries a TCP connection from `from` to port on `to`; resolves 'connected' or 'silence' after 1.5 s. */
async function tryConnect(from: LabHost, to: LabHost, port: number): Promise<string> {
  const script =
    `const s = require('net').connect(${port}, '${to.address}', () => { console.log('connected'); process.exit(0); });` +
    `s.on('error', (e) => { console.log(e.code); process.exit(0); });` +
    `setTimeout(() => { console.log('silence'); process.exit(0); }, 1500);`;
  const child = from.spawn(process.execPath, ['-e', script]);
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  await once(child, 'exit');
  return out.trim();
}

test('tcp-keepalive/lab loads by name, from CommonJS and ESM', () => {
  const root = path.join(__dirname, '..');
  const cjs = execFileSync(process.execPath, ['-p', 'JSON.stringify(Object.keys(require("tcp-keepalive/lab")).sort())'], {
    cwd: root,
    encoding: 'utf8',
  });
  const esm = execFileSync(
    process.execPath,
    ['--input-type=module', '-e', 'import * as lab from "tcp-keepalive/lab"; console.log(JSON.stringify(Object.keys(lab).sort()))'],
    { cwd: root, encoding: 'utf8' },
  );
  expect(JSON.parse(cjs)).toEqual(['createLab', 'labSupport']);
  expect(JSON.parse(esm)).toEqual(expect.arrayContaining(['createLab', 'labSupport']));
});

const forOthers = packageRootForOthers();

test('labSupport gives a precise reason when a lab is impossible', () => {
  // Its working directory too must be one nobody may enter (Node 24 and later read it at start).
  const readable = forOthers();
  const lab = path.join(readable, 'dist', 'lab.js');
  const probe = `process.stdout.write(JSON.stringify(require(${JSON.stringify(lab)}).labSupport()))`;
  const asNobody = spawnSync(process.execPath, ['-e', probe], { uid: 65534, gid: 65534, encoding: 'utf8', cwd: readable });
  expect(JSON.parse(asNobody.stdout)).toEqual({
    available: false,
    reason: 'network labs need root to create network namespaces, and this process runs as uid 65534',
  });
  if (process.getuid?.() !== 0) return;
  // As root, but with only `ip` on the PATH.
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpka-path-'));
  try {
    fs.symlinkSync(execFileSync('sh', ['-c', 'command -v ip'], { encoding: 'utf8' }).trim(), path.join(bin, 'ip'));
    const withoutNft = spawnSync(process.execPath, ['-e', probe], { env: { PATH: bin }, encoding: 'utf8' });
    expect(JSON.parse(withoutNft.stdout)).toEqual({
      available: false,
      reason: 'the `nft` command (Debian package nftables) is not installed',
    });
  } finally {
    fs.rmSync(bin, { recursive: true, force: true });
  }
});

describe(`network lab${support.available ? '' : ` (skipped: ${support.reason})`}`, () => {
  let lab: Lab | undefined;
  afterEach(async () => {
    await lab?.close();
    lab = undefined;
  });

  labTest('two namespaces joined by a link; vanish silences a host, restore brings it back', async () => {
    lab = await createLab();
    const { client, server } = lab;
    expect(namespaces()).toEqual(expect.arrayContaining([client.name, server.name]));
    expect(client.address).toMatch(/^10\.77\.\d+\.1$/);
    expect(server.address).toBe(client.address.replace(/1$/, '2'));
    expect(await client.exec('ip', ['-4', '-brief', 'address', 'show', 'dev', 'veth0'])).toContain(`${client.address}/30`);

    const { port } = await LabPeer.server(server);
    await server.vanish();
    expect(await server.exec('nft', ['list', 'tables'])).toContain('tcp_keepalive_lab');
    // Nothing comes back, not even a reset or an ICMP error: the connection attempt just waits.
    expect(await tryConnect(client, server, port)).toBe('silence');
    await server.restore();
    expect(await tryConnect(client, server, port)).toBe('connected');
  });

  labTest('nat: the router masquerades the client, and drops a connection idle past idleTimeout; close removes all three namespaces', async () => {
    lab = await createLab({ nat: { idleTimeout: 1500 } });
    const { client, server, router } = lab;
    if (router === undefined) throw new Error('no router');
    expect(router.address).toBe(server.address.replace(/2$/, '1'));
    // Rounded up to whole seconds, in the router's namespace only.
    expect(await router.exec('sysctl', ['-n', 'net.netfilter.nf_conntrack_tcp_timeout_established'])).toBe('2\n');
    const listener =
      "const server = require('net').createServer((s) => s.on('error', () => {}).setEncoding('utf8')" +
      ".on('data', (d) => console.log(JSON.stringify({ from: s.remoteAddress, data: d.trim() }))));" +
      "server.listen(0, '0.0.0.0', () => console.log(server.address().port));" +
      "process.stdin.resume().on('end', () => process.exit());";
    const peer = server.spawn(process.execPath, ['-e', listener]);
    let heard = '';
    peer.stdout.setEncoding('utf8').on('data', (chunk: string) => (heard += chunk));
    while (!heard.includes('\n')) await once(peer.stdout, 'data');
    const port = Number(heard.split('\n')[0]);
    // Sent at once, after 1 s (within the router's 2 s), then after 3 s of silence (past them).
    const script =
      `const s = require('net').connect(${port}, '${server.address}', () => {` +
      "s.write('early\\n'); setTimeout(() => s.write('within\\n'), 1000); setTimeout(() => s.write('late\\n'), 4000);" +
      'setTimeout(() => process.exit(0), 5500); }); s.on(\'error\', () => process.exit(0));';
    await once(client.spawn(process.execPath, ['-e', script]), 'exit');
    const lines = heard.split('\n').slice(1).filter(Boolean).map((line) => JSON.parse(line) as { from: string; data: string });
    expect(lines).toEqual([
      { from: router.address, data: 'early' },
      { from: router.address, data: 'within' },
    ]);
    const names = [client.name, server.name, router.name];
    await lab.close();
    for (const name of names) expect(namespaces()).not.toContain(name);
  }, 20000);

  labTest('close kills the lab processes, a stopped one included, and removes both namespaces', async () => {
    lab = await createLab();
    const running = lab.client.spawn('sleep', ['1000']);
    const stopped = lab.server.spawn('sleep', ['1000']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    process.kill(stopped.pid as number, 'SIGSTOP');
    const names = [lab.client.name, lab.server.name];
    await lab.close();
    await lab.close();
    expect(isRunning(running.pid as number)).toBe(false);
    expect(isRunning(stopped.pid as number)).toBe(false);
    expect(namespaces()).not.toEqual(expect.arrayContaining([names[0]]));
    expect(namespaces()).not.toEqual(expect.arrayContaining([names[1]]));
  });

  labTest('a lab whose process exits without close() is removed on exit', () => {
    const script = `require(${JSON.stringify(distLab)}).createLab().then((lab) => {
      console.log(JSON.stringify([lab.client.name, lab.server.name]));
      process.exit(0);
    });`;
    const names = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as string[];
    expect(names).toHaveLength(2);
    for (const name of names) expect(namespaces()).not.toContain(name);
  });

  labTest('a lab left by a process killed outright is removed, with its processes, by the next createLab', async () => {
    const script = `require(${JSON.stringify(distLab)}).createLab().then((lab) => {
      const sleeper = lab.server.spawn('sleep', ['1000'], { stdio: 'ignore', detached: true });
      setTimeout(() => {
        console.log(JSON.stringify({ names: [lab.client.name, lab.server.name], sleeper: sleeper.pid }));
        process.kill(process.pid, 'SIGKILL');
      }, 100);
    });`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    await once(child, 'exit');
    const left = JSON.parse(out) as { names: string[]; sleeper: number };
    try {
      expect(namespaces()).toEqual(expect.arrayContaining(left.names));
      expect(isRunning(left.sleeper)).toBe(true);
      lab = await createLab();
      for (const name of left.names) expect(namespaces()).not.toContain(name);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(isRunning(left.sleeper)).toBe(false);
    } finally {
      // Should the assertions fail, leave nothing behind either.
      if (isRunning(left.sleeper)) process.kill(left.sleeper, 'SIGKILL');
      for (const name of left.names) spawnSync('ip', ['netns', 'delete', name]);
    }
  });
});
