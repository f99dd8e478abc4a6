// The least JavaScript that does, on a connected socket, what
// enableKeepalive(socket, options) must do, written out in one function: a
// yardstick for bench/syscalls.js, not a second implementation (it takes the
// limits from the addon, knows only a socket that is already connected, and
// throws bare errors). It checks the target and every option (no unknown
// key, `enabled` true or left out, types and ranges, ms rounded up to
// seconds), finds the TCP handle (through TLS) and its descriptor, sets the
// values and SO_KEEPALIVE in one call of the addon, and keeps what the hold
// keeps: the fields set, on the handle, and Node's record of setKeepAlive.
// What the library does beyond this (servers, agents, sockets still
// connecting, Bun and Deno, its own setKeepAlive on the handle, the record
// put back on 'close', errors with codes and messages) is the price of being
// a library; the bench shows both against the addon alone.
'use strict';
const net = require('node:net');

const UNCHANGED = -1;
const kHeld = Symbol('least-js.held');

/** Whole seconds for a duration in ms, checked against the kernel's limit in seconds. */
function seconds(value, maxSeconds) {
  if (typeof value !== 'number' || !(value > 0 && value <= maxSeconds * 1000)) throw new RangeError('duration');
  return Math.max(1, Math.ceil(value / 1000));
}

function integer(value, min, max) {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw new RangeError('integer');
  return value;
}

/** leastSet(binding, socket): the function, with Node's record symbols found on `socket`. */
function leastSet(binding, socket) {
  const symbols = Object.getOwnPropertySymbols(socket);
  const kSetKeepAlive = symbols.find((s) => s.description === 'kSetKeepAlive');
  const kDelay = symbols.find((s) => s.description === 'kSetKeepAliveInitialDelay');
  const TCP = socket._handle.constructor;
  // The kernel's limits, in its units, as the addon read them from the headers (idle, interval, count, user timeout).
  const [maxIdle, maxInterval, maxCount, maxUserTimeout] = binding.optionMax;
  if (kSetKeepAlive === undefined || kDelay === undefined) throw new Error("Node's record of setKeepAlive not found");

  return function enable(target, options) {
    if (!(target instanceof net.Socket)) throw new TypeError('target');
    if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new TypeError('options');
    for (const key in options) {
      if (key !== 'idle' && key !== 'interval' && key !== 'count' && key !== 'userTimeout' && key !== 'enabled' && Object.hasOwn(options, key)) {
        throw new TypeError('key');
      }
    }
    const { enabled, idle, interval, count, userTimeout } = options;
    if (enabled !== undefined && enabled !== true) throw new TypeError('enabled');
    const values = [
      idle === undefined ? UNCHANGED : seconds(idle, maxIdle),
      interval === undefined ? UNCHANGED : seconds(interval, maxInterval),
      count === undefined ? UNCHANGED : integer(count, 1, maxCount),
      userTimeout === undefined ? UNCHANGED : integer(userTimeout, 0, maxUserTimeout),
    ];

    if (target.destroyed) throw new Error('closed');
    let handle = target._handle;
    if (handle === null || handle === undefined || target.connecting) throw new Error('not connected');
    handle = handle._parent ?? handle;
    if (handle.constructor !== TCP) throw new TypeError('not TCP');
    const fd = handle.fd;
    if (!(fd >= 0)) throw new Error('closed');
    const status = binding.set(fd, values[0], values[1], values[2], values[3], 1);
    if (status !== 0) throw new Error(`set failed: ${status}`);

    let held = handle[kHeld];
    if (held === undefined) handle[kHeld] = held = values;
    else for (let i = 0; i < 4; i++) if (values[i] !== UNCHANGED) held[i] = values[i];
    if (held[0] !== UNCHANGED && target[kDelay] !== held[0]) {
      target[kSetKeepAlive] = true;
      target[kDelay] = held[0];
    }
    return target;
  };
}

module.exports = { leastSet };
