// Instruction counts per call under valgrind's callgrind: a complement to the
// timings that does not move with the machine's load. Counts user-space
// instructions only (the kernel's work in the syscalls is not counted), as the
// difference between a run with N calls and one with 2N, so start-up cancels;
// and per accepted connection and per request through a keepalive http.Agent,
// with and without the library.
//
//   node bench/callgrind.js [--repeat N] [ROOT ...]
//     ROOT: package directories to compare (default: this one)
//     --repeat N: average the per-connection and per-request figures over N
//                 runs each (single runs of those vary by up to 2 %)
//
// With the default ROOT, also writes build/bench/callgrind.json (the counts,
// the machine, the date, the command and its duration), which
// `node bench/run.js --write` puts into bench/README.md.
//
// Takes many minutes: 28 valgrind runs (56 with --repeat 3), from a few
// seconds to over a minute each; bench/README.md gives the last run's
// duration when it includes its counts. Says on stderr which valgrind run it
// starts, of how many. Each valgrind run has a deadline (below): past it, the run is killed
// and this fails naming it. The children give up a little sooner themselves,
// saying how far they got.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnWithin, progress, elapsed, machine } = require('./lib');

const args = process.argv.slice(2);
const repeatAt = args.indexOf('--repeat');
const repeat = repeatAt >= 0 ? Number(args.splice(repeatAt, 2)[1]) : 1;
if (!(repeat >= 1)) throw new Error('--repeat takes a count >= 1');
const roots = args.map((root) => path.resolve(root));
const defaultRoot = roots.length === 0;
if (defaultRoot) roots.push(path.join(__dirname, '..'));
const calls = 200000;
const name = 'callgrind';
// Deadlines: one valgrind run (the longest take about a minute; the children
// give up at 10 minutes), the C compiler, valgrind --version.
const valgrindMs = 12 * 60000;
const compileMs = 120000;
const versionMs = 30000;
// How many valgrind runs there will be, for progress: the C floor's two rows
// and Node's setKeepAlive, 4 rows per root, then whole connections (without,
// and 2 rows per root) and agent requests (without, and 3 rows per root),
// each row two runs (N and 2N, or 4 000 and 12 000), the last two `repeat` times.
const totalRuns = 2 * (3 + 4 * roots.length) + 2 * repeat * (1 + 2 * roots.length + 1 + 3 * roots.length);
const started = Date.now();
let runs = 0;
const percent = (value) => `${value >= 0 ? '+' : '−'}${Math.abs(value * 100).toFixed(1)} %`;

/** The command line, short: node's flags and this directory left out. */
const shown = (command, args) =>
  [command === process.execPath ? 'node' : path.basename(command), ...args.filter((a) => a !== '--single-threaded').map((a) => (a.startsWith(__dirname) ? path.relative(__dirname, a) : a))].join(' ');

function instructions(command, args, scratch) {
  const outFile = path.join(scratch, 'callgrind.out');
  runs++;
  const what = shown(command, args);
  progress(name, `valgrind run ${runs}/${totalRuns}: ${what} (${elapsed(started)} so far)`);
  const run = spawnWithin(name, valgrindMs, `valgrind run ${runs}/${totalRuns} (${what}) to finish`, 'valgrind', ['--tool=callgrind', `--callgrind-out-file=${outFile}`, command, ...args], {
    encoding: 'utf8',
    maxBuffer: 16 << 20,
  });
  const match = /Collected : (\d+)/.exec(run.stderr);
  if (run.status !== 0 || !match) throw new Error(`valgrind ${command} ${args.join(' ')} failed: ${run.stderr.slice(-2000)}`);
  // callgrind-accept.js says how many connections its server accepted.
  const accepted = /accepted (\d+) of (\d+)/.exec(run.stdout);
  if (accepted && accepted[1] !== accepted[2]) {
    progress(name, `${what}: the kernel dropped ${accepted[2] - accepted[1]} of ${accepted[2]} connections before the server accepted them; the figure divides by the ${accepted[2]} made`);
  }
  return Number(match[1]);
}

function perCall(command, argsFor, scratch, iterationsFor = (n) => n) {
  const one = instructions(command, argsFor(calls), scratch);
  const two = instructions(command, argsFor(2 * calls), scratch);
  return (two - one) / (iterationsFor(2 * calls) - iterationsFor(calls));
}

