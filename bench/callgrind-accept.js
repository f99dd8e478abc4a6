// Child of bench/callgrind.js, run under valgrind: a server accepting COUNT
// loopback connections from clients in the same process, with or without
// enableKeepalive in its 'connection' handler, or enableKeepalive(server, …).
// Usage: node callgrind-accept.js ROOT with|server|without COUNT
// Prints "accepted A of COUNT" on stdout.
//
// The server accepts one connection per event-loop turn while the clients
// open up to 16 a turn, so its listen queue fills and the kernel drops
// handshakes; the clients retry, and nearly always every connection is
// accepted in the end. That count is not waited for blindly: once every
// client has closed, the server stops at COUNT or after a second with no
// accept, and says how many it accepted. Past 10 minutes (under valgrind) it
// gives up, saying how far it got; bench/callgrind.js allows each run a little
// longer.
'use strict';
const net = require('node:net');

const [root, mode, countArg] = process.argv.slice(2);
const count = Number(countArg);
if (!['with', 'server', 'without'].includes(mode) || !Number.isInteger(count) || count < 1) {
  console.error(`usage: node callgrind-accept.js ROOT with|server|without COUNT (got: ${process.argv.slice(2).join(' ')})`);
  process.exit(2);
}
const { enableKeepalive } = require(root);
const options = { idle: 5000, interval: 2000, count: 3 };

let accepted = 0;
let closed = 0;
let quiet;

// The same timer in every run, so its instructions cancel; unref'd, so it
// never keeps the process alive.
const deadlineMs = 600000;
setTimeout(() => {
  console.error(`callgrind-accept: gave up after ${deadlineMs / 60000} min waiting for the connections (${mode}): ${closed} of ${count} closed by the clients, ${accepted} accepted`);
  process.exit(1);
}, deadlineMs).unref();

function finish() {
  clearInterval(quiet);
  server.close();
  process.stdout.write(`accepted ${accepted} of ${count}\n`);
}

const server = net.createServer((socket) => {
  if (mode === 'with') enableKeepalive(socket, options);
  socket.destroy();
  if (++accepted === count) finish();
});
server.listen(0, '127.0.0.1', () => {
  if (mode === 'server') enableKeepalive(server, options);
  let opened = 0;
  const open = () => {
    if (opened === count) return;
    opened++;
    const client = net.connect(server.address().port, '127.0.0.1');
    client.on('connect', () => client.destroy());
    client.on('error', () => {});
    client.on('close', () => {
      if (++closed === count && accepted < count) {
        // Every client is done: what is still queued is accepted within
        // moments; a second with no accept means the rest were dropped.
        let seen = accepted;
        quiet = setInterval(() => {
          if (accepted === seen) finish();
          seen = accepted;
        }, 1000);
      }
      open();
    });
  };
  for (let k = 0; k < 16; k++) open();
});
