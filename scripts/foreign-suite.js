'use strict';
// Helper of scripts/foreign-suite.sh, in two roles:
//
// As a mocha reporter (mocha --reporter scripts/foreign-suite.js
// --reporter-options output=FILE): writes every test's result to FILE as JSON
// and prints each failure with its error. Works with mocha 8 to 11, whose
// json reporter cannot write to a file before 9.2.
//
// As a command:
//   node foreign-suite.js probe                 under the preload: is keepalive really set?
//   node foreign-suite.js count FILE            "N passed, M failed" from a result file or a test log
//   node foreign-suite.js diff FILE1 FILE2      the tests whose result differs
const fs = require('node:fs');

function MochaReporter(runner, options) {
  const opts = options.reporterOption || options.reporterOptions || {};
  const results = [];
  const record = (state) => (test, error) => {
    results.push({ title: test.fullTitle(), state });
    if (state === 'failed') {
      console.log(`FAIL ${test.fullTitle()}\n${String((error && error.stack) || error).replace(/^/gm, '    ')}`);
    }
  };
  runner.on('pass', record('passed'));
  runner.on('fail', record('failed'));
  runner.on('pending', record('pending'));
  runner.once('end', () => {
    const n = (state) => results.filter((r) => r.state === state).length;
    console.log(`${n('passed')} passing, ${n('failed')} failing, ${n('pending')} pending`);
    if (opts.output) fs.writeFileSync(opts.output, JSON.stringify(results, null, 1));
  });
}

/** Results from our reporter's JSON, or from TAP (node:test, mocha --reporter tap) in a log. */
function readResults(file) {
  const text = fs.readFileSync(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch {
    const results = [];
    for (const line of text.split('\n')) {
      const m = /^\s*(not )?ok \d+ - (.*?)(\s+# (SKIP|TODO).*)?$/i.exec(line);
      if (m) results.push({ title: m[2], state: m[4] ? 'pending' : m[1] ? 'failed' : 'passed' });
    }
    return results;
  }
}

function count(file) {
  const results = readResults(file);
  const n = (state) => results.filter((r) => r.state === state).length;
  return `${n('passed')} passed, ${n('failed')} failed`;
}

function diff(a, b) {
  // Titles can repeat, so a result is keyed by its title and occurrence.
  const keyed = (file) => {
    const seen = new Map();
    const map = new Map();
    for (const { title, state } of readResults(file)) {
      const i = (seen.get(title) || 0) + 1;
      seen.set(title, i);
      map.set(i > 1 ? `${title} [#${i}]` : title, state);
    }
    return map;
  };
  const [plain, preload] = [keyed(a), keyed(b)];
  const lines = [];
  for (const title of new Set([...plain.keys(), ...preload.keys()])) {
    const [x, y] = [plain.get(title) || 'missing', preload.get(title) || 'missing'];
    if (x !== y) lines.push(`  ${title}: plain ${x}, preload ${y}`);
  }
  return lines.join('\n');
}

/** Connects over loopback in this process (run under the preload) and checks the kernel's values. */
function probe() {
  const net = require('node:net');
  const { getKeepalive } = require('../dist/index.js');
  const want = {
    enabled: true,
    idle: Number(process.env.KEEPIDLE) * 1000,
    interval: Number(process.env.KEEPINTVL) * 1000,
    count: Number(process.env.KEEPCNT),
    userTimeout: Number(process.env.TCP_USER_TIMEOUT),
  };
  const server = net.createServer((s) => s.end()).listen(0, '127.0.0.1', () => {
    const socket = net.connect(server.address().port, '127.0.0.1', () => {
      const got = getKeepalive(socket);
      socket.destroy();
      server.close();
      const ok = Object.keys(want).every((k) => got[k] === want[k]);
      console.log(`probe: ${ok ? 'preload active' : 'preload NOT active'}: ${JSON.stringify(got)}`);
      process.exitCode = ok ? 0 : 1;
    });
  });
}

if (require.main === module) {
  const [command, a, b] = process.argv.slice(2);
  if (command === 'probe') probe();
  else if (command === 'count') console.log(count(a));
  else if (command === 'diff') console.log(diff(a, b));
  else throw new Error(`unknown command ${command}`);
} else {
  module.exports = MochaReporter;
}
