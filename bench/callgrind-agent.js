// Child of bench/callgrind.js, run under valgrind: COUNT requests through a
// keepalive http.Agent (8 sockets) to a server in the same process, without
// the library or with each new socket configured (see bench/agent.js).
// Usage: node callgrind-agent.js ROOT none|agent|createConnection|socket COUNT
// Gives up after 10 minutes (under valgrind) if the responses stop coming,
// saying how many came; bench/callgrind.js allows each run a little longer.
'use strict';
const http = require('node:http');
const { benchAgent } = require('./lib');

const [root, hook, countArg] = process.argv.slice(2);
const count = Number(countArg);
const { enableKeepalive } = require(root);
const options = { idle: 5000, interval: 2000, count: 3 };
let finished = 0;

// The same timer in every run, so its instructions cancel; unref'd, so it
// never keeps the process alive.
const deadlineMs = 600000;
setTimeout(() => {
  console.error(`callgrind-agent: gave up after ${deadlineMs / 60000} min waiting for responses (${hook}): ${finished} of ${count}`);
  process.exit(1);
}, deadlineMs).unref();

const server = http.createServer((request, response) => response.end('ok'));
server.listen(0, '127.0.0.1', () => {
  const { agent, onSocket } = benchAgent(http, enableKeepalive, hook, options);
  let started = 0;
  const next = () => {
    if (started === count) return;
    started++;
    const request = http.get({ port: server.address().port, host: '127.0.0.1', agent }, (response) => {
      response.resume();
      response.on('end', () => {
        if (++finished === count) {
          agent.destroy();
          server.close();
        } else next();
      });
    });
    if (hook === 'socket') request.on('socket', onSocket);
  };
  for (let k = 0; k < 8; k++) next();
});
