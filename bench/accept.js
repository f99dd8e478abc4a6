// A server accepting thousands of loopback connections, configuring each in its
// 'connection' handler with the per-socket API, or all of them at once with
// enableKeepalive(server, …), against the same server without: connections
// accepted per second. The connections come from a child process.
// A control variant spends a fixed 2.5 µs busy-waiting in the handler instead:
// on two shared cores a little more work per connection can batch accepts
// better and raise the rate, and the control shows how much of a difference
// is that rather than the library.
//
// A round ends when the client has finished its connections and the server
// has accepted every one of them, or has accepted nothing more for a short
// while: the kernel may drop a connection the client already saw connected
// (a full listen queue drops the handshake's last ACK, and the client's reset
// then removes it), so an exact count is never waited for. The rate is the
// connections actually accepted over the time to the last of them; drops are
// reported on stderr and in the JSON ("dropped"), and so are accepted
// connections still open after the client's resets, which are then closed
// here ("leftOpen": a reset the kernel lost). Each round listens afresh
// with a listen queue deeper than a round (the kernel caps it at
// net.core.somaxconn), so nothing overflows where somaxconn allows, and
// nothing a round left queued is accepted in the next.
//
// Run by bench/run.js as: node accept.js ROUNDS CONNECTIONS
// (alone, without arguments: npm run bench's 31 rounds of 3000)
// Prints one JSON object; progress and drops on stderr.
'use strict';
const fs = require('node:fs');
const { performance } = require('node:perf_hooks');
const net = require('node:net');
const { fork } = require('node:child_process');
const { once } = require('node:events');
const { enableKeepalive, getKeepalive } = require('..');
const { median, interleaveAsync, within, childGone, progress, elapsed, duration, Failure, GaveUp, fail } = require('./lib');

const name = 'accept';
const [roundsArg = '31', connectionsArg = '3000'] = process.argv.slice(2);
const rounds = Number(roundsArg);
const connections = Number(connectionsArg);
if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(connections) || connections < 1) {
  console.error(`usage: node bench/accept.js [ROUNDS CONNECTIONS] (got: ${process.argv.slice(2).join(' ')})`);
  process.exit(2);
}
const concurrency = 64;
const options = { idle: 5000, interval: 2000, count: 3 };
const busyNs = 2500;
// Asked for; Linux caps it at net.core.somaxconn.
const backlog = 65535;

// Deadlines. A round of 3000 connections takes well under a second.
const listenMs = 10000; // the server to listen
const clientMs = 50000; // connect-client.js gives up on its connections after this and says how far it got
const replyMs = 60000; // its reply (it died or hangs if this passes)
const idleMs = 500; // a quiet spell: no accept (or close) for this long means the rest will not come
const settleMs = 10000; // the last accepts after the reply, in all
const closeMs = 30000; // the accepted connections to close after the client's resets (a quiet spell ends it sooner)

