// npm run bench: compiles the C floor, runs every benchmark in its own process,
// prints a table of figures and ratios. Exits non-zero only on errors (a
// benchmark that fails to run), never because of a figure.
//
//   node bench/run.js [--quick] [--markdown] [--write] [--from RESULTS.json]
//     --quick     fewer rounds and calls (a smoke run; figures are noisier)
//     --markdown  print the tables as Markdown
//     --write     also write bench/README.md: bench/README.template.md filled
//                 in with this run (machine, date, command, duration, tables,
//                 and the figures its prose quotes), plus the instruction
//                 counts of the last `node bench/callgrind.js`
//                 (build/bench/callgrind.json) when there are some
//     --from      print (or --write) the tables of an earlier run
//                 (build/bench/results.json) instead of running
//
// Progress goes to stderr: which benchmark runs, which of how many, and each
// benchmark's own "[name] round 3/21 …" lines. Every benchmark has deadlines
// of its own for each wait; as a backstop, each benchmark process is killed
// after 5 minutes (--quick) or 20 minutes, failing the run with that line.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnWithin, progress, elapsed, duration, machine, median, Failure } = require('./lib');

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const fromIndex = args.indexOf('--from');
const from = fromIndex >= 0 ? args[fromIndex + 1] : undefined;
const write = args.includes('--write');
const markdown = write || args.includes('--markdown');
const root = path.join(__dirname, '..');
const page = path.join(__dirname, 'README.md');
const template = path.join(__dirname, 'README.template.md');
const callgrindResults = path.join(root, 'build', 'bench', 'callgrind.json');
// The command as it was typed: npm run bench passes its arguments after --.
const command = process.env.npm_lifecycle_event === 'bench' ? `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}` : ['node bench/run.js', ...args].join(' ');

// The ratios to the addon measured in pairs (syscalls.js) differ from one
// process to the next by more than within one (V8 decides per process what
// to inline): they are measured in this many processes, and the figure is
// the median over them.
const pairedProcesses = quick ? 2 : 5;
const sizes = quick
  ? { syscallRounds: 5, syscallCalls: 5000, agentRounds: 3, agentRequests: 2000, acceptRounds: 3, acceptConnections: 1000, importRuns: 5, memoryCalls: 100000, memorySockets: 10000, installRuns: 2 }
  : { syscallRounds: 21, syscallCalls: 20000, agentRounds: 21, agentRequests: 10000, acceptRounds: 31, acceptConnections: 3000, importRuns: 21, memoryCalls: 1000000, memorySockets: 100000, installRuns: 10 };

const name = 'run';
// Deadlines: a whole benchmark process (its own deadlines normally fire
// first), and each compiler call.
const sectionMs = quick ? 5 * 60000 : 20 * 60000;
const compileMs = 120000;
const started = Date.now();
const sectionCount = 7 + pairedProcesses;
let sectionsRun = 0;

