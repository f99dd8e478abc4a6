// app.js: the test's stand-in for the program docs/preload.md runs under the
// preload. Nothing in it asks for keepalive: it opens a loopback connection,
// prints what the kernel holds for it, and exits 1 unless keepalive is on.
'use strict';
const net = require('node:net');
const { getKeepalive } = require('tcp-keepalive');

const server = net.createServer((peer) => peer.end()).listen(0, '127.0.0.1', () => {
  const socket = net.connect(server.address().port, '127.0.0.1', () => {
    const settings = getKeepalive(socket);
    console.log(JSON.stringify(settings));
    socket.destroy();
    server.close();
    process.exitCode = settings.enabled ? 0 : 1;
  });
});
