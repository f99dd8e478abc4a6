// The connecting side of bench/accept.js, in its own process: on each message
// { port, connections, concurrency } opens that many loopback connections,
// at most `concurrency` at a time, closes each once connected, and replies.
// It closes with a reset: an orderly close would leave a TIME-WAIT entry per
// connection on this side, and tens of thousands of them exhaust the
// ephemeral ports within a run.
'use strict';
const net = require('node:net');

process.on('message', ({ port, connections, concurrency }) => {
  let started = 0;
  let finished = 0;
  let errors = 0;
  let firstError = '';
  const finish = () => {
    if (++finished === connections) process.send({ errors, firstError });
    else open();
  };
  function open() {
    if (started === connections) return;
    started++;
    const socket = net.connect(port, '127.0.0.1');
    socket.on('connect', () => socket.resetAndDestroy());
    socket.on('error', (error) => {
      errors++;
      firstError ||= error.message;
    });
    socket.on('close', finish);
  }
  for (let k = 0; k < concurrency; k++) open();
});
process.on('disconnect', () => process.exit(0));
