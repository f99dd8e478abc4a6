// Memory: RSS growth after a million enable and get calls, and after opening
// and closing 100 000 loopback connections, each end configured (and, as a
// reference, the same connections without this library).
// Run by bench/run.js as: node --expose-gc memory.js calls|sockets|sockets-without COUNT
// Prints one JSON object: RSS and heap before and after, in bytes, measured
// after a warm-up and a full garbage collection each time. Progress on
// stderr; every wait has a deadline (below).
'use strict';
const net = require('node:net');
const { once } = require('node:events');
const { enableKeepalive, getKeepalive } = require('..');
const { within, progress, elapsed, fail } = require('./lib');

const [mode, countArg] = process.argv.slice(2);
const count = Number(countArg);
const name = `memory ${mode}`;
if (!['calls', 'sockets', 'sockets-without'].includes(mode) || !Number.isInteger(count) || count < 1) {
  console.error(`usage: node --expose-gc bench/memory.js calls|sockets|sockets-without COUNT (got: ${process.argv.slice(2).join(' ')})`);
  process.exit(2);
}
if (typeof global.gc !== 'function') {
  console.error('memory: run with node --expose-gc');
  process.exit(2);
}
const began = Date.now();
// Deadlines: listening and one connection, 10 s each; N connections opened and
// closed, 30 s + 2 ms each (they take about 0.3 ms each).
const waitMs = 10000;
const connectionsMs = (n) => 30000 + 2 * n;
const optionSets = [
  { idle: 5000, interval: 2000, count: 3 },
  { idle: 6000, interval: 3000, count: 4 },
];

function snapshot() {
  for (let k = 0; k < 3; k++) global.gc();
  const { rss, heapUsed, external } = process.memoryUsage();
  return { rss, heapUsed, external };
}

async function listen(onConnection) {
  const server = net.createServer(onConnection);
  server.listen({ port: 0, host: '127.0.0.1', backlog: 1024 });
  await within(name, waitMs, 'the server to listen', once(server, 'listening'));
  return server;
}

async function calls() {
  const server = await listen(() => {});
  const client = net.connect(server.address().port, '127.0.0.1');
  await within(name, waitMs, 'a loopback connection to connect', once(client, 'connect'));
  let sink = 0;
  const run = (n) => {
    for (let i = 0; i < n; i++) {
      enableKeepalive(client, optionSets[i & 1]);
      sink += getKeepalive(client).count;
    }
  };
  progress(name, 'warm-up: 20000 × (enableKeepalive + getKeepalive)');
  run(20000);
  progress(name, `${count} × (enableKeepalive + getKeepalive) (${elapsed(began)} so far)`);
  const before = snapshot();
  run(count);
  const after = snapshot();
  client.destroy();
  server.close();
  return { before, after, calls: count * 2, sink: sink > 0 };
}

async function sockets(configure) {
  const server = await listen((socket) => {
    socket.on('error', () => {});
    if (configure) enableKeepalive(socket, optionSets[0]);
    socket.destroy();
  });
  const { port } = server.address();
  const concurrency = 100;
  const run = (n, what) => {
    let started = 0;
    let closed = 0;
    // About ten progress lines for the measured run.
    const step = what === 'warm-up' ? Infinity : Math.max(1, Math.ceil(n / 10));
    progress(name, `${what}: ${n} connections, ${concurrency} at a time (${elapsed(began)} so far)`);
    const done = new Promise((resolve, reject) => {
      const open = () => {
        if (started === n) return;
        started++;
        const client = net.connect(port, '127.0.0.1');
        // Configured while connecting: the deferred path, then applied on connect.
        if (configure) enableKeepalive(client, optionSets[started & 1]);
        client.on('connect', () => client.destroy());
        client.on('error', reject);
        client.on('close', () => {
          if (++closed === n) resolve();
          else {
            if (closed % step === 0) progress(name, `${what}: ${closed} of ${n} connections (${elapsed(began)} so far)`);
            open();
          }
        });
      };
      for (let k = 0; k < concurrency; k++) open();
    });
    // The clients' own connections are counted (each connects and closes);
    // the server's accepts are not waited for.
    return within(name, connectionsMs(n), `${n} connections to open and close (${what})`, done, () => `${closed} of ${n} closed, ${started - closed} open`);
  };
  await run(5000, 'warm-up');
  const before = snapshot();
  await run(count, 'measured');
  const after = snapshot();
  server.close();
  return { before, after, sockets: count };
}

const modes = { calls, sockets: () => sockets(true), 'sockets-without': () => sockets(false) };
modes[mode]()
  .then((result) => {
    progress(name, `done in ${elapsed(began)}`);
    process.stdout.write(JSON.stringify(result) + '\n');
  })
  .catch(fail);
