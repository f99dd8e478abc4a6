// A fresh project outside the repository that installs the packed tarball the
// way a user does, with npm, under the Node running the tests.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
const { npmCli } = require('../helpers/pack') as { npmCli: () => string };

export const repoRoot = path.join(__dirname, '..', '..');

/** The tarball under test (test/package/setup.js packs it or takes it from CI). */
export function tarball(): string {
  const file = process.env.TCP_KEEPALIVE_TARBALL;
  if (!file) throw new Error('TCP_KEEPALIVE_TARBALL is not set: run through jest (test/package/setup.js sets it)');
  return file;
}

/** Build tools a source build needs; none may be reachable where no compiler is promised. */
export const buildTools = ['cc', 'gcc', 'g++', 'c++', 'clang', 'clang++', 'make', 'cmake', 'python', 'python3'];

export interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment a user's shell would give: this process's, less the npm_*
 * variables of the `npm test` running the suite (they would leak its config,
 * such as build-from-source, into the user's npm).
 */
export function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) && key !== 'INIT_CWD' && !key.startsWith('TCP_KEEPALIVE_')) env[key] = value;
  }
  return { ...env, ...extra };
}

export function run(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Run {
  const child = spawnSync(file, args, { cwd, env, encoding: 'utf8', timeout: 150000, maxBuffer: 64 * 1024 * 1024 });
  if (child.error) throw child.error;
  return { status: child.status, signal: child.signal, stdout: child.stdout, stderr: child.stderr };
}

/** Runs this Node on a script or arguments in `cwd`. */
export function node(args: string[], cwd: string, env: NodeJS.ProcessEnv = userEnv()): Run {
  return run(process.execPath, args, cwd, env);
}

/** Runs npm (the CLI of the npm running the suite) under this Node. */
export function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv = userEnv()): Run {
  return run(process.execPath, [npmCli(), ...args], cwd, env);
}

export interface Project {
  dir: string;
  /** A PATH holding only this Node: no compiler, make, CMake or Python. */
  nodeOnlyPath: string;
  remove(): void;
}

/** An empty project (package.json only) in a new temporary directory. */
export function createProject(label: string): Project {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tcp-keepalive-${label}-`));
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: `consumer-${label}`, version: '1.0.0', private: true }, null, 2) + '\n',
  );
  const bin = path.join(dir, '.node-only-bin');
  fs.mkdirSync(bin);
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  return { dir, nodeOnlyPath: bin, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Names of build tools, and of their versioned and target-prefixed variants (gcc-12, x86_64-linux-gnu-g++, python3.11). */
const buildToolName = /^(cc|c\+\+|c89|c99|cpp|gcc|g\+\+|clang|clang\+\+|make|gmake|cmake|python|python\d)([-.\d]*)$|^x86_64-linux-gnu-/;

/**
 * A PATH like a machine without build tools: this Node, and every command of
 * /usr/local/bin, /usr/bin and /bin except compilers, make, CMake and Python.
 */
export function withoutBuildTools(project: Project): string {
  const bin = path.join(project.dir, '.no-build-tools-bin');
  fs.mkdirSync(bin);
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  for (const dir of ['/usr/local/bin', '/usr/bin', '/bin']) {
    for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
      if (buildToolName.test(name) || fs.existsSync(path.join(bin, name))) continue;
      fs.symlinkSync(path.join(dir, name), path.join(bin, name));
    }
  }
  return bin;
}

/** Which of `tools` a PATH reaches. */
export function reachable(tools: string[], pathValue: string): string[] {
  return tools.filter((tool) =>
    pathValue.split(path.delimiter).some((dir) => {
      try {
        fs.accessSync(path.join(dir, tool), fs.constants.X_OK);
        return true;
      } catch {
        return false;
      }
    }),
  );
}

/** The version of a devDependency installed in the repository (to install the same in a project). */
export function repoVersion(name: string): string {
  return (JSON.parse(fs.readFileSync(path.join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string })
    .version;
}

/** The package.json of the package as installed in a project. */
export interface InstalledManifest {
  name: string;
  exports: Record<string, unknown>;
}

export function installedManifest(project: Project): InstalledManifest {
  return JSON.parse(
    fs.readFileSync(path.join(project.dir, 'node_modules', 'tcp-keepalive', 'package.json'), 'utf8'),
  ) as InstalledManifest;
}

/**
 * The subpaths a user can import ('.', './lab', …), read from the exports map,
 * with whether require and import are each meant to work there.
 */
export function exportedSubpaths(manifest: InstalledManifest): { subpath: string; specifier: string; cjs: boolean; esm: boolean }[] {
  return Object.entries(manifest.exports)
    .filter(([subpath]) => subpath !== './package.json')
    .map(([subpath, target]) => {
      const conditions = typeof target === 'string' ? ['default'] : Object.keys(target as object);
      const has = (name: string) => conditions.includes(name) || conditions.includes('default');
      return {
        subpath,
        specifier: subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`,
        cjs: has('require') || has('node'),
        esm: has('import') || has('node'),
      };
    });
}

/** The shared objects (.node addons) the process that printed `maps` had mapped. */
export function mappedAddons(maps: string): string[] {
  const files = maps
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[5])
    .filter((file): file is string => file !== undefined && file.endsWith('.node'));
  return [...new Set(files)];
}
