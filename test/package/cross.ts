// What the tests of the other targets' prebuilds need: the packed files on
// disk, the toolchains of scripts/toolchain.sh, arm64 programs run through
// qemu-user (binfmt_misc), readelf. Each need is checked once; a test that
// cannot run here is skipped with the reason, except under CI (CI=true),
// where it runs and fails with that reason instead of hiding.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot, run, tarball, userEnv, type Run } from './project';

export const inCI = process.env.CI === 'true';

export interface Support {
  available: boolean;
  reason: string;
}

/** `test` where every need holds or under CI, `test.skip` elsewhere. */
export function gated(...supports: Support[]): jest.It {
  return supports.every((support) => support.available) || inCI ? test : test.skip;
}

/** A describe title that says why its tests are skipped, when they are. */
export function titled(title: string, ...supports: Support[]): string {
  const missing = supports.filter((support) => !support.available).map((support) => support.reason);
  return missing.length === 0 || inCI ? title : `${title} (skipped: ${missing.join('; ')})`;
}

/** Throws with the reason when a need is missing (only reached under CI or when it holds). */
export function need(...supports: Support[]): void {
  for (const support of supports) if (!support.available) throw new Error(support.reason);
}

/** scripts/toolchain.sh: fetches the tool once into its cache; returns its path. */
export function toolchain(...args: string[]): string {
  return execFileSync('bash', [path.join(repoRoot, 'scripts', 'toolchain.sh'), ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    // userEnv drops TCP_KEEPALIVE_*: the cache directory is kept.
    env: process.env.TCP_KEEPALIVE_TOOLCHAINS ? userEnv({ TCP_KEEPALIVE_TOOLCHAINS: process.env.TCP_KEEPALIVE_TOOLCHAINS }) : userEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 600000,
  }).trim();
}

/** The toolchain's path, or why it cannot be had. */
export function toolchainSupport(...args: string[]): Support & { path: string } {
  try {
    return { available: true, reason: '', path: toolchain(...args) };
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
    return { available: false, reason: `scripts/toolchain.sh ${args.join(' ')} failed: ${stderr || (error as Error).message}`, path: '' };
  }
}

/** The Zig of the musl prebuilds (linux-x64 hosts only). */
export function zigSupport(): Support & { path: string } {
  if (`${process.platform}-${process.arch}` !== 'linux-x64') {
    return { available: false, reason: `the pinned Zig runs on linux-x64, not ${process.platform}-${process.arch}`, path: '' };
  }
  return toolchainSupport('zig');
}

/** Where Debian's cross packages keep the arm64 glibc that dynamically linked arm64 programs need. */
export const arm64Sysroot = '/usr/aarch64-linux-gnu';

/** The environment arm64 programs run in: qemu finds the arm64 glibc there. */
export function arm64Env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return userEnv({ QEMU_LD_PREFIX: arm64Sysroot, ...extra });
}

/** Whether the kernel runs arm64 programs through qemu-user (binfmt_misc), with Debian's arm64 glibc at hand. */
export function qemuSupport(): Support {
  const entry = '/proc/sys/fs/binfmt_misc/qemu-aarch64';
  let registration = '';
  try {
    registration = fs.readFileSync(entry, 'utf8');
  } catch {
    return {
      available: false,
      reason: `${entry} missing: install qemu-user-static and binfmt-support, mount binfmt_misc and run update-binfmts --enable qemu-aarch64 (as .ci/run does)`,
    };
  }
  if (!registration.startsWith('enabled')) return { available: false, reason: `${entry} is disabled` };
  if (!fs.existsSync(path.join(arm64Sysroot, 'lib', 'ld-linux-aarch64.so.1'))) {
    return { available: false, reason: `no arm64 glibc in ${arm64Sysroot} (Debian: libc6-arm64-cross, which g++-aarch64-linux-gnu brings)` };
  }
  return { available: true, reason: '' };
}

/** Whether this process may make a private mount namespace and mount in it (root, unshare). */
export function mountNamespaceSupport(): Support {
  const probe = spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs none /mnt'], { encoding: 'utf8' });
  return probe.status === 0
    ? { available: true, reason: '' }
    : { available: false, reason: `cannot mount in a private mount namespace (unshare -m): ${(probe.stderr || probe.error?.message || '').trim()}` };
}

