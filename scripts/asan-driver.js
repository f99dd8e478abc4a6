// Drives the whole native surface of one addon build, for scripts/asan.sh:
// every export, set/get/status/systemDefaults on real sockets (IPv4, IPv6, client and
// accepted ends, thousands of calls), every errno path the kernel can give
// (files, FIFOs, UDP, Unix, listening and closed descriptors), the garbage
// fixture in a child, and loading in worker threads (per-environment set-up
// and teardown). Any sanitizer report makes the process exit non-zero.
//
//   node scripts/asan-driver.js ADDON.node
'use strict';
const assert = require('node:assert/strict');
const dgram = require('node:dgram');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const { once } = require('node:events');
const { Worker } = require('node:worker_threads');

const addonPath = path.resolve(process.argv[2]);
const addon = require(addonPath);
const { ENOTSOCK, EBADF, EINVAL, EOPNOTSUPP, ENOPROTOOPT } = os.constants.errno;
const errnoOf = (status) => -status & 0xffff;
const calls = { set: 0, get: 0, status: 0 };

function set(fd, ...values) {
  calls.set++;
  return addon.set(fd, ...values);
}
function get(fd, out = new Int32Array(5)) {
  calls.get++;
  return addon.get(fd, out);
}
function status(fd, out = new Uint32Array(11)) {
  calls.status++;
  return addon.status(fd, out);
}

async function pair(host) {
  const server = net.createServer();
  server.listen(0, host);
  await once(server, 'listening');
  const accepted = once(server, 'connection');
  const client = net.connect(server.address().port, host);
  await once(client, 'connect');
  const [peer] = await accepted;
  return { server, client, peer };
}

function exercise(fd) {
  const out = new Int32Array(5);
  const state = new Uint32Array(11);
  assert.equal(get(fd, out), 0);
  assert.equal(status(fd, state), 0);
  const max = addon.optionMax;
  const valueSets = [
    [-1, -1, -1, -1, 1],
    [1, 1, 1, 0, 1],
    [max[0], max[1], max[2], max[3], 1],
    [5, -1, 3, -1, 0],
    [-1, -1, -1, -1, -1],
  ];
  for (let i = 0; i < 2000; i++) {
    const values = valueSets[i % valueSets.length];
    assert.equal(set(fd, ...values), 0);
    assert.equal(get(fd, out), 0);
    if (values[2] !== -1) assert.equal(out[2], values[2]);
    assert.equal(status(fd, state), 0);
  }
  // Values the kernel refuses: EINVAL, with the option index in the status.
  for (const values of [[0, -1, -1, -1, 1], [-1, 0, -1, -1, 1], [-1, -1, 0, -1, 1], [max[0] + 1, -1, -1, -1, 1], [-1, -1, max[2] + 1, -1, 1]]) {
    assert.equal(errnoOf(set(fd, ...values)), EINVAL);
  }
}

async function realSockets() {
  for (const host of ['127.0.0.1', '::1']) {
    const { server, client, peer } = await pair(host);
    exercise(client._handle.fd);
    exercise(peer._handle.fd);
    // A listening socket takes the options too.
    assert.equal(set(server._handle.fd, 10, 5, 3, 1000, 1), 0);
    assert.equal(get(server._handle.fd), 0);
    client.destroy();
    peer.destroy();
    server.close();
  }
}

async function manySockets() {
  const server = net.createServer();
  server.listen({ port: 0, host: '127.0.0.1', backlog: 1024 });
  await once(server, 'listening');
  const clients = [];
  for (let i = 0; i < 500; i++) clients.push(net.connect(server.address().port, '127.0.0.1'));
  await Promise.all(clients.map((client) => once(client, 'connect')));
  clients.forEach((client, i) => {
    assert.equal(set(client._handle.fd, 1 + i, 1 + (i % 60), 1 + (i % 127), i, 1), 0);
  });
  const out = new Int32Array(5);
  clients.forEach((client, i) => {
    assert.equal(get(client._handle.fd, out), 0);
    assert.deepEqual([...out], [1 + i, 1 + (i % 60), 1 + (i % 127), i, 1]);
    client.destroy();
  });
  server.close();
}

