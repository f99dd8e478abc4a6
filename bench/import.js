// Import cost: require('tcp-keepalive') against require('net') alone, each in a
// fresh process, alternating. Reports the require call's own time (measured in
// the child) and the whole process's wall time (measured here). The package's
// code and addon load on its first call, so that is timed too: require plus
// getSystemDefaults() in a third fresh process.
// Run by bench/run.js as: node import.js RUNS (alone, without one: 21)
// Prints one JSON object; progress on stderr. Each fresh process has a
// deadline (below).
'use strict';
const path = require('node:path');
const { median, interleave, spawnWithin, progress, elapsed, fail } = require('./lib');

const name = 'import';
const runs = Number(process.argv[2] ?? 21);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`usage: node bench/import.js [RUNS] (got: ${process.argv.slice(2).join(' ')})`);
  process.exit(2);
}
const child = path.join(__dirname, 'import-child.js');
// One fresh process requiring one module: well under a second.
const childMs = 30000;

const contenders = [
  { name: 'net', module: 'net', args: [] },
  { name: 'library', module: 'tcp-keepalive', args: [] },
  { name: 'firstCall', module: 'tcp-keepalive', args: ['first-call'] },
];

function measure({ module, args }) {
  const start = process.hrtime.bigint();
  const result = spawnWithin(name, childMs, `a fresh node process to require('${module}')${args.length ? ' and call it once' : ''}`, process.execPath, [child, module, ...args], { encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - start);
  if (result.status !== 0) throw new Error(`require('${module}') failed: ${result.stderr}`);
  return { require: Number(result.stdout.trim()), wall };
}

try {
  const began = Date.now();
  const samples = interleave(contenders, runs, measure, (r) => progress(name, `run ${r}/${runs}: a fresh process each for require('net'), require('tcp-keepalive') and its first call (${elapsed(began)} so far)`));
  const result = { runs };
  for (const c of contenders) {
    result[c.name] = {
      requireMs: median(samples[c.name].map((s) => s.require)) / 1e6,
      wallMs: median(samples[c.name].map((s) => s.wall)) / 1e6,
    };
  }
  progress(name, `done in ${elapsed(began)}`);
  process.stdout.write(JSON.stringify(result) + '\n');
} catch (error) {
  fail(error);
}
