// The connecting side of bench/accept.js, in its own process: on each message
// { port, connections, concurrency, deadlineMs } opens that many loopback
// connections, at most `concurrency` at a time, closes each once connected,
// and replies { connected, errors, firstError, finished, gaveUp }.
// It closes with a reset: an orderly close would leave a TIME-WAIT entry per
// connection on this side, and tens of thousands of them exhaust the
// ephemeral ports within a run.
// Past deadlineMs (default 50 s) it stops opening connections and replies at
// once with gaveUp: true and how far it got; it exits with its parent.
'use strict';
const net = require('node:net');

process.on('message', ({ port, connections, concurrency, deadlineMs = 50000 }) => {
  let started = 0;
  let finished = 0;
  let connected = 0;
  let errors = 0;
  let firstError = '';
  let replied = false;
  const reply = (gaveUp) => {
    if (replied) return;
    replied = true;
    clearTimeout(deadline);
    process.send({ connected, errors, firstError, finished, gaveUp });
  };
  const deadline = setTimeout(() => reply(true), deadlineMs);
  const finish = () => {
    if (++finished === connections) reply(false);
    else open();
  };
  function open() {
    if (replied || started === connections) return;
    started++;
    const socket = net.connect(port, '127.0.0.1');
    socket.on('connect', () => {
      connected++;
      socket.resetAndDestroy();
    });
    socket.on('error', (error) => {
      errors++;
      firstError ||= error.message;
    });
    socket.on('close', finish);
  }
  for (let k = 0; k < concurrency; k++) open();
});
process.on('disconnect', () => process.exit(0));