/** The tarball unpacked into a new directory (its files under package/); removed by the returned function. */
export function unpackTarball(): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-keepalive-unpacked-'));
  const untar = run('tar', ['-xzf', tarball(), '-C', dir], dir, userEnv());
  if (untar.status !== 0) throw new Error(`tar failed: ${untar.stderr}`);
  return { dir: path.join(dir, 'package'), remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** The prebuilds the package ships: prebuilds/<platform>-<arch>/<name>.<libc>.node. */
export const shippedPrebuilds = [
  { dir: 'linux-x64', libc: 'glibc', machine: 'Advanced Micro Devices X86-64' },
  { dir: 'linux-arm64', libc: 'glibc', machine: 'AArch64' },
  { dir: 'linux-x64', libc: 'musl', machine: 'Advanced Micro Devices X86-64' },
  { dir: 'linux-arm64', libc: 'musl', machine: 'AArch64' },
].map((prebuild) => ({ ...prebuild, file: `prebuilds/${prebuild.dir}/tcp-keepalive.${prebuild.libc}.node` }));

/** readelf with the given arguments on a file; throws unless it succeeds. */
export function readelf(args: string[], file: string): string {
  const result: Run = run('readelf', ['--wide', ...args, file], repoRoot, userEnv({ LC_ALL: 'C' }));
  if (result.status !== 0) throw new Error(`readelf ${args.join(' ')} ${file}: ${result.stderr}`);
  return result.stdout;
}

/** The shared libraries an ELF file names as NEEDED. */
export function neededLibraries(file: string): string[] {
  return [...readelf(['-d'], file).matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((match) => match[1]);
}

/**
 * Its dynamic symbols: the ones it defines (exports), the ones it must find
 * elsewhere, and the weak ones it can do without (the toolchain's optional hooks).
 */
export function dynamicSymbols(file: string): { defined: string[]; undefined: string[]; weakUndefined: string[] } {
  const defined: string[] = [];
  const undefinedSymbols: string[] = [];
  const weakUndefined: string[] = [];
  for (const line of readelf(['--dyn-syms'], file).split('\n')) {
    // Num: Value Size Type Bind Vis Ndx Name[@version]
    const fields = line.trim().split(/\s+/);
    if (!/^\d+:$/.test(fields[0] ?? '') || fields.length < 8) continue;
    const [, , , type, bind, , ndx, name] = fields;
    if (bind === 'LOCAL' || type === 'SECTION') continue;
    const bare = name.replace(/@.*$/, '');
    if (ndx !== 'UND') defined.push(bare);
    else if (bind === 'WEAK') weakUndefined.push(bare);
    else undefinedSymbols.push(bare);
  }
  return { defined: defined.sort(), undefined: undefinedSymbols.sort(), weakUndefined: weakUndefined.sort() };
}

/** The versions it needs from each library (.gnu.version_r), e.g. { 'libc.so.6': ['GLIBC_2.17'] }. */
export function versionNeeds(file: string): Record<string, string[]> {
  const needs: Record<string, string[]> = {};
  let library = '';
  for (const line of readelf(['-V'], file).split('\n')) {
    const fileMatch = /Version: \d+\s+File: (\S+)/.exec(line);
    if (fileMatch) {
      library = fileMatch[1];
      needs[library] = [];
      continue;
    }
    const nameMatch = /^\s+0x[0-9a-f]+:\s+Name: (\S+)/.exec(line);
    if (nameMatch && library) needs[library].push(nameMatch[1]);
  }
  return needs;
}

/** Node-API's functions up to and including `version`, from node-api-headers' list. */
export function nodeApiSymbols(version: number): Set<string> {
  const { symbols } = require(path.join(repoRoot, 'node_modules', 'node-api-headers')) as {
    symbols: Record<string, { js_native_api_symbols: string[]; node_api_symbols: string[] }>;
  };
  const names = new Set<string>();
  for (const [key, entry] of Object.entries(symbols)) {
    const match = /^v(\d+)$/.exec(key);
    if (!match || Number(match[1]) > version) continue;
    for (const name of [...entry.js_native_api_symbols, ...entry.node_api_symbols]) names.add(name);
  }
  return names;
}
