// A peer for the docs' examples (test/package/docs-examples.test.ts), started
// inside the example's own network namespace: a TCP server at HOST:PORT that
// accepts connections and holds them open, saying so in LOG. With SILENT_MS > 0
// it falls silent that long after its first connection: an nftables rule in the
// namespace drops every packet it sends from PORT, as if it had vanished.
//
//   node peer.js HOST PORT SILENT_MS LOG
'use strict';
const fs = require('node:fs');
const net = require('node:net');
const { execFileSync } = require('node:child_process');

const [host, port, silentMs, log] = process.argv.slice(2);
const say = (line) => fs.appendFileSync(log, `${line}\n`);
let silenced = false;

const server = net.createServer((socket) => {
  say(`accepted ${socket.remoteAddress}:${socket.remotePort}`);
  socket.on('error', (error) => say(`connection error ${error.code}`));
  if (Number(silentMs) > 0 && !silenced) {
    silenced = true;
    setTimeout(() => {
      const rules = `table inet doc_peer {\n  chain out {\n    type filter hook output priority 0;\n    tcp sport ${Number(port)} drop\n  }\n}\n`;
      try {
        execFileSync('nft', ['-f', '-'], { input: rules, stdio: ['pipe', 'ignore', 'pipe'] });
        say('silent');
      } catch (error) {
        say(`cannot fall silent: ${String(error.stderr || error.message).trim()}`);
      }
    }, Number(silentMs));
  }
});
server.on('error', (error) => {
  say(`cannot listen: ${error.message}`);
  process.exit(1);
});
server.listen(Number(port), host, () => say('listening'));