function somaxconn() {
  try {
    return Number(fs.readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
  } catch {
    return undefined;
  }
}

async function main() {
  const start = Date.now();
  const queue = somaxconn();
  if (queue !== undefined && queue < connections + concurrency) {
    progress(name, `net.core.somaxconn is ${queue}, below a round of ${connections}: the listen queue may overflow and the kernel drop connections; rates count the accepted ones`);
  }
  const client = fork(__filename.replace(/accept\.js$/, 'connect-client.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const clientGone = childGone(name, client, 'connect-client.js');
  let checked = 'ok';
  let checkedServer = 'ok';
  const dropped = { without: 0, with: 0, server: 0, busy: 0 };
  const leftOpen = { without: 0, with: 0, server: 0, busy: 0 };

  async function round(contender, label) {
    const configure = contender.withLibrary;
    let accepted = 0;
    let last = 0n;
    // When a connection was last accepted or closed, for the quiet spells below.
    let lastEvent = performance.now();
    const sockets = new Set();
    // The client closes first (with a reset, see connect-client.js) and the
    // server's end follows when it reads it; closing here at once would race
    // the client's close, and who closes first decides where TIME-WAIT lands.
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        lastEvent = performance.now();
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
      accepted++;
      last = process.hrtime.bigint();
      lastEvent = performance.now();
    });
    server.on('error', () => {});
    /** Resolves once done() holds or nothing was accepted or closed for idleMs. */
    const quiet = (done) =>
      new Promise((resolve) => {
        const check = () => (done() || performance.now() - lastEvent >= idleMs ? resolve() : setTimeout(check, 10));
        check();
      });

    server.listen({ port: 0, host: '127.0.0.1', backlog });
    await within(name, listenMs, `the server to listen (${label})`, once(server, 'listening'));
    const { port } = server.address();
    // The server form: set on the listening socket, inherited by every
    // accepted one (or applied per connection where it is not inherited).
    if (configure === 'server') enableKeepalive(server, options);

    const replied = once(client, 'message');
    const begin = process.hrtime.bigint();
    client.send({ port, connections, concurrency, deadlineMs: clientMs });
    const [reply] = await within(name, replyMs, `connect-client.js to finish its ${connections} connections (${label})`, Promise.race([replied, clientGone.promise]), () => `${accepted} accepted so far`);
    if (reply.gaveUp) {
      throw new GaveUp(
        `${name}: gave up after ${duration(clientMs)} waiting for the client's connections (${label}): ${reply.finished} of ${connections} finished, ${reply.connected} connected, ${accepted} accepted`,
      );
    }
    if (reply.errors > 0) throw new Failure(`${name}: ${reply.errors} client connections failed (${label}): ${reply.firstError}`);

    // Every connection the client saw connected is accepted by now or soon,
    // unless the kernel dropped it: wait for the count, or for the server to
    // go quiet, whichever comes first.
    lastEvent = performance.now();
    await within(name, settleMs, `the server to accept the last connections (${label})`, quiet(() => accepted >= reply.connected), () => `${accepted} of ${reply.connected} accepted`);
    if (accepted === 0) throw new Failure(`${name}: the server accepted none of ${reply.connected} connections (${label})`);
    const seconds = Number(last - begin) / 1e9;
    const lost = reply.connected - accepted;
    if (lost > 0) {
      progress(name, `${label}: the kernel dropped ${lost} of ${reply.connected} connections before the server accepted them; the rate counts the ${accepted} accepted`);
    }

    // The next round starts with every connection of this one closed. The
    // client's resets close them within moments; one whose reset the kernel
    // lost would stay open, so after a quiet spell the rest are destroyed
    // here (outside the timed part) and reported.
    lastEvent = performance.now();
    await within(name, closeMs, `the accepted connections to close (${label})`, quiet(() => sockets.size === 0), () => `${sockets.size} of ${accepted} still open`);
    const stillOpen = sockets.size;
    if (stillOpen > 0) {
      progress(name, `${label}: ${stillOpen} of ${accepted} accepted connections were still open ${idleMs} ms after the last close; closed here`);
      for (const socket of sockets) socket.destroy();
    }
    // Closing the listener also resets anything still queued, so no round sees another's.
    await within(name, closeMs, `the server to close (${label})`, new Promise((resolve) => server.close(resolve)), () => `${sockets.size} of ${accepted} connections still open`);
    return { rate: accepted / seconds, lost, stillOpen };
  }

  const contenders = [
    { name: 'without', withLibrary: false },
    { name: 'with', withLibrary: true },
    { name: 'server', withLibrary: 'server' },
    { name: 'busy', withLibrary: 'busy' },
  ];
  progress(name, `warm-up: ${contenders.length} contenders × ${connections} connections, ${concurrency} at a time`);
  for (const c of contenders) await round(c, `warm-up, ${c.name}`);
  let current = 0;
  const samples = await interleaveAsync(
    contenders,
    rounds,
    async (c) => {
      const { rate, lost, stillOpen } = await round(c, `round ${current}/${rounds}, ${c.name}`);
      dropped[c.name] += lost;
      leftOpen[c.name] += stillOpen;
      return rate;
    },
    (r) => {
      current = r;
      progress(name, `round ${r}/${rounds}: ${contenders.length} contenders × ${connections} connections (${elapsed(start)} so far)`);
    },
  );
  clientGone.off();
  client.disconnect();
  const result = { rounds, connections, concurrency, busyNs, backlog: queue !== undefined ? Math.min(backlog, queue) : backlog };
  for (const c of contenders) {
    result[c.name] = { rate: median(samples[c.name]), min: Math.min(...samples[c.name]), max: Math.max(...samples[c.name]), dropped: dropped[c.name], leftOpen: leftOpen[c.name] };
  }
  result.with.check = checked;
  result.server.check = checkedServer;
  progress(name, `done in ${elapsed(start)}`);
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch(fail);
