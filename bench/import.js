// Import cost: require('tcp-keepalive') against require('net') alone, each in a
// fresh process, alternating. Reports the require call's own time (measured in
// the child) and the whole process's wall time (measured here).
// Run by bench/run.js as: node import.js RUNS
// Prints one JSON object.
'use strict';
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { median, interleave } = require('./lib');

const runs = Number(process.argv[2]);
const child = path.join(__dirname, 'import-child.js');

const contenders = [
  { name: 'net', module: 'net' },
  { name: 'library', module: 'tcp-keepalive' },
];

function measure({ module }) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [child, module], { encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - start);
  if (result.status !== 0) throw new Error(`require('${module}') failed: ${result.stderr}`);
  return { require: Number(result.stdout.trim()), wall };
}

const samples = interleave(contenders, runs, measure);
const result = { runs };
for (const c of contenders) {
  result[c.name] = {
    requireMs: median(samples[c.name].map((s) => s.require)) / 1e6,
    wallMs: median(samples[c.name].map((s) => s.wall)) / 1e6,
  };
}
process.stdout.write(JSON.stringify(result) + '\n');
