// After tsc (npm run build): bundles src/runtime.ts, everything that
// `require('tcp-keepalive')` and the preload run, into dist/runtime.js.
// dist/index.js is small and written here: it exports the data of
// dist/presets.js and, for each function, one that loads dist/runtime.js on
// its first call, so importing the package reads two small files and neither
// the addon nor the rest of the code (bench/import.js measures it; the first
// call pays the rest, which the bench reports too). dist/register.js loads
// runtime.js at once, as a preload must. The command line (dist/cli.js) and
// the lab (dist/lab.js) are bundled on their own: the CLI runs in a process of
// its own, the lab imports nothing of the library. The testing entries
// (assert, matchers, jest) are bundled each with what it uses, and reach the
// library through dist/index.js; dist/vitest.mjs imports dist/matchers.js.
// The tarball ships these bundles and tsc's declarations; tsc's other
// per-file output stays in the tree only.
//
// src imports Node's modules by name (`import { readFileSync } from
// 'node:fs'`): a namespace import (`import * as fs`) makes the bundle copy
// every export of the module when it loads, which this script refuses.
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
  // Resolved from the installed package at run time, on first use (the test
  // runners' from the user's project, by tcp-keepalive/jest and /vitest).
  external: ['node-gyp-build', '@jest/globals', 'vitest'],
  // Smaller to compile on every import; names stay, so stack traces still read.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
};

const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist');

/**
 * A plugin that leaves the given modules of src out of a bundle: the bundle
 * requires their own file in dist instead (`{ 'core/presets.ts': './presets.js' }`),
 * so that one copy serves every bundle that uses them.
 */
function shared(modules) {
  const byPath = new Map(Object.entries(modules).map(([source, file]) => [path.join(root, 'src', source), file]));
  return {
    name: 'shared',
    setup(build) {
      build.onResolve({ filter: /^\./ }, (args) => {
        const file = byPath.get(path.join(args.resolveDir, `${args.path}.ts`));
        return file === undefined ? undefined : { path: file, external: true };
      });
    },
  };
}
// The presets: one object, whichever file exports or reads them.
const presets = shared({ 'core/presets.ts': './presets.js' });
// The testing entries reach the library through its public entry, so that
// they meet the program's own copy; tcp-keepalive/jest uses /matchers.
const library = shared({ 'index.ts': './index.js' });
const libraryAndMatchers = shared({ 'index.ts': './index.js', 'matchers.ts': './matchers.js' });

async function main() {
  await esbuild.build({ ...common, entryPoints: [path.join(root, 'src', 'core', 'presets.ts')], outfile: path.join(dist, 'presets.js') });
  const bundles = [
    ['runtime.ts', 'runtime.js', [presets]],
    // The bin keeps its shebang (esbuild keeps a first-line #! of the entry).
    ['cli.ts', 'cli.js', [presets]],
    ['lab.ts', 'lab.js', []],
    ['assert.ts', 'assert.js', [library]],
    ['matchers.ts', 'matchers.js', [library]],
    ['jest.ts', 'jest.js', [libraryAndMatchers]],
  ];
  for (const [entry, out, plugins] of bundles) {
    await esbuild.build({ ...common, plugins, entryPoints: [path.join(root, 'src', entry)], outfile: path.join(dist, out) });
  }
  const runtimeText = fs.readFileSync(path.join(dist, 'runtime.js'), 'utf8');
  if (runtimeText.includes('__toESM(')) {
    throw new Error('dist/runtime.js copies a whole module on load (a namespace or default import of a Node module in src): import the names it uses');
  }

  // Loading it runs no syscall and loads no addon (that waits for the first call).
  const runtime = require(path.join(dist, 'runtime.js'));
  const names = Object.keys(runtime);
  const api = names.filter((name) => name !== 'register').sort();
  if (api.length === 0 || !names.includes('register')) throw new Error(`unexpected exports of dist/runtime.js: ${names.join(', ')}`);
  const presetData = require(path.join(dist, 'presets.js'));

  /** The parameter names of a bundled function, from its source: `function name(a,b={}){`. */
  function parameters(name, fn) {
    const match = /^function \w+\(([^)]*)\)/.exec(fn.toString());
    const list = match === null ? null : match[1].split(',').filter(Boolean).map((parameter) => parameter.split('=')[0].trim());
    if (list === null || !list.every((parameter) => /^[A-Za-z_$][\w$]*$/.test(parameter))) {
      throw new Error(`cannot read the parameters of ${name} in dist/runtime.js: ${fn.toString().slice(0, 80)}`);
    }
    return list.join(', ');
  }

  /** One line of index.js per name: Node's ESM loader finds CommonJS exports by `exports.name =`. */
  function exportLine(name) {
    const value = runtime[name];
    if (typeof value === 'function') {
      const list = parameters(name, value);
      return `exports.${name} = function ${name}(${list}) {\n  return (runtime ?? load()).${name}(${list});\n};`;
    }
    if (presetData[name] === value) return `exports.${name} = presets.${name};`;
    throw new Error(`dist/runtime.js exports ${name}, neither a function nor data of dist/presets.js`);
  }

  const header = "'use strict';\n// Made by scripts/bundle.js: the package's code is in runtime.js.\n";
  const index = [
    header + '// Each function loads it on its first call: importing the package loads no more than this and presets.js.',
    "Object.defineProperty(exports, '__esModule', { value: true });",
    "const presets = require('./presets.js');",
    '// Its exports, copied once: the bundle exports getters, a call each on every read.',
    '// var and a function declaration, not let and const: no check for their temporal',
    "// dead zone in each function below, which keeps it under V8's size for always inlining.",
    'var runtime;',
    "function load() {\n  return (runtime = { ...require('./runtime.js') });\n}",
    ...api.map(exportLine),
  ];
  fs.writeFileSync(path.join(dist, 'index.js'), `${index.join('\n')}\n`);
  fs.writeFileSync(path.join(dist, 'register.js'), `${header}require('./runtime.js').register();\n`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
