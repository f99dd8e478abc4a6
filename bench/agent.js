// A keepalive http.Agent doing many requests on loopback, with this library
// configuring each of its sockets and without: requests per second.
// Run by bench/run.js as: node agent.js ROUNDS REQUESTS
// Prints one JSON object.
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
const { median, interleaveAsync, benchAgent } = require('./lib');

const rounds = Number(process.argv[2]);
const requests = Number(process.argv[3]);
const sockets = 8;
const options = { idle: 5000, interval: 2000, count: 3 };

async function round(port, hook) {
  const withLibrary = hook !== 'none';
  const { agent, onSocket } = benchAgent(http, enableKeepalive, hook, options, sockets);
  let checked = 'ok';
  let started = 0;
  let finished = 0;
  const start = process.hrtime.bigint();
  await new Promise((resolve, reject) => {
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
      request.on('error', reject);
      if (hook === 'socket') request.on('socket', onSocket);
    };
    for (let k = 0; k < sockets; k++) next();
  });
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
  const server = fork(__filename.replace(/agent\.js$/, 'http-server.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [port] = await once(server, 'message');
  const contenders = [
    { name: 'without', hook: 'none' },
    { name: 'createConnection', hook: 'createConnection' },
    { name: 'socketEvent', hook: 'socket' },
    { name: 'agentApi', hook: 'agent' },
  ];
  const checks = {};
  // Warm-up round each.
  for (const c of contenders) await round(port, c.hook);
  const samples = await interleaveAsync(contenders, rounds, async (c) => {
    const { rate, checked } = await round(port, c.hook);
    if (checked !== 'ok') checks[c.name] = checked;
    return rate;
  });
  server.kill();
  const result = { rounds, requests, sockets };
  for (const c of contenders) {
    result[c.name] = { rate: median(samples[c.name]), min: Math.min(...samples[c.name]), max: Math.max(...samples[c.name]), check: checks[c.name] || 'ok' };
  }
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
