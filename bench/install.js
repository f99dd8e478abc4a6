// Install time and size: the package packed as it is published
// (test/helpers/pack.js: npm pack, which builds the prebuild), then
// `npm install TARBALL` into an empty project, timed, three ways in
// interleaved rounds:
//   prebuild       npm's default: the install script only checks that the prebuild loads
//   build          --build-from-source: node-gyp compiles the addon
//   ignoreScripts  --ignore-scripts: the prebuild, no script at all
// One untimed install of each kind comes first, so npm's cache is warm and
// node-gyp has found Node's headers: the figures are the installs' own work,
// not downloads. Each install is checked: a build only where one was asked for.
// Run by bench/run.js as: node install.js RUNS (alone, without one: 10)
// Prints one JSON object; progress on stderr. Packing and each install have a
// deadline (below).
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { median, interleave, spawnWithin, progress, elapsed, fail, Failure } = require('./lib');
const { pack, npmCli } = require('../test/helpers/pack');

const name = 'install';
const runs = Number(process.argv[2] ?? 10);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`usage: node bench/install.js [RUNS] (got: ${process.argv.slice(2).join(' ')})`);
  process.exit(2);
}
// An install of a 100 kB tarball from a warm cache takes seconds; a build from source a few more.
const installMs = 3 * 60000;

const contenders = [
  { name: 'prebuild', flags: [], built: false },
  { name: 'build', flags: ['--build-from-source'], built: true },
  { name: 'ignoreScripts', flags: ['--ignore-scripts'], built: false },
];

// A user's shell, not `npm run bench`'s: npm's own npm_* variables (its config among them) left out.
const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) && key !== 'INIT_CWD'));

function install(tarball, { name: kind, flags, built }) {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-keepalive-bench-install-'));
  try {
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'bench-install', version: '1.0.0', private: true }) + '\n');
    const start = process.hrtime.bigint();
    const result = spawnWithin(name, installMs, `npm install (${kind})`, process.execPath, [npmCli(), 'install', tarball, '--prefer-offline', '--no-audit', '--no-fund', ...flags], {
      cwd: project,
      env,
      encoding: 'utf8',
      maxBuffer: 16 << 20,
    });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (result.status !== 0) throw new Failure(`${name}: npm install (${kind}) failed (exit ${result.status}): ${result.stderr.trim().split('\n').slice(-5).join(' / ')}`);
    const build = path.join(project, 'node_modules', 'tcp-keepalive', 'build', 'Release', 'tcp_keepalive.node');
    if (fs.existsSync(build) !== built) throw new Failure(`${name}: npm install (${kind}) ${built ? 'built nothing' : 'built the addon'}`);
    return ms;
  } finally {
    fs.rmSync(project, { recursive: true, force: true });
  }
}

try {
  const began = Date.now();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-keepalive-bench-pack-'));
  try {
    progress(name, 'packing the tarball (npm pack, prebuildify)');
    const { tarball, report } = pack(scratch);
    const prebuild = report.files.find((file) => file.path.startsWith('prebuilds/') && file.path.endsWith('.node'));
    progress(name, `warming up: one install of each kind (${elapsed(began)} so far)`);
    for (const contender of contenders) install(tarball, contender);
    const samples = interleave(contenders, runs, (contender) => install(tarball, contender), (r) =>
      progress(name, `round ${r}/${runs}: npm install with the prebuild, --build-from-source, --ignore-scripts (${elapsed(began)} so far)`),
    );
    const npmVersion = spawnWithin(name, 30000, 'npm --version', process.execPath, [npmCli(), '--version'], { encoding: 'utf8', env }).stdout.trim();
    const result = {
      runs,
      npm: npmVersion,
      tarballBytes: report.size,
      unpackedBytes: report.unpackedSize,
      prebuildFile: prebuild ? { path: prebuild.path, bytes: prebuild.size } : null,
    };
    for (const c of contenders) {
      const ms = samples[c.name];
      result[c.name] = { medianMs: median(ms), minMs: Math.min(...ms), maxMs: Math.max(...ms) };
    }
    progress(name, `done in ${elapsed(began)}`);
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
} catch (error) {
  fail(error);
}
