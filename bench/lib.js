// Shared pieces of the benchmarks: statistics, loopback sockets, the peers.
'use strict';
const net = require('node:net');
const os = require('node:os');
const { once } = require('node:events');
const { spawnSync } = require('node:child_process');

// ---- deadlines and progress ----
//
// Every wait in the benchmarks has a deadline. When one passes, the benchmark
// fails with one line naming what it waited for and how far it got, e.g.
//   agent: gave up after 60 s waiting for the responses to 10000 requests (round 3/21, without): 9998 of 10000 answered
// Progress goes to stderr as "[name] …" lines; stdout carries the result alone.

/** An error whose message says it all: printed as one line, without a stack. */
class Failure extends Error {
  constructor(message) {
    super(message);
    this.name = 'Failure';
  }
}

/** The error a benchmark fails with when a deadline passes. */
class GaveUp extends Failure {
  constructor(message) {
    super(message);
    this.name = 'GaveUp';
  }
}

/** 90 000 → "90 s", 720 000 → "12 min". */
const duration = (ms) => (ms >= 120000 && ms % 60000 === 0 ? `${ms / 60000} min` : `${+(ms / 1000).toFixed(1)} s`);

/** Elapsed time since `start` (a Date.now() value), for progress lines. */
function elapsed(start) {
  const s = Math.round((Date.now() - start) / 1000);
  return s < 120 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** One progress line on stderr: "[name] text". */
function progress(name, text) {
  process.stderr.write(`[${name}] ${text}\n`);
}

/**
 * Waits for `promise` for at most `ms`. When that passes first, rejects with
 * GaveUp "NAME: gave up after … waiting for WHAT: HOWFAR()". The timer is
 * cleared either way, so it never keeps the process alive.
 */
async function within(name, ms, what, promise, howFar) {
  let timer;
  const expired = new Promise((resolve, reject) => {
    timer = setTimeout(() => {
      const far = howFar ? howFar() : '';
      reject(new GaveUp(`${name}: gave up after ${duration(ms)} waiting for ${what}${far ? `: ${far}` : ''}`));
    }, ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * spawnSync with a deadline: past `ms` the child is killed (SIGKILL) and this
 * throws GaveUp "NAME: gave up after … waiting for WHAT". Other spawn errors
 * are thrown as they are; the exit status is the caller's to check.
 */
function spawnWithin(name, ms, what, command, args, options = {}) {
  const result = spawnSync(command, args, { ...options, timeout: ms, killSignal: 'SIGKILL' });
  if (result.error && result.error.code === 'ETIMEDOUT') throw new GaveUp(`${name}: gave up after ${duration(ms)} waiting for ${what}`);
  if (result.error) throw result.error;
  return result;
}

/**
 * Rejects when `child` exits or fails before the wait it is raced against is
 * over: a helper process that died is never waited for. Call off() when done.
 */
function childGone(name, child, what) {
  let off;
  const promise = new Promise((resolve, reject) => {
    const onExit = (code, signal) => reject(new Failure(`${name}: ${what} exited (code ${code}, signal ${signal}) while it was still needed`));
    const onError = (error) => reject(new Failure(`${name}: ${what} failed: ${firstLine(error)}`));
    child.once('exit', onExit);
    child.once('error', onError);
    off = () => {
      child.off('exit', onExit);
      child.off('error', onError);
    };
  });
  promise.catch(() => {});
  return { promise, off };
}

/** Ends a benchmark process on an error: a Failure's (or a deadline's) one line, or the stack. */
function fail(error) {
  console.error(error instanceof Failure ? error.message : (error && error.stack) || error);
  process.exit(1);
}

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
 * samples per contender name. `onRound(round)` (1-based) is called as each
 * round starts, for progress.
 */
function interleave(contenders, rounds, measure, onRound = () => {}) {
  const samples = Object.fromEntries(contenders.map((c) => [c.name, []]));
  for (let round = 0; round < rounds; round++) {
    onRound(round + 1);
    for (let k = 0; k < contenders.length; k++) {
      const contender = contenders[(round + k) % contenders.length];
      samples[contender.name].push(measure(contender));
    }
  }
  return samples;
}

/** Async variant of interleave. */
async function interleaveAsync(contenders, rounds, measure, onRound = () => {}) {
  const samples = Object.fromEntries(contenders.map((c) => [c.name, []]));
  for (let round = 0; round < rounds; round++) {
    onRound(round + 1);
    for (let k = 0; k < contenders.length; k++) {
      const contender = contenders[(round + k) % contenders.length];
      samples[contender.name].push(await measure(contender));
    }
  }
  return samples;
}

/**
 * A server on 127.0.0.1 and a way to make connected client/accepted pairs to
 * it. `name` labels its deadline messages (10 s for each wait).
 */
async function loopback(name) {
  const waitMs = 10000;
  const accepted = [];
  let onAccepted = () => {};
  const server = net.createServer((socket) => {
    accepted.push(socket);
    onAccepted();
  });
  server.listen(0, '127.0.0.1');
  await within(name, waitMs, 'the loopback server to listen', once(server, 'listening'));
  const { port } = server.address();
  const opened = [];
  return {
    port,
    async pair() {
      const client = net.connect(port, '127.0.0.1');
      await within(name, waitMs, `a loopback connection to port ${port} to connect`, once(client, 'connect'));
      // The server's end: accepted by now, or soon (never waited for without a deadline).
      if (accepted.length === 0) {
        await within(name, waitMs, `the server to accept a loopback connection on port ${port}`, new Promise((resolve) => (onAccepted = resolve)));
      }
      const pair = { client, accepted: accepted.shift() };
      opened.push(pair.client, pair.accepted);
      return pair;
    },
    async close() {
      for (const socket of opened) socket.destroy();
      await within(name, waitMs, 'the loopback server to close', new Promise((resolve) => server.close(resolve)));
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

/**
 * The machine a run measured, for the figures' header: Node, CPU model and
 * cores, OS and kernel release.
 */
function machine() {
  const cpus = os.cpus();
  return { node: process.version, cpu: cpus[0]?.model ?? '?', cores: cpus.length, os: os.type(), kernel: os.release() };
}

module.exports = {
  machine,
  median,
  timePerCall,
  interleave,
  interleaveAsync,
  loopback,
  loadPeer,
  firstLine,
  benchAgent,
  Failure,
  GaveUp,
  duration,
  elapsed,
  progress,
  within,
  spawnWithin,
  childGone,
  fail,
};
