// Child of bench/callgrind.js, run under valgrind: a server accepting COUNT
// loopback connections from clients in the same process, with or without
// enableKeepalive in its 'connection' handler, or enableKeepalive(server, …).
// Usage: node callgrind-accept.js ROOT with|server|without COUNT
'use strict';
const net = require('node:net');

const [root, mode, countArg] = process.argv.slice(2);
const count = Number(countArg);
const { enableKeepalive } = require(root);
const options = { idle: 5000, interval: 2000, count: 3 };

let accepted = 0;
const server = net.createServer((socket) => {
  if (mode === 'with') enableKeepalive(socket, options);
  socket.destroy();
  if (++accepted === count) server.close();
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
    client.on('close', open);
  };
  for (let k = 0; k < 16; k++) open();
});
