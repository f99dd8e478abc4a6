// A keepalive http.Agent doing many requests on loopback, with this library
// configuring each of its sockets and without: requests per second.
// Run by bench/run.js as: node agent.js ROUNDS REQUESTS
// (alone, without arguments: npm run bench's 21 rounds of 10000)
// Prints one JSON object; progress on stderr. Every wait has a deadline (below).
//
// Each new socket is configured once: by enableKeepalive(agent, …), or with
// the per-socket API in one of two places, the agent's createConnection (once
// per connection, nothing per request) or each request's 'socket' event (a
// listener per request that configures a socket the first time it sees it). Node's own setKeepAlive
// calls, made every time the agent takes a socket back into its pool, are
// then held (no syscall).
'use strict';
const http = require('node:http');
const { fork } = require('node:child_process');
const { once } = require('node:events');
const { enableKeepalive, getKeepalive } = require('..');
const { median, interleaveAsync, benchAgent, within, childGone, progress, elapsed, fail, Failure } = require('./lib');

const name = 'agent';
const [roundsArg = '21', requestsArg = '10000'] = process.argv.slice(2);
const rounds = Number(roundsArg);
const requests = Number(requestsArg);
if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(requests) || requests < 1) {
  console.error(`usage: node bench/agent.js [ROUNDS REQUESTS] (got: ${process.argv.slice(2).join(' ')})`);
  process.exit(2);
}
const sockets = 8;
const options = { idle: 5000, interval: 2000, count: 3 };

// Deadlines. A round of 10 000 requests takes about a second.
const serverMs = 30000; // http-server.js to start and send its port
const roundMs = 60000; // a round's requests, all answered

async function round(port, hook, label, serverGone) {
  const withLibrary = hook !== 'none';
  const { agent, onSocket } = benchAgent(http, enableKeepalive, hook, options, sockets);
  let checked = 'ok';
  let started = 0;
  let finished = 0;
  const start = process.hrtime.bigint();
  const answered = new Promise((resolve, reject) => {
    const next = () => {
      if (started === requests) return;
      started++;
      const request = http.get({ port, host: '127.0.0.1', agent, path: '/' }, (response) => {
        response.resume();
        response.on('end', () => {
          if (++finished === requests) resolve();
          else next();
        });
      });
      request.on('error', (error) => reject(new Failure(`${name}: a request failed (${label}): ${error.message}`)));
      if (hook === 'socket') request.on('socket', onSocket);
    };
    for (let k = 0; k < sockets; k++) next();
  });
  await within(name, roundMs, `the responses to ${requests} requests (${label})`, Promise.race([answered, serverGone]), () => `${finished} of ${requests} answered`);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  // The pooled sockets still hold what was set, after all of Node's calls.
  for (const list of Object.values(agent.freeSockets)) {
    for (const socket of list) {
      const settings = getKeepalive(socket);
      const want = withLibrary ? { enabled: true, ...options } : { enabled: true, interval: 1000, count: 10 };
      for (const [key, value] of Object.entries(want)) {
        if (settings[key] !== value) checked = `${key} read ${settings[key]}, expected ${value}`;
      }
    }
  }
  agent.destroy();
  return { rate: requests / seconds, checked };
}

async function main() {
  const began = Date.now();
  const server = fork(__filename.replace(/agent\.js$/, 'http-server.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const serverGone = childGone(name, server, 'http-server.js');
  const [port] = await within(name, serverMs, 'http-server.js to send its port', Promise.race([once(server, 'message'), serverGone.promise]));
  const contenders = [
    { name: 'without', hook: 'none' },
    { name: 'createConnection', hook: 'createConnection' },
    { name: 'socketEvent', hook: 'socket' },
    { name: 'agentApi', hook: 'agent' },
  ];
  const checks = {};
  // Warm-up round each.
  progress(name, `warm-up: ${contenders.length} contenders × ${requests} requests on ${sockets} sockets`);
  for (const c of contenders) await round(port, c.hook, `warm-up, ${c.name}`, serverGone.promise);
  let current = 0;
  const samples = await interleaveAsync(
    contenders,
    rounds,
    async (c) => {
      const { rate, checked } = await round(port, c.hook, `round ${current}/${rounds}, ${c.name}`, serverGone.promise);
      if (checked !== 'ok') checks[c.name] = checked;
      return rate;
    },
    (r) => {
      current = r;
      progress(name, `round ${r}/${rounds}: ${contenders.length} contenders × ${requests} requests (${elapsed(began)} so far)`);
    },
  );
  serverGone.off();
  server.kill();
  const result = { rounds, requests, sockets };
  for (const c of contenders) {
    result[c.name] = { rate: median(samples[c.name]), min: Math.min(...samples[c.name]), max: Math.max(...samples[c.name]), check: checks[c.name] || 'ok' };
  }
  progress(name, `done in ${elapsed(began)}`);
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch(fail);
