// Packs the package as it would be published: `npm pack` (prepack builds the
// prebuilds, prepare compiles TypeScript) in a copy of the working tree, so the
// build/ and dist/ of the tree under test are never touched and nothing stale
// in them can slip into the tarball.
//
//   node test/helpers/pack.js DIR   → writes DIR/<name>-<version>.tgz and
//                                      DIR/<name>-<version>.json (npm's report)
//                                      and prints the tarball's path
const { execFileSync, spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');

/** Where npm's own CLI is: the one running this script's npm, else the one on PATH. */
function npmCli() {
  const fromNpm = process.env.npm_execpath;
  if (fromNpm && /npm-cli\.js$/.test(fromNpm)) return fromNpm;
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const candidate = path.join(dir, 'npm');
    if (fs.existsSync(candidate)) return fs.realpathSync(candidate);
  }
  throw new Error('npm not found');
}

/** Packs into `destination`; returns { tarball, report } with npm pack's JSON report. */
function pack(destination) {
  fs.mkdirSync(destination, { recursive: true });
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-keepalive-pack-'));
  try {
    // Tracked and new files, without what .gitignore leaves out (node_modules, build, dist, prebuilds).
    const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: root,
      encoding: 'utf8',
    })
      .split('\0')
      .filter((file) => file !== '' && fs.existsSync(path.join(root, file)));
    for (const file of files) {
      fs.mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
      fs.copyFileSync(path.join(root, file), path.join(copy, file));
    }
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
    // The build's noise (node-gyp's info lines) is shown only when packing
    // fails; meanwhile a line names each step as it starts, and another says
    // every 15 s that packing goes on (it compiles, which takes a while).
    process.stderr.write('tcp-keepalive: packing the tarball (npm pack, scripts/prebuild.sh) …\n');
    const packed = spawnSync(process.execPath, [__filename, progressMode, copy, destination], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 << 20,
    });
    if (packed.status !== 0) throw new Error(`npm pack failed (exit ${packed.status}, signal ${packed.signal}); its output is above`);
    const out = packed.stdout;
    // The scripts' output comes first on stdout; npm's JSON report is last.
    const report = JSON.parse(out.slice(out.lastIndexOf('\n[\n') + 1))[0];
    const tarball = path.join(destination, report.filename);
    fs.writeFileSync(tarball.replace(/\.tgz$/, '.json'), JSON.stringify(report, null, 2) + '\n');
    return { tarball, report };
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
}

/** The child that runs npm pack with progress lines: pack() stays synchronous for its callers. */
const progressMode = '--npm-pack-with-progress';

function packWithProgress(cwd, destination) {
  const started = Date.now();
  const seconds = () => Math.round((Date.now() - started) / 1000);
  const child = spawn(process.execPath, [npmCli(), 'pack', '--json', '--pack-destination', destination], { cwd });
  let stdout = '';
  let output = '';
  const watch = (chunk) => {
    output += chunk;
    // npm announces each script it runs: "> tcp-keepalive@0.1.0 prepack".
    for (const [, script] of String(chunk).matchAll(/^> \S+ (\w+)$/gm)) {
      process.stderr.write(`tcp-keepalive: packing, ${seconds()} s: running the ${script} script …\n`);
    }
  };
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
    watch(chunk);
  });
  child.stderr.on('data', watch);
  const heartbeat = setInterval(() => process.stderr.write(`tcp-keepalive: still packing, ${seconds()} s …\n`), 15000);
  child.on('close', (code, signal) => {
    clearInterval(heartbeat);
    if (code !== 0) process.stderr.write(output);
    // What comes next: jest prints a line per test file as each one ends, the slow ones first.
    else process.stderr.write(`tcp-keepalive: packed in ${seconds()} s; the test files run now, each reported when it ends …\n`);
    process.stdout.write(stdout);
    process.exitCode = code ?? (signal ? 1 : 0);
  });
}

module.exports = { pack, npmCli };

if (require.main === module && process.argv[2] === progressMode) {
  packWithProgress(process.argv[3], process.argv[4]);
} else if (require.main === module) {
  const destination = process.argv[2];
  if (!destination) {
    console.error('usage: node test/helpers/pack.js DIR');
    process.exit(2);
  }
  console.log(pack(path.resolve(destination)).tarball);
}
