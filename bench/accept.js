// A server accepting thousands of loopback connections, configuring each in its
// 'connection' handler with the per-socket API, or all of them at once with
// enableKeepalive(server, …), against the same server without: connections
// accepted per second. The connections come from a child process.
// A control variant spends a fixed 2.5 µs busy-waiting in the handler instead:
// on two shared cores a little more work per connection can batch accepts
// better and raise the rate, and the control shows how much of a difference
// is that rather than the library.
// Run by bench/run.js as: node accept.js ROUNDS CONNECTIONS
// Prints one JSON object.
'use strict';
const net = require('node:net');
const { fork } = require('node:child_process');
const { once } = require('node:events');
const { enableKeepalive, disableKeepalive, getKeepalive } = require('..');
const { median, interleaveAsync } = require('./lib');

const rounds = Number(process.argv[2]);
const connections = Number(process.argv[3]);
const concurrency = 64;
const options = { idle: 5000, interval: 2000, count: 3 };
const busyNs = 2500;

async function main() {
  let configure = false;
  let accepted = 0;
  let checked = 'ok';
  let checkedServer = 'ok';
  let onAllAccepted = () => {};
  let open = 0;
  let onAllClosed = () => {};
  // The client closes first (with a reset, see connect-client.js) and the
  // server's end follows when it reads it; closing here at once would race
  // the client's close, and who closes first decides where TIME-WAIT lands.
  const server = net.createServer((socket) => {
    open++;
    socket.on('error', () => {});
    socket.on('close', () => {
      if (--open === 0) onAllClosed();
    });
    if (configure === 'busy') {
      // The control: a fixed few microseconds of work instead of the library.
      const end = process.hrtime.bigint() + BigInt(busyNs);
      while (process.hrtime.bigint() < end);
    } else if (configure === 'server') {
      // enableKeepalive(server, …) did the work: one read-back per round proves it.
      if (accepted === 0 && getKeepalive(socket).count !== options.count) checkedServer = 'count not inherited';
    } else if (configure) {
      enableKeepalive(socket, options);
      // One read-back per round proves the handler really configured.
      if (accepted === 0 && getKeepalive(socket).count !== options.count) checked = 'count not set';
    }
    if (++accepted === connections) onAllAccepted();
  });
  server.listen({ port: 0, host: '127.0.0.1', backlog: 1024 });
  await once(server, 'listening');
  const { port } = server.address();
  const client = fork(__filename.replace(/accept\.js$/, 'connect-client.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });

  async function round(withLibrary) {
    configure = withLibrary;
    accepted = 0;
    // The server form: set on the listening socket, inherited by every
    // accepted one (or applied per connection where it is not inherited).
    if (withLibrary === 'server') enableKeepalive(server, options);
    const done = new Promise((resolve) => (onAllAccepted = resolve));
    const replied = once(client, 'message');
    const start = process.hrtime.bigint();
    client.send({ port, connections, concurrency });
    await done;
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const [reply] = await replied;
    if (reply.errors > 0) throw new Error(`${reply.errors} client connections failed: ${reply.firstError}`);
    // The next round starts with every connection of this one closed.
    if (open > 0) await new Promise((resolve) => (onAllClosed = resolve));
    if (withLibrary === 'server') disableKeepalive(server);
    return connections / seconds;
  }

  const contenders = [
    { name: 'without', withLibrary: false },
    { name: 'with', withLibrary: true },
    { name: 'server', withLibrary: 'server' },
    { name: 'busy', withLibrary: 'busy' },
  ];
  for (const c of contenders) await round(c.withLibrary);
  const samples = await interleaveAsync(contenders, rounds, (c) => round(c.withLibrary));
  client.disconnect();
  server.close();
  const result = { rounds, connections, concurrency, busyNs };
  for (const c of contenders) {
    result[c.name] = { rate: median(samples[c.name]), min: Math.min(...samples[c.name]), max: Math.max(...samples[c.name]) };
  }
  result.with.check = checked;
  result.server.check = checkedServer;
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
