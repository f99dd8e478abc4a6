// After tsc (npm run build): bundles src/runtime.ts, everything that
// `require('tcp-keepalive')` and the preload run, into dist/runtime.js, and
// makes dist/index.js and dist/register.js load it. Importing the package then
// reads one module instead of a dozen (bench/import.js measures it). The
// command line (dist/cli.js) and the lab (dist/lab.js) are bundled on their
// own: the CLI runs in a process of its own, the lab imports nothing of the
// library. The tarball ships these bundles, the testing entries and tsc's
// declarations; tsc's other per-file output stays in the tree only.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

/** The settings every bundle shares. */
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Resolved from the installed package at run time, on first use.
  external: ['node-gyp-build'],
  // Smaller to compile on every import; names stay, so stack traces still read.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
};

const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist');

esbuild.buildSync({ ...common, entryPoints: [path.join(root, 'src', 'runtime.ts')], outfile: path.join(dist, 'runtime.js') });
// The bin keeps its shebang (esbuild keeps a first-line #! of the entry).
esbuild.buildSync({ ...common, entryPoints: [path.join(root, 'src', 'cli.ts')], outfile: path.join(dist, 'cli.js') });
esbuild.buildSync({ ...common, entryPoints: [path.join(root, 'src', 'lab.ts')], outfile: path.join(dist, 'lab.js') });

// Loading it runs no syscall and loads no addon (that waits for the first call).
const names = Object.keys(require(path.join(dist, 'runtime.js')));
const api = names.filter((name) => name !== 'register').sort();
if (api.length === 0 || !names.includes('register')) throw new Error(`unexpected exports of dist/runtime.js: ${names.join(', ')}`);

// One assignment per name: Node's ESM loader finds CommonJS exports by these patterns.
const header = "'use strict';\n// Made by scripts/bundle.js: the package's code is in runtime.js.\n";
fs.writeFileSync(
  path.join(dist, 'index.js'),
  `${header}Object.defineProperty(exports, '__esModule', { value: true });\nconst runtime = require('./runtime.js');\n${api
    .map((name) => `exports.${name} = runtime.${name};`)
    .join('\n')}\n`,
);
fs.writeFileSync(path.join(dist, 'register.js'), `${header}require('./runtime.js').register();\n`);
