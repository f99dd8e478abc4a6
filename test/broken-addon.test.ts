// A broken or foreign addon file never takes the program down: the package
// loads, enableKeepalive falls back to Node's own setKeepAlive, and the
// errors name the loader's reason. Each case is a copy of the package (dist/,
// package.json, binding.gyp, node-gyp-build) whose addon file was replaced,
// run in a child process; what the socket holds is read from outside it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.join(__dirname, '..');
const built = path.join(root, 'build', 'Release', 'tcp_keepalive.node');
const fixture = path.join(__dirname, 'fixtures', 'broken-addon.js');
const prebuild = path.join('prebuilds', `linux-${process.arch}`, 'tcp-keepalive.glibc.node');
const release = path.join('build', 'Release', 'tcp_keepalive.node');

let base: string;
beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-keepalive-broken-'));
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

/** A copy of the package with `contents` as its addon at `where`; returns its dist/index.js. */
function packageWith(label: string, where: string, contents: Buffer): string {
  const dir = path.join(base, label.replace(/\W+/g, '-'));
  fs.cpSync(path.join(root, 'dist'), path.join(dir, 'dist'), { recursive: true });
  for (const file of ['package.json', 'binding.gyp']) fs.copyFileSync(path.join(root, file), path.join(dir, file));
  fs.cpSync(path.join(root, 'node_modules', 'node-gyp-build'), path.join(dir, 'node_modules', 'node-gyp-build'), { recursive: true });
  fs.mkdirSync(path.join(dir, path.dirname(where)), { recursive: true });
  fs.writeFileSync(path.join(dir, where), contents);
  return path.join(dir, 'dist', 'index.js');
}

/** The real addon with e_machine (offset 18) set to `machine`: an ELF for another architecture. */
function foreignArchitecture(machine: number): Buffer {
  const bytes = fs.readFileSync(built);
  bytes.writeUInt16LE(machine, 18);
  return bytes;
}

/** A shared library that is no addon: the C library this process has mapped. */
function libc(): Buffer {
  const maps = fs.readFileSync('/proc/self/maps', 'utf8');
  const file = /\s(\/\S*\/libc\.so\.6)$/m.exec(maps)?.[1];
  if (!file) throw new Error('no libc.so.6 in /proc/self/maps');
  return fs.readFileSync(file);
}

const addon = (): Buffer => fs.readFileSync(built);

/** An architecture this process is not: arm64, or x64 on arm64 (e_machine numbers from elf.h). */
const foreign = process.arch === 'arm64' ? { name: 'x64', machine: 62 } : { name: 'arm64', machine: 183 };

const cases: Array<{ label: string; where: string; contents: () => Buffer; reason: RegExp }> = [
  { label: 'garbage', where: prebuild, contents: () => Buffer.alloc(4096, 0xa5), reason: /not an ELF file/ },
  { label: 'empty', where: prebuild, contents: () => Buffer.alloc(0), reason: /file too short \(0 bytes\)/ },
  { label: 'truncated', where: prebuild, contents: () => addon().subarray(0, 3000), reason: /truncated: 3000 bytes, where its headers describe \d+/ },
  { label: 'half', where: release, contents: () => addon().subarray(0, addon().length >> 1), reason: /truncated: \d+ bytes, where its headers describe \d+/ },
  {
    label: `for ${foreign.name}`,
    where: prebuild,
    contents: () => foreignArchitecture(foreign.machine),
    reason: new RegExp(`built for ${foreign.name} \\(64-bit\\), not for this process's ${process.arch}`),
  },
  {
    label: 'for riscv64',
    where: release,
    contents: () => foreignArchitecture(243),
    reason: new RegExp(`built for riscv64 \\(64-bit\\), not for this process's ${process.arch}`),
  },
  { label: 'not-an-addon', where: prebuild, contents: libc, reason: /Module did not self-register/ },
];

describe.each(cases)('an addon file that is $label', ({ label, where, contents, reason }) => {
  test(`require works, enableKeepalive falls back to Node's setKeepAlive, and the errors name the reason (${where})`, () => {
    const entry = packageWith(label, where, contents());
    const run = spawnSync(process.execPath, [fixture, entry], { encoding: 'utf8', timeout: 30000 });
    expect({ signal: run.signal, status: run.status, stderr: run.stderr }).toEqual({ signal: null, status: 0, stderr: '' });
    const result = JSON.parse(run.stdout);
    expect(result.loaded).toBe('function');
    expect(result.idle).toEqual({ ok: true });
    expect(result.kernel).toMatchObject({ enabled: true, idle: 5000 });
    const named = new RegExp(`tcp-keepalive's native addon is not loaded \\(${where.replace(/[.]/g, '\\.')} did not load: ${reason.source}`);
    expect(result.userTimeout).toMatchObject({ code: 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM', message: expect.stringMatching(named) });
    expect(result.get).toMatchObject({
      code: 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM',
      cause: expect.stringMatching(new RegExp(`^${where.replace(/[.]/g, '\\.')} did not load: ${reason.source}`)),
    });
  });
});

test('why the headers are read first: dlopen itself dies of SIGBUS on an addon cut short, and names no architecture', () => {
  const truncated = path.join(base, 'cut.node');
  fs.writeFileSync(truncated, addon().subarray(0, 3000));
  const crashed = spawnSync(process.execPath, ['-e', `try { require(${JSON.stringify(truncated)}) } catch {}`], { encoding: 'utf8' });
  expect(crashed.signal).toBe('SIGBUS');
  const other = path.join(base, 'foreign.node');
  fs.writeFileSync(other, foreignArchitecture(foreign.machine));
  const refused = spawnSync(process.execPath, ['-e', `try { require(${JSON.stringify(other)}) } catch (e) { console.log(e.message) }`], {
    encoding: 'utf8',
  });
  expect(refused.stdout).toMatch(/cannot open shared object file: No such file or directory/);
});