/** Runs one benchmark script in its own node process and returns its JSON. */
function section(script, args, nodeArgs = []) {
  const what = [script, ...args.map((a) => (path.isAbsolute(String(a)) ? path.basename(String(a)) : a))].join(' ');
  progress(name, `${++sectionsRun}/${sectionCount}: ${what} (${elapsed(started)} so far)`);
  const begun = Date.now();
  const child = spawnWithin(name, sectionMs, `${what} to finish`, process.execPath, [...nodeArgs, path.join(__dirname, script), ...args.map(String)], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  if (child.status !== 0) throw new Failure(`${script} failed (exit ${child.status}, signal ${child.signal}); its own message is above`);
  progress(name, `${script} took ${elapsed(begun)}`);
  return JSON.parse(child.stdout);
}

/**
 * Compiles bench/floor.c with the system compiler into a temporary directory,
 * and bench/floor-addon.c (the same loops inside Node) if Node-API's headers
 * are there; without them that row says why instead.
 */
function compileFloor(dir) {
  const compiler = process.env.CC || 'cc';
  const binary = path.join(dir, 'floor');
  const floor = spawnWithin(name, compileMs, `${compiler} to compile bench/floor.c`, compiler, ['-O2', '-Wall', '-Wextra', '-o', binary, path.join(__dirname, 'floor.c')], { stdio: 'inherit' });
  if (floor.status !== 0) throw new Error(`${compiler} failed to compile bench/floor.c (exit ${floor.status}, signal ${floor.signal})`);
  const version = spawnWithin(name, compileMs, `${compiler} --version`, compiler, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
  let addon = path.join(dir, 'floor-addon.node');
  try {
    const headers = require('node-api-headers').include_dir;
    const built = spawnWithin(name, compileMs, `${compiler} to compile bench/floor-addon.c`, compiler, ['-O2', '-Wall', '-shared', '-fPIC', `-I${headers}`, '-o', addon, path.join(__dirname, 'floor-addon.c')], {
      stdio: ['ignore', 'inherit', 'pipe'],
      encoding: 'utf8',
    });
    if (built.status !== 0) throw Object.assign(new Error(`exit ${built.status}`), { stderr: built.stderr });
  } catch (error) {
    addon = `unavailable: ${String(error.stderr || error.message).split('\n')[0]}`;
  }
  return { binary, addon, version };
}

// ---- formatting ----

const fixed = (value, digits = 0) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ratio = (value) => `${value.toFixed(2)}×`;
const percent = (value) => `${value >= 0 ? '+' : '−'}${Math.abs(value * 100).toFixed(1)} %`;
const megabytes = (bytes) => `${bytes >= 0 ? '+' : '−'}${(Math.abs(bytes) / 2 ** 20).toFixed(1)} MiB`;

/** One table, as text or Markdown (with its notes below it). */
function table(title, header, rows, notes = []) {
  const lines = [];
  if (markdown) {
    lines.push(`**${title}**`, '');
    lines.push(`| ${header.join(' | ')} |`, `|${header.map((_, k) => (k === 0 ? '---' : '---:')).join('|')}|`);
    for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
    if (notes.length) lines.push('', ...notes.map((note, k) => (k < notes.length - 1 ? `${note}  ` : note)));
  } else {
    const widths = header.map((h, k) => Math.max(h.length, ...rows.map((row) => String(row[k]).length)));
    const line = (cells) => cells.map((cell, k) => (k === 0 ? String(cell).padEnd(widths[k]) : String(cell).padStart(widths[k]))).join('  ');
    lines.push(title, line(header), widths.map((w) => '-'.repeat(w)).join('  '));
    for (const row of rows) lines.push(line(row));
    for (const note of notes) lines.push(`  ${note}`);
  }
  return lines.join('\n');
}

function verdict(met, target) {
  return `${met ? 'met' : 'NOT met'} (target ${target})`;
}

/**
 * The ratios measured in pairs (`setPaired` or `getPaired`) over every process
 * that measured them: for each contender the median of the processes'
 * figures, and their range. Undefined for results without them.
 */
function pairedOver(s, key) {
  const runs = [s[key], ...(s.pairedRuns ?? []).map((r) => r[key])].filter(Boolean);
  if (runs.length === 0) return undefined;
  const over = (n) => runs.map((r) => r.ratios[n]);
  const names = Object.keys(runs[0].ratios);
  return {
    processes: runs.length,
    rounds: runs[0].rounds,
    calls: runs[0].calls,
    ratios: Object.fromEntries(names.map((n) => [n, median(over(n))])),
    ranges: Object.fromEntries(names.map((n) => [n, [Math.min(...over(n)), Math.max(...over(n))]])),
  };
}

/**
 * A ratio measured in pairs, to three decimals (it is judged against 1.05),
 * with its range over the processes where there were several.
 */
function pairedRatio(paired, n) {
  const value = paired.ratios[n];
  if (value === undefined) return undefined;
  const three = (v) => `${v.toFixed(3)}×`;
  const [low, high] = paired.ranges[n];
  return paired.processes > 1 ? `${three(value)} (${three(low)}–${three(high)})` : three(value);
}

/** The target for the library's time over the addon's alone, setting and reading. */
const addonTarget = 1.05;

/**
 * What a contender measured in pairs adds to the addon's time, as "+51 ns":
 * its ratio's excess over 1 times the addon's median time, from the row
 * `addon` (the ratio alone depends on the machine: see the template).
 * Undefined where the run lacks either.
 */
function pairedExtraNs(paired, addon, n) {
  const value = paired?.ratios[n];
  if (addon === undefined || value === undefined) return undefined;
  return signedNs((value - 1) * addon.ns);
}

/** "+51 ns" or "−3 ns". */
function signedNs(ns) {
  return `${ns >= 0 ? '+' : '−'}${fixed(Math.abs(ns))} ns`;
}

function syscallTable(title, rows, target, paired) {
  const floor = rows.find((r) => r.name === 'floor');
  const inside = rows.find((r) => r.name === 'inside' && !r.unavailable);
  const ours = rows.find((r) => r.name === 'library');
  const body = rows.map((r) =>
    r.unavailable
      ? [r.label, r.syscalls, '—', '—', '—', '—', `not measured: ${r.unavailable}`]
      : [
          r.label,
          r.syscalls,
          fixed(r.ns),
          ratio(r.ns / floor.ns),
          inside ? ratio(r.ns / inside.ns) : '—',
          r.name === 'library' ? '1.00×' : ratio(r.ns / ours.ns),
          r.check,
        ],
  );
  const notes = [`library vs C floor: ${ratio(ours.ns / floor.ns)}, ${verdict(ours.ns <= floor.ns * 1.1, '≤ 1.10×')}`];
  if (inside) notes.push(`library vs the C loop inside Node: ${ratio(ours.ns / inside.ns)}`);
  // What the library adds above its own addon: validation, handle checks, the hold.
  const addon = rows.find((r) => r.name === 'native');
  const above = (r) => `${ratio(r.ns / addon.ns)} (${signedNs(r.ns - addon.ns)})`;
  if (paired) {
    // The target's verdict, from the ratios measured in pairs (syscalls.js: paired), with the control beside it.
    const least = pairedRatio(paired, 'least-js');
    const inNs = (n) => {
      const ns = pairedExtraNs(paired, addon, n);
      return ns === undefined ? '' : `, ${ns} a call`;
    };
    const yardstick = least === undefined ? '' : `the least JavaScript doing the same checks (least-js.js): ${least}${inNs('least-js')}; `;
    const how =
      paired.processes > 1
        ? `in ${paired.processes} processes, each the median of ${paired.rounds} ratios of ${fixed(paired.calls)}-call blocks; the median of the processes, their range in brackets`
        : `median of ${paired.rounds} ratios of ${fixed(paired.calls)}-call blocks`;
    notes.push(
      `library vs the addon alone, in pairs (${how}): ${pairedRatio(paired, 'library')}${inNs('library')}, ${verdict(paired.ratios.library <= addonTarget, `≤ ${addonTarget}×`)}; ` +
        `${yardstick}the addon against itself: ${pairedRatio(paired, 'native-again')}`,
    );
  } else if (addon) {
    notes.push(`library vs the addon alone: ${above(ours)}, ${verdict(ours.ns <= addon.ns * addonTarget, `≤ ${addonTarget}×`)}`);
  }
  if (target === 'peers') {
    const peers = rows.filter((r) => !['floor', 'inside', 'library', 'native', 'least-js'].includes(r.name) && !r.unavailable);
    const fastest = peers.reduce((best, r) => (r.ns < best.ns ? r : best));
    notes.push(
      `fastest other way: ${fastest.label} at ${ratio(fastest.ns / ours.ns)} the library's time; faster than every peer: ${ours.ns < fastest.ns ? 'yes' : 'NO'}`,
    );
  }
  return table(title, ['contender', 'syscalls', 'ns/call', '× C floor', '× C in Node', '× library', 'read back'], body, notes);
}

function run() {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-keepalive-bench-'));
  const results = { quick, ...machine(), date: new Date(started).toISOString(), command, load: { start: os.loadavg()[0] } };
  try {
    progress(name, `${sectionCount} benchmarks${quick ? ', quick run' : ''}; compiling the C floor first (each benchmark is stopped after ${duration(sectionMs)})`);
    const floor = compileFloor(scratch);
    results.compiler = floor.version;
    results.syscalls = section('syscalls.js', [floor.binary, floor.addon, sizes.syscallRounds, sizes.syscallCalls]);
    results.syscalls.pairedRuns = [];
    for (let k = 1; k < pairedProcesses; k++) {
      const { setPaired, getPaired } = section('syscalls.js', [floor.binary, floor.addon, sizes.syscallRounds, sizes.syscallCalls, 'paired']);
      results.syscalls.pairedRuns.push({ setPaired, getPaired });
    }
    results.agent = section('agent.js', [sizes.agentRounds, sizes.agentRequests]);
    results.accept = section('accept.js', [sizes.acceptRounds, sizes.acceptConnections]);
    results.import = section('import.js', [sizes.importRuns]);
    results.memory = {
      calls: section('memory.js', ['calls', sizes.memoryCalls], ['--expose-gc']),
      sockets: section('memory.js', ['sockets', sizes.memorySockets], ['--expose-gc']),
      socketsWithout: section('memory.js', ['sockets-without', sizes.memorySockets], ['--expose-gc']),
    };
    results.install = section('install.js', [sizes.installRuns]);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  // The kernel dropping connections or their resets (bench/accept.js) is
  // reported there as it happens; summed up here so it is not missed.
  const acceptNotes = ['without', 'with', 'server', 'busy']
    .filter((k) => results.accept[k].dropped > 0 || results.accept[k].leftOpen > 0)
    .map((k) => `${k}: ${results.accept[k].dropped} dropped, ${results.accept[k].leftOpen} left open`);
  if (acceptNotes.length) progress(name, `note: accept.js rounds saw connections dropped by the kernel (rates count the accepted ones): ${acceptNotes.join('; ')}`);
  results.durationMs = Date.now() - started;
  results.load.end = os.loadavg()[0];
  fs.mkdirSync(path.join(root, 'build', 'bench'), { recursive: true });
  fs.writeFileSync(path.join(root, 'build', 'bench', 'results.json'), JSON.stringify(results, null, 2));
  progress(name, `all ${sectionsRun} benchmarks done in ${elapsed(started)}; results in build/bench/results.json`);
  return results;
}

// ---- the page: bench/README.md from bench/README.template.md ----

const kib = (bytes) => `${fixed(bytes / 1000)} kB`;
const seconds = (ms) => `${fixed(ms / 1000, 2)} s`;
const signed = (value) => `${value >= 0 ? '+' : '−'}${Math.abs(Math.round(value * 100))} %`;
/** 329 000 → "about 5.5 minutes (329 s)". */
const about = (ms) => (ms >= 90000 ? `about ${Math.round(ms / 30000) / 2} minutes (${Math.round(ms / 1000)} s)` : `about ${Math.round(ms / 1000)} s`);
const utc = (iso) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
/** 329 000 → "5 min 29 s". */
const took = (ms) => {
  const total = Math.round(ms / 1000);
  return total < 60 ? `${total} s` : `${Math.floor(total / 60)} min ${total % 60} s`;
};

/** The run's header: machine, date, command and duration, load. */
function runHeader(results) {
  const lines = [
    `- Machine: ${results.cpu}, ${results.cores} cores; ${results.os ?? 'Linux'} ${results.kernel}; Node ${results.node}; the C floor built with ${results.compiler}.`,
    `- Date: ${results.date ? utc(results.date) : 'not recorded'}.`,
    `- Command: \`${results.command ?? 'npm run bench'}\`, which took ${results.durationMs ? took(results.durationMs) : 'an unrecorded time'}.`,
  ];
  if (results.load) {
    const busy = Math.max(results.load.start, results.load.end) > results.cores / 2;
    lines.push(
      `- Load average (1 min): ${results.load.start.toFixed(1)} at the start, ${results.load.end.toFixed(1)} at the end, on ${results.cores} cores${busy ? ': other work shared the machine, so the wall-clock figures are noisier than on an idle one' : ''}.`,
    );
  }
  if (results.quick) lines.push('- **A quick run** (`--quick`: fewer rounds and calls): its figures are noisier than a full run\'s.');
  return lines.join('\n');
}

/** The instruction counts of the last `node bench/callgrind.js`, with that run's own header, or why there are none. */
function instructions() {
  if (!fs.existsSync(callgrindResults)) {
    return '**Instructions** (callgrind): not measured for this page: there was no build/bench/callgrind.json from `node bench/callgrind.js` when it was written.';
  }
  const c = JSON.parse(fs.readFileSync(callgrindResults, 'utf8'));
  const n = c.counts;
  const count = (value) => fixed(value);
  const vs = (value, base) => `${count(value)} (${percent(value / base - 1)})`;
  const mean = c.repeat > 1 ? ` (mean of ${c.repeat} runs)` : '';
  return [
    table(
      `Instructions, user space (valgrind --tool=callgrind; the kernel's part of each syscall is not counted)`,
      ['', 'instructions'],
      [
        ['C loop, per 4 × setsockopt / 5 × getsockopt', `${count(n.floorSet)} / ${count(n.floorGet)}`],
        ['socket.setKeepAlive(true, delay)', count(n.nodeSet)],
        [`enableKeepalive(s, { idle, interval, count }) (addon alone: ${count(n.nativeSet)})`, count(n.enable)],
        [`getKeepalive(s) (addon alone: ${count(n.nativeGet)})`, count(n.get)],
        [`per accepted connection, both ends in one process, without the library${mean}`, count(n.acceptWithout)],
        ['the same with enableKeepalive(server, …)', vs(n.acceptServer, n.acceptWithout)],
        ["the same, enableKeepalive(socket, …) in 'connection'", vs(n.acceptWith, n.acceptWithout)],
        [`per request through a keepalive agent, without the library${mean}`, count(n.agentWithout)],
        ['the same with enableKeepalive(agent, …)', vs(n.agentApi, n.agentWithout)],
        ["the same, configured in createConnection / from the 'socket' event", `${vs(n.agentCreateConnection, n.agentWithout)} / ${vs(n.agentSocket, n.agentWithout)}`],
      ],
    ),
    '',
    `From a run of its own: \`${c.command}\` on ${utc(c.date)}, which took ${took(c.durationMs)}; Node ${c.node}, ${c.cpu}, ${c.cores} cores, ${c.os} ${c.kernel}, ${c.valgrind}.`,
  ].join('\n');
}

/** Fills {{name}} in the template; a name without a value is an error, so the prose never shows a stale figure. */
function fill(text, values) {
  return text.replace(/\{\{(\w+)\}\}/g, (_, key) => {
    if (!(key in values)) throw new Failure(`bench/README.template.md asks for {{${key}}}, which the run does not give`);
    return values[key];
  });
}

function writePage(results, sections) {
  const s = results.syscalls;
  const row = (rows, name) => rows.find((r) => r.name === name && !r.unavailable);
  const ratioOf = (rows, name, base) => {
    const r = row(rows, name);
    const b = row(rows, base);
    return r && b ? r.ns / b.ns : undefined;
  };
  const times = (value, why) => (value === undefined ? `(not measured: ${why})` : `${value.toFixed(value >= 10 ? 0 : value >= 3 ? 1 : 2)}×`);
  const setPaired = pairedOver(s, 'setPaired');
  const getPaired = pairedOver(s, 'getPaired');
  const addonSet = s.set.find((r) => r.name === 'native' && !r.unavailable);
  const extraNs = (paired, n) => pairedExtraNs(paired, addonSet, n) ?? '(not in this run)';
  const inPairs = (paired, n) => (paired === undefined ? '(not in this run)' : (pairedRatio(paired, n) ?? '(not in this run)'));
  const setFloor = ratioOf(s.set, 'library', 'floor');
  const getFloor = ratioOf(s.get, 'library', 'floor');
  const setInside = ratioOf(s.set, 'library', 'inside');
  const getInside = ratioOf(s.get, 'library', 'inside');
  const insideSet = ratioOf(s.set, 'inside', 'floor');
  const insideGet = ratioOf(s.get, 'inside', 'floor');
  const met = [setFloor <= 1.1 && 'setting', getFloor <= 1.1 && 'reading'].filter(Boolean);
  const a = results.agent;
  const c = results.accept;
  const values = {
    generated: `> Generated by \`npm run bench -- --write\` from the run described below; edit bench/README.template.md, not this file.`,
    run: runHeader(results),
    ...sections,
    instructions: instructions(),
    insideCost: insideSet && insideGet ? `${signed(insideSet - 1)} for setting and ${signed(insideGet - 1)} for reading` : 'not measured',
    getVsFloor: ratio(getFloor),
    getVsInside: getInside ? ratio(getInside) : 'not measured',
    setVsFloor: ratio(setFloor),
    setVsInside: setInside ? ratio(setInside) : 'not measured',
    goal: met.length === 2 ? 'met for both' : met.length === 1 ? `met for ${met[0]} only` : 'not met',
    setAddonVsInside: times(ratioOf(s.set, 'native', 'inside'), 'no C loop inside Node'),
    getAddonVsInside: times(ratioOf(s.get, 'native', 'inside'), 'no C loop inside Node'),
    libraryVsAddon: inPairs(setPaired, 'library'),
    leastVsAddon: inPairs(setPaired, 'least-js'),
    libraryExtraNs: extraNs(setPaired, 'library'),
    leastExtraNs: extraNs(setPaired, 'least-js'),
    addonSetNs: addonSet ? fixed(addonSet.ns) : '(not measured)',
    budgetNs: addonSet ? fixed(addonSet.ns * (addonTarget - 1)) : '(not measured)',
    addonVsItself: inPairs(setPaired, 'native-again'),
    readingVsAddon: inPairs(getPaired, 'library'),
    pairedRounds: setPaired ? String(setPaired.rounds) : '(not in this run)',
    pairedCalls: setPaired ? fixed(setPaired.calls) : '(not in this run)',
    pairedProcesses: setPaired ? String(setPaired.processes) : '(not in this run)',
    nodeSetVsLibrary: times(ratioOf(s.set, 'node', 'library'), 'unavailable'),
    sockoptVsLibrary: times(ratioOf(s.set, 'sockopt', 'library'), 'sockopt unavailable'),
    netKeepaliveVsLibrary: times(ratioOf(s.set, 'node+net-keepalive', 'library'), 'net-keepalive unavailable'),
    agentApi: percent(a.agentApi.rate / a.without.rate - 1),
    acceptServer: percent(c.server.rate / c.without.rate - 1),
    acceptBusy: percent(c.busy.rate / c.without.rate - 1),
    benchDuration: results.durationMs ? `${about(results.durationMs)} in the run above${results.quick ? ' (a quick run)' : ''}` : 'duration not recorded',
    callgrindDuration: fs.existsSync(callgrindResults)
      ? (() => {
          const cg = JSON.parse(fs.readFileSync(callgrindResults, 'utf8'));
          return `\`${cg.command}\` took ${about(cg.durationMs)} for this page`;
        })()
      : 'not run for this page',
  };
  fs.writeFileSync(page, fill(fs.readFileSync(template, 'utf8'), values));
  progress(name, `wrote ${path.relative(root, page)}`);
}

function main() {
  const results = from ? JSON.parse(fs.readFileSync(from, 'utf8')) : run();
  const sections = {};

  const s = results.syscalls;
  sections.set = syscallTable(`Setting keepalive, per call: median of ${s.rounds} interleaved rounds × ${fixed(s.iterations)} calls`, s.set, 'peers', pairedOver(s, 'setPaired'));
  sections.get = syscallTable(`Reading keepalive, per call: median of ${s.rounds} interleaved rounds × ${fixed(s.iterations)} calls`, s.get, 'floor', pairedOver(s, 'getPaired'));

  const a = results.agent;
  const viaCreate = a.createConnection.rate / a.without.rate;
  const viaEvent = a.socketEvent.rate / a.without.rate;
  const viaApi = a.agentApi.rate / a.without.rate;
  sections.agent = table(
    `Keepalive http.Agent (${a.sockets} sockets, ${fixed(a.requests)} requests a round), median of ${a.rounds} interleaved rounds`,
    ['', 'requests/s', '× without', 'read back'],
    [
      ['without the library', fixed(a.without.rate), '1.00×', a.without.check],
      ['with: enableKeepalive(agent, …)', fixed(a.agentApi.rate), ratio(viaApi), a.agentApi.check],
      ["with: each new socket configured in the agent's createConnection", fixed(a.createConnection.rate), ratio(viaCreate), a.createConnection.check],
      ["with: each new socket configured from its first request's 'socket' event", fixed(a.socketEvent.rate), ratio(viaEvent), a.socketEvent.check],
    ],
    [
      `enableKeepalive(agent, …): ${percent(viaApi - 1)}, ${verdict(viaApi >= 0.98, 'within 2 %')}`,
      `per socket in createConnection: ${percent(viaCreate - 1)}; from the 'socket' event (a listener on every request): ${percent(viaEvent - 1)}`,
    ],
  );

  const c = results.accept;
  const acceptRatio = c.with.rate / c.without.rate;
  sections.accept = table(
    `Server accepting loopback connections (${fixed(c.connections)} a round, ${c.concurrency} at a time), median of ${c.rounds} interleaved rounds`,
    ['', 'accepted/s', '× without', 'read back'],
    [
      ['without the library', fixed(c.without.rate), '1.00×', ''],
      ['with: enableKeepalive(server, …)', fixed(c.server.rate), ratio(c.server.rate / c.without.rate), c.server.check],
      ["with: enableKeepalive(socket, …) in the 'connection' handler", fixed(c.with.rate), ratio(acceptRatio), c.with.check],
      [`control: ${fixed(c.busyNs / 1000, 1)} µs busy wait in the handler instead`, fixed(c.busy.rate), ratio(c.busy.rate / c.without.rate), ''],
    ],
    [
      `enableKeepalive(server, …): ${percent(c.server.rate / c.without.rate - 1)}, ${verdict(c.server.rate / c.without.rate >= 0.95, 'within 5 %')}`,
      `per socket in 'connection': ${percent(acceptRatio - 1)}, ${verdict(acceptRatio >= 0.95, 'within 5 %')}`,
    ],
  );

  const i = results.import;
  sections.import = table(
    `Import cost in a fresh process, median of ${i.runs} runs each, alternating`,
    ['', 'require() ms', 'whole process ms'],
    [
      ["require('net') alone", fixed(i.net.requireMs, 2), fixed(i.net.wallMs, 1)],
      ["require('tcp-keepalive')", fixed(i.library.requireMs, 2), fixed(i.library.wallMs, 1)],
      ["require('tcp-keepalive') + first call (getSystemDefaults)", fixed(i.firstCall.requireMs, 2), fixed(i.firstCall.wallMs, 1)],
    ],
    [
      `difference: require ${fixed(i.library.requireMs - i.net.requireMs, 2)} ms (${ratio(i.library.requireMs / i.net.requireMs)}), whole process ${fixed(i.library.wallMs - i.net.wallMs, 1)} ms, ${verdict(i.library.requireMs - i.net.requireMs <= 2, 'within 2 ms')}`,
      `the first call loads the rest of the package and the addon: ${fixed(i.firstCall.requireMs - i.library.requireMs, 2)} ms more, once per process`,
    ],
  );

  const m = results.memory;
  const growth = (r) => [megabytes(r.after.rss - r.before.rss), megabytes(r.after.heapUsed - r.before.heapUsed)];
  sections.memory = table(
    'Memory growth after a warm-up and full GC (RSS and V8 heap, after − before)',
    ['', 'RSS', 'heap used'],
    [
      [`${fixed(m.calls.calls / 2)} enableKeepalive + ${fixed(m.calls.calls / 2)} getKeepalive calls`, ...growth(m.calls)],
      [`${fixed(m.sockets.sockets)} connections opened and closed, both ends configured`, ...growth(m.sockets)],
      [`the same ${fixed(m.socketsWithout.sockets)} connections without the library (reference)`, ...growth(m.socketsWithout)],
    ],
  );

  const n = results.install;
  if (n) {
    const spread = (r) => [seconds(r.medianMs), `${seconds(r.minMs)} – ${seconds(r.maxMs)}`];
    sections.install = table(
      `npm install of the packed tarball into an empty project (npm ${n.npm}, cache warm, Node's headers on disk), median of ${n.runs} interleaved rounds`,
      ['', 'median', 'range'],
      [
        ['with the prebuild (the install script only checks that it loads)', ...spread(n.prebuild)],
        ['--build-from-source (node-gyp compiles the addon)', ...spread(n.build)],
        ['--ignore-scripts (the prebuild, no script at all)', ...spread(n.ignoreScripts)],
      ],
      [
        `building from source: ${ratio(n.build.medianMs / n.prebuild.medianMs)} the time of an install with the prebuild`,
        `tarball ${kib(n.tarballBytes)} (${kib(n.unpackedBytes)} unpacked)${n.prebuildFile ? `, of which the prebuild ${n.prebuildFile.path}: ${kib(n.prebuildFile.bytes)}` : ''}`,
      ],
    );
  } else {
    sections.install = '**Install**: not measured in this run (it predates bench/install.js).';
  }

  const order = ['set', 'get', 'agent', 'accept', 'import', 'memory', 'install'];
  console.log(`\n${runHeader(results)}\n`);
  for (const key of order) console.log(`${sections[key]}\n`);
  if (write) writePage(results, sections);
}

try {
  main();
} catch (error) {
  console.error(error && (error.name === 'GaveUp' || error.name === 'Failure') ? `bench failed: ${error.message}` : `bench failed: ${error.stack || error}`);
  process.exit(1);
}
