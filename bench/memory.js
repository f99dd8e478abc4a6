// Memory: RSS growth after a million enable and get calls, and after opening
// and closing 100 000 loopback connections, each end configured (and, as a
// reference, the same connections without this library).
// Run by bench/run.js as: node --expose-gc memory.js calls|sockets|sockets-without COUNT
// Prints one JSON object: RSS and heap before and after, in bytes, measured
// after a warm-up and a full garbage collection each time.
'use strict';
const net = require('node:net');
const { once } = require('node:events');
const { enableKeepalive, getKeepalive } = require('..');

const [mode, countArg] = process.argv.slice(2);
const count = Number(countArg);
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
  await once(server, 'listening');
  return server;
}

async function calls() {
  const server = await listen(() => {});
  const client = net.connect(server.address().port, '127.0.0.1');
  await once(client, 'connect');
  let sink = 0;
  const run = (n) => {
    for (let i = 0; i < n; i++) {
      enableKeepalive(client, optionSets[i & 1]);
      sink += getKeepalive(client).count;
    }
  };
  run(20000);
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
  const run = (n) =>
    new Promise((resolve, reject) => {
      let started = 0;
      let closed = 0;
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
          else open();
        });
      };
      for (let k = 0; k < concurrency; k++) open();
    });
  await run(5000);
  const before = snapshot();
  await run(count);
  const after = snapshot();
  server.close();
  return { before, after, sockets: count };
}

const modes = { calls, sockets: () => sockets(true), 'sockets-without': () => sockets(false) };
modes[mode]()
  .then((result) => process.stdout.write(JSON.stringify(result) + '\n'))
  .catch((error) => {
    console.error(error);
    process.exit(1);
  });