function main() {
  let version;
  try {
    version = spawnWithin(name, versionMs, 'valgrind --version', 'valgrind', ['--version'], { encoding: 'utf8' });
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
  }
  if (!version || version.status !== 0) throw new Error('valgrind is not installed (apt-get install valgrind)');
  progress(name, `${totalRuns} valgrind runs ahead, from a few seconds to over a minute each`);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-keepalive-callgrind-'));
  try {
    const floor = path.join(scratch, 'floor');
    const compiler = process.env.CC || 'cc';
    progress(name, `compiling the C floor with ${compiler}`);
    const compiled = spawnWithin(name, compileMs, `${compiler} to compile bench/floor.c`, compiler, ['-O2', '-o', floor, path.join(__dirname, 'floor.c')], { stdio: 'inherit' });
    if (compiled.status !== 0) throw new Error(`${compiler} failed to compile bench/floor.c (exit ${compiled.status}, signal ${compiled.signal})`);
    // floor.c warms up with n / 10 + 1 iterations before its n timed ones.
    const floorIterations = (n) => n + Math.floor(n / 10) + 1;
    // [label, count, id]: the id names the figure in build/bench/callgrind.json.
    const rows = [
      ['C loop: 4 × setsockopt', perCall(floor, (n) => ['set', String(n)], scratch, floorIterations), 'floorSet'],
      ['C loop: 5 × getsockopt', perCall(floor, (n) => ['get', String(n)], scratch, floorIterations), 'floorGet'],
    ];
    const child = path.join(__dirname, 'callgrind-child.js');
    // --single-threaded: no background compiler or GC threads whose timing
    // would change the counts from run to run.
    const node = (root, mode) => perCall(process.execPath, (n) => ['--single-threaded', child, root, mode, String(n)], scratch);
    rows.push(["socket.setKeepAlive(true, delay)", node(roots[0], 'node-set'), 'nodeSet']);
    for (const root of roots) {
      const tag = roots.length > 1 ? ` [${root}]` : '';
      rows.push([`enableKeepalive(s, { idle, interval, count })${tag}`, node(root, 'enable'), 'enable']);
      rows.push([`  addon alone: binding.set${tag}`, node(root, 'native-set'), 'nativeSet']);
      rows.push([`getKeepalive(s)${tag}`, node(root, 'get'), 'get']);
      rows.push([`  addon alone: binding.get${tag}`, node(root, 'native-get'), 'nativeGet']);
    }
    // Whole connections: start-up cancels between 4 000 and 12 000 of them.
    const accept = path.join(__dirname, 'callgrind-accept.js');
    const mean = (measure) => Array.from({ length: repeat }, measure).reduce((a, b) => a + b, 0) / repeat;
    const perConnection = (root, mode) => {
      const args = (n) => ['--single-threaded', accept, root, mode, String(n)];
      return mean(() => (instructions(process.execPath, args(12000), scratch) - instructions(process.execPath, args(4000), scratch)) / 8000);
    };
    const without = perConnection(roots[0], 'without');
    rows.push(['accepted connection (both ends in one process), without', without, 'acceptWithout']);
    for (const root of roots) {
      const tag = roots.length > 1 ? ` [${root}]` : '';
      const serverForm = perConnection(root, 'server');
      rows.push([`accepted connection, enableKeepalive(server, …)${tag} (${percent(serverForm / without - 1)})`, serverForm, 'acceptServer']);
      const withLibrary = perConnection(root, 'with');
      rows.push([`accepted connection, enableKeepalive in 'connection'${tag} (${percent(withLibrary / without - 1)})`, withLibrary, 'acceptWith']);
    }
    // Requests through a keepalive agent: start-up cancels between 4 000 and 12 000 of them.
    const agentChild = path.join(__dirname, 'callgrind-agent.js');
    const perRequest = (root, hook) => {
      const args = (n) => ['--single-threaded', agentChild, root, hook, String(n)];
      return mean(() => (instructions(process.execPath, args(12000), scratch) - instructions(process.execPath, args(4000), scratch)) / 8000);
    };
    const bare = perRequest(roots[0], 'none');
    rows.push(['agent request (server in the same process), without', bare, 'agentWithout']);
    for (const root of roots) {
      const tag = roots.length > 1 ? ` [${root}]` : '';
      for (const [hook, label, id] of [['agent', 'enableKeepalive(agent, …)', 'agentApi'], ['createConnection', 'createConnection', 'agentCreateConnection'], ['socket', "request 'socket' event", 'agentSocket']]) {
        const count = perRequest(root, hook);
        rows.push([`agent request, configured by ${label}${tag} (${percent(count / bare - 1)})`, count, id]);
      }
    }
    if (runs !== totalRuns) progress(name, `note: ${runs} valgrind runs, ${totalRuns} announced`);
    progress(name, `done in ${elapsed(started)}`);
    const width = Math.max(...rows.map(([label]) => label.length));
    console.log(`user-space instructions (callgrind): per call (${calls} vs ${2 * calls} calls), per accepted connection and per agent request (4 000 vs 12 000${repeat > 1 ? `, mean of ${repeat} runs` : ''})`);
    for (const [label, count] of rows) console.log(`${label.padEnd(width)}  ${Math.round(count).toLocaleString('en-US').padStart(7)}`);
    if (defaultRoot) {
      const file = path.join(__dirname, '..', 'build', 'bench', 'callgrind.json');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const results = {
        ...machine(),
        date: new Date(started).toISOString(),
        command: ['node', 'bench/callgrind.js', ...process.argv.slice(2)].join(' '),
        durationMs: Date.now() - started,
        valgrind: version.stdout.trim(),
        calls,
        repeat,
        counts: Object.fromEntries(rows.map(([, count, id]) => [id, Math.round(count)])),
      };
      fs.writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
      progress(name, `counts written to build/bench/callgrind.json`);
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

try {
  main();
} catch (error) {
  console.error(error.name === 'GaveUp' ? error.message : `callgrind bench failed: ${error.message}`);
  process.exit(1);
}
