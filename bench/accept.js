// A server accepting thousands of loopback connections, configuring each in its
// 'connection' handler with the per-socket API, against the same server without:
// connections accepted per second. The connections come from a child process.
// Run by bench/run.js as: node accept.js ROUNDS CONNECTIONS
// Prints one JSON object.
'use strict';
const net = require('node:net');
const { fork } = require('node:child_process');
const { once } = require('node:events');
const { enableKeepalive, getKeepalive } = require('..');
const { median, interleaveAsync } = require('./lib');

const rounds = Number(process.argv[2]);
const connections = Number(process.argv[3]);
const concurrency = 64;
const options = { idle: 5000, interval: 2000, count: 3 };

async function main() {
  let configure = false;
  let accepted = 0;
  let checked = 'ok';
  let onAllAccepted = () => {};
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    if (configure) {
      enableKeepalive(socket, options);
      // One read-back per round proves the handler really configured.
      if (accepted === 0 && getKeepalive(socket).count !== options.count) checked = 'count not set';
    }
    socket.destroy();
    if (++accepted === connections) onAllAccepted();
  });
  server.listen({ port: 0, host: '127.0.0.1', backlog: 1024 });
  await once(server, 'listening');
  const { port } = server.address();
  const client = fork(__filename.replace(/accept\.js$/, 'connect-client.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });

  async function round(withLibrary) {
    configure = withLibrary;
    accepted = 0;
    const done = new Promise((resolve) => (onAllAccepted = resolve));
    const replied = once(client, 'message');
    const start = process.hrtime.bigint();
    client.send({ port, connections, concurrency });
    await done;
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const [reply] = await replied;
    if (reply.errors > 0) throw new Error(`${reply.errors} client connections failed: ${reply.firstError}`);
    return connections / seconds;
  }

  const contenders = [
    { name: 'without', withLibrary: false },
    { name: 'with', withLibrary: true },
  ];
  for (const c of contenders) await round(c.withLibrary);
  const samples = await interleaveAsync(contenders, rounds, (c) => round(c.withLibrary));
  client.disconnect();
  server.close();
  const result = { rounds, connections, concurrency };
  for (const c of contenders) {
    result[c.name] = { rate: median(samples[c.name]), min: Math.min(...samples[c.name]), max: Math.max(...samples[c.name]) };
  }
  result.with.check = checked;
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
