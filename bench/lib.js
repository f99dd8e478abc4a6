// Shared pieces of the benchmarks: statistics, loopback sockets, the peers.
'use strict';
const net = require('node:net');
const { once } = require('node:events');

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** Nanoseconds per call of `fn(i)` over `iterations` calls. */
function timePerCall(fn, iterations) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn(i);
  return Number(process.hrtime.bigint() - start) / iterations;
}

/**
 * Runs `rounds` rounds; in each, every contender measures once, starting from
 * a different one each round so no contender always goes first. Returns the
 * samples per contender name.
 */
function interleave(contenders, rounds, measure) {
  const samples = Object.fromEntries(contenders.map((c) => [c.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const contender = contenders[(round + k) % contenders.length];
      samples[contender.name].push(measure(contender));
    }
  }
  return samples;
}

/** Async variant of interleave. */
async function interleaveAsync(contenders, rounds, measure) {
  const samples = Object.fromEntries(contenders.map((c) => [c.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const contender = contenders[(round + k) % contenders.length];
      samples[contender.name].push(await measure(contender));
    }
  }
  return samples;
}

/** A server on 127.0.0.1 and a way to make connected client/accepted pairs to it. */
async function loopback() {
  const accepted = [];
  const server = net.createServer((socket) => accepted.push(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  const opened = [];
  return {
    port,
    async pair() {
      const client = net.connect(port, '127.0.0.1');
      await once(client, 'connect');
      while (accepted.length === 0) await new Promise((resolve) => setImmediate(resolve));
      const pair = { client, accepted: accepted.shift() };
      opened.push(pair.client, pair.accepted);
      return pair;
    },
    async close() {
      for (const socket of opened) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * Loads a peer package, or says precisely why it cannot be used here, so the
 * table can report that instead of a figure.
 */
function loadPeer(name) {
  let version = '?';
  try {
    version = require(`${name}/package.json`).version;
  } catch (error) {
    return { name, error: `not installed (${firstLine(error)})` };
  }
  try {
    return { name, version, module: require(name) };
  } catch (error) {
    return { name, version, error: `${name}@${version} failed to load: ${firstLine(error)}` };
  }
}

const firstLine = (error) => String((error && error.message) || error).split('\n')[0];

/**
 * A keepalive http.Agent with 8 (or `sockets`) sockets, configured by `hook`:
 * 'none' (without the library), 'agent' (enableKeepalive(agent, …)),
 * 'createConnection' (each new socket, in the agent's createConnection) or
 * 'socket' (from each request's 'socket' event: pass `onSocket` there).
 * `enableKeepalive` comes from the build under test.
 */
function benchAgent(http, enableKeepalive, hook, options, sockets = 8) {
  const agent = new http.Agent({ keepAlive: true, keepAliveMsecs: 1000, maxSockets: sockets });
  if (hook === 'agent') enableKeepalive(agent, options);
  if (hook === 'createConnection') {
    agent.createConnection = function createConnection(connectOptions, callback) {
      return enableKeepalive(http.Agent.prototype.createConnection.call(this, connectOptions, callback), options);
    };
  }
  const configured = new WeakSet();
  const onSocket = (socket) => {
    if (configured.has(socket)) return;
    configured.add(socket);
    enableKeepalive(socket, options);
  };
  return { agent, onSocket };
}

module.exports = { median, timePerCall, interleave, interleaveAsync, loopback, loadPeer, firstLine, benchAgent };
