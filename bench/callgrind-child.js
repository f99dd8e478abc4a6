// Child of bench/callgrind.js, run under valgrind: makes N calls of one kind on
// a connected loopback socket. Usage: node callgrind-child.js ROOT MODE N
// ROOT is the package to load (this one, or another build to compare).
// Gives up after 10 minutes (under valgrind) if the loopback connection never
// comes, saying so; bench/callgrind.js allows each run a little longer.
'use strict';
const net = require('node:net');
const path = require('node:path');

const [root, mode, countArg] = process.argv.slice(2);
const count = Number(countArg);
const { enableKeepalive, getKeepalive } = require(root);
// The addon on its own: dist/core/binding.js since the backends (0.1.0 had dist/binding.js).
function bareBinding() {
  try {
    const loaded = require(path.join(root, 'dist', 'core', 'binding')).loadBinding();
    if (loaded.binding === null) throw loaded.failure;
    return loaded.binding;
  } catch (error) {
    if (error.code !== 'MODULE_NOT_FOUND') throw error;
    return require(path.join(root, 'dist', 'binding')).binding;
  }
}
const binding = bareBinding();
const optionSets = [
  { idle: 5000, interval: 2000, count: 3 },
  { idle: 6000, interval: 3000, count: 4 },
];

const calls = {
  enable: (socket, i) => enableKeepalive(socket, optionSets[i & 1]),
  get: (socket) => getKeepalive(socket),
  'native-set': (socket, i) => binding.set(socket._handle.fd, 5 + (i & 1), 2 + (i & 1), 3 + (i & 1), -1, 1),
  'native-get': (socket) => binding.get(socket._handle.fd, out),
  'node-set': (socket, i) => socket.setKeepAlive(true, optionSets[i & 1].idle),
};
const out = new Int32Array(5);
const call = calls[mode];
if (!call || !Number.isInteger(count) || count < 1) {
  console.error(`usage: node callgrind-child.js ROOT ${Object.keys(calls).join('|')} N (got: ${process.argv.slice(2).join(' ')})`);
  process.exit(2);
}

// The same timer in every run, so its instructions cancel; unref'd, so it
// never keeps the process alive.
const deadlineMs = 600000;
let stage = 'the loopback server to listen';
setTimeout(() => {
  console.error(`callgrind-child: gave up after ${deadlineMs / 60000} min waiting for ${stage} (${mode}, ${count} calls)`);
  process.exit(1);
}, deadlineMs).unref();

const server = net.createServer().listen(0, '127.0.0.1', () => {
  stage = 'a loopback connection to connect';
  const socket = net.connect(server.address().port, '127.0.0.1', () => {
    // The same warm-up in every run, so JIT tier-ups happen before the calls
    // that differ between the two runs.
    for (let i = 0; i < 30000; i++) call(socket, i);
    for (let i = 0; i < count; i++) call(socket, i);
    socket.destroy();
    server.close();
  });
});