async function errnoPaths() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-keepalive-asan-'));
  try {
    const file = fs.openSync(__filename, 'r');
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const fifoFd = fs.openSync(fifo, 'r+');
    const udp = dgram.createSocket('udp4');
    udp.bind(0, '127.0.0.1');
    await once(udp, 'listening');
    const unixServer = net.createServer().listen(path.join(dir, 'unix.sock'));
    await once(unixServer, 'listening');
    const unixClient = net.connect(path.join(dir, 'unix.sock'));
    await once(unixClient, 'connect');

    // Checked before anything else opens a descriptor, which could reuse its number.
    const closed = fs.openSync(__filename, 'r');
    fs.closeSync(closed);
    const expectErrno = (fd, errno, option) => {
      for (const result of [set(fd, 5, 5, 5, 5, 1), get(fd), status(fd)]) {
        assert.ok(result < 0, `fd ${fd}: expected a failure`);
        assert.equal(errnoOf(result), errno, `fd ${fd}`);
      }
      assert.equal(-set(fd, -1, -1, -1, -1, 1) >>> 16, option);
    };
    expectErrno(closed, EBADF, 4);
    expectErrno(file, ENOTSOCK, 4);
    expectErrno(fifoFd, ENOTSOCK, 4);
    expectErrno(2 ** 31 - 1, EBADF, 4);
    // UDP and Unix sockets take SO_KEEPALIVE but not the TCP options.
    // dgram keeps its handle under a symbol (its _handle getter is deprecated).
    const udpState = udp[Object.getOwnPropertySymbols(udp).find((symbol) => symbol.description === 'state symbol')];
    for (const fd of [udpState.handle.fd, unixClient._handle.fd]) {
      assert.equal(set(fd, -1, -1, -1, -1, 1), 0);
      assert.ok([EOPNOTSUPP, ENOPROTOOPT].includes(errnoOf(set(fd, 5, -1, -1, -1, 1))));
      assert.ok(get(fd) < 0);
      assert.ok(status(fd) < 0);
    }
    fs.closeSync(file);
    fs.closeSync(fifoFd);
    udp.close();
    unixClient.destroy();
    unixServer.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function garbageInChild() {
  // Inherits LD_PRELOAD and the sanitizer options: its own reports fail it.
  const child = spawnSync(process.execPath, [path.join(__dirname, '..', 'test', 'fixtures', 'native-garbage.js')], {
    env: { ...process.env, TCP_KEEPALIVE_ADDON: addonPath },
    encoding: 'utf8',
  });
  if (child.status !== 0 || child.stderr !== '') {
    process.stderr.write(child.stderr);
    throw new Error(`native-garbage.js exited with ${child.status} (signal ${child.signal})`);
  }
  const outcomes = JSON.parse(child.stdout);
  assert.ok(outcomes.threw > 1000);
  return outcomes;
}

function systemDefaults() {
  const out = new Int32Array(3);
  for (let i = 0; i < 1000; i++) assert.equal(addon.systemDefaults(out), 0);
  const proc = (name) => Number(fs.readFileSync(`/proc/sys/net/ipv4/tcp_keepalive_${name}`, 'utf8'));
  assert.equal(addon.defaultTimeUnitMs, 1000);
  assert.deepEqual([...out], [proc('time'), proc('intvl'), proc('probes')]);
  assert.equal(typeof addon.acceptInherits, 'boolean');
  // In a network namespace of its own (root only), the largest times the
  // kernel takes, whose milliseconds would not fit 32 bits: read as they are.
  // The shell and ip run without the sanitizer runtime (their own leaks are
  // not ours to judge); node gets it back, with the same options.
  const script =
    'ip link set lo up && echo 5000000 > /proc/sys/net/ipv4/tcp_keepalive_time && ' +
    'echo 5000000 > /proc/sys/net/ipv4/tcp_keepalive_intvl && exec env LD_PRELOAD="$SANITIZER_RUNTIME" "$0" -e "$1" "$2"';
  const probe = 'const o = new Int32Array(3); const s = require(process.argv[1]).systemDefaults(o); console.log(s, o[0], o[1]);';
  const { LD_PRELOAD: runtime = '', ...withoutRuntime } = process.env;
  const child = spawnSync('unshare', ['-n', 'sh', '-c', script, process.execPath, probe, addonPath], {
    encoding: 'utf8',
    env: { ...withoutRuntime, SANITIZER_RUNTIME: runtime },
  });
  if (child.status !== 0 && /unshare|Operation not permitted|Invalid argument|write error/.test(child.stderr)) {
    return 'extreme sysctls not tried here (needs root and a kernel that takes them)';
  }
  if (child.status !== 0 || child.stderr !== '') {
    process.stderr.write(child.stderr);
    throw new Error(`systemDefaults in a namespace exited with ${child.status}`);
  }
  assert.equal(child.stdout.trim(), '0 5000000 5000000');
  return 'extreme sysctls in a namespace: read exactly';
}

async function inWorkers() {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const addon = require(workerData);
    const out = new Int32Array(5);
    let failures = 0;
    for (let i = 0; i < 1000; i++) if (addon.get(0, out) >= 0) failures++;
    try { addon.set('x'); } catch (error) { if (error.code !== 'ERR_INVALID_ARG_TYPE') failures++; }
    parentPort.postMessage({ names: addon.optionNames.length, failures });
  `;
  for (let k = 0; k < 4; k++) {
    const worker = new Worker(source, { eval: true, workerData: addonPath });
    const [message] = await once(worker, 'message');
    assert.deepEqual(message, { names: 5, failures: 0 });
    await once(worker, 'exit');
  }
}

async function main() {
  assert.deepEqual(addon.optionNames.length, 5);
  assert.deepEqual(addon.optionMax.length, 5);
  assert.equal(typeof addon.statusAvailable, 'boolean');
  assert.ok(addon.tcpStates.length > 0);
  await realSockets();
  await manySockets();
  await errnoPaths();
  const garbage = garbageInChild();
  const extremes = systemDefaults();
  await inWorkers();
  process.stdout.write(
    `asan driver: ${calls.set} set, ${calls.get} get, ${calls.status} status calls here; ` +
      `${garbage.returned + garbage.threw} garbage calls in a child; 4 worker threads; ${extremes}\n`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
