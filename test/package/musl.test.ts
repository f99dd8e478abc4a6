// The musl prebuilds, proven as far as a glibc machine allows: no Node built
// for musl runs here, so no test loads them into Node. What is proven:
//  (a) each needs nothing beyond musl's libc: every C library function it
//      takes links statically against musl (Zig's, the one that built it);
//  (b) the native core (native/keepalive.cc), compiled by that compiler with
//      the prebuilds' flags and linked statically against musl, runs its set,
//      get, status and system-defaults paths on real loopback sockets, on x64
//      and on arm64 through qemu, with the values the Node suite expects;
//  (c) node-gyp-build picks the musl prebuild on a system that looks like
//      Alpine (/etc/alpine-release, shown to it in a private mount namespace)
//      and the glibc one elsewhere, under x64 and arm64 Node.
// Independent of the Node version: CI runs this file once.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  arm64Env,
  dynamicSymbols,
  gated,
  mountNamespaceSupport,
  need,
  qemuSupport,
  readelf,
  shippedPrebuilds,
  titled,
  toolchainSupport,
  unpackTarball,
  zigSupport,
} from './cross';
import { createProject, npm, repoRoot, run, tarball, userEnv, type Project } from './project';

const zig = zigSupport();
const qemu = qemuSupport();
const mounts = mountNamespaceSupport();

const { EINVAL, ENOTSOCK, ENOSYS } = os.constants.errno;
const muslTargets = { 'linux-x64': 'x86_64-linux-musl', 'linux-arm64': 'aarch64-linux-musl' } as const;

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-keepalive-musl-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Runs a compiler command; throws with its output if it fails. Zig's first static link for a target builds musl's libc.a: minutes. */
function compile(command: string, args: string[]): void {
  const result = spawnSync(command, args, { cwd: work, env: userEnv(), encoding: 'utf8', timeout: 840000 });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stderr}`);
}

describe(titled('(a) each musl prebuild needs nothing beyond musl', zig), () => {
  let unpacked: { dir: string; remove: () => void };
  beforeAll(() => {
    unpacked = unpackTarball();
  });
  afterAll(() => unpacked?.remove());

  gated(zig).each(shippedPrebuilds.filter(({ libc }) => libc === 'musl'))(
    '$file: every symbol it takes is Node-API or a function of musl (they link statically against it)',
    (prebuild) => {
      need(zig);
      const { undefined: needed } = dynamicSymbols(path.join(unpacked.dir, prebuild.file));
      const fromLibc = needed.filter((name) => !/^(napi|node_api)_/.test(name));
      // The socket calls of keepalive.cc, and the C++ runtime's own (malloc, pthread_*, …).
      expect(fromLibc).toEqual(expect.arrayContaining(['setsockopt', 'getsockopt', 'ioctl', 'malloc']));
      // A program that takes the address of each: linking it statically fails on any musl lacks.
      const source = path.join(work, `needs-${prebuild.dir}.c`);
      fs.writeFileSync(
        source,
        [
          ...fromLibc.map((name) => `extern char ${name}[];`),
          `void *const needed[] = { ${fromLibc.join(', ')} };`,
          'int main(void) { return needed[0] == 0; }',
          '',
        ].join('\n'),
      );
      const target = muslTargets[prebuild.dir as keyof typeof muslTargets];
      compile(zig.path, ['cc', '-target', target, '-static', '-w', '-fno-builtin', source, '-o', source.replace(/\.c$/, '')]);
      expect(readelf(['-h'], source.replace(/\.c$/, ''))).toContain(prebuild.machine);
    },
    900000,
  );
});

/** What the driver prints (test/native-core/driver.cc). */
interface DriverOutput {
  [field: string]: unknown;
}

/** The system defaults as this network namespace's procfs holds them (what the driver reads too). */
function procDefaults(): number[] {
  return ['tcp_keepalive_time', 'tcp_keepalive_intvl', 'tcp_keepalive_probes'].map((name) =>
    Number(fs.readFileSync(`/proc/sys/net/ipv4/${name}`, 'utf8').trim()),
  );
}

/** The values the Node suite expects from the binding, as the driver reports them. */
function expectedCore(): DriverOutput {
  const defaults = procDefaults();
  return {
    names: ['TCP_KEEPIDLE', 'TCP_KEEPINTVL', 'TCP_KEEPCNT', 'TCP_USER_TIMEOUT', 'SO_KEEPALIVE'],
    // test/native.test.ts: optionMax, Linux's limits.
    max: [32767, 32767, 127, 2147483647, 1],
    acceptInherits: 1,
    statusAvailable: 1,
    defaultTimeUnitMs: 1000,
    defaultsFailure: null,
    defaults,
    // A connection never configured: the system defaults, no user timeout, keepalive off.
    freshFailure: null,
    fresh: [...defaults, 0, 0],
    setFailure: null,
    afterSetFailure: null,
    afterSet: [4, 2, 5, 9000, 1],
    largestFailure: null,
    afterLargest: [32767, 32767, 127, 9000, 1],
    idleOverFailure: { errno: EINVAL, option: 0 },
    countOverFailure: { errno: EINVAL, option: 2 },
    // test/native.test.ts: count 0 refused, idle before it applied, nothing after it.
    partialFailure: { errno: EINVAL, option: 2 },
    afterPartial: [5, defaults[1], defaults[2], 0, 0],
    notSocketGet: { errno: ENOTSOCK, option: 0 },
    notSocketSet: { errno: ENOTSOCK, option: 0 },
    listenerSetFailure: null,
    inheritedFailure: null,
    inherited: [7, 3, 6, 1234, 1],
  };
}

/** Status on a real kernel: one connection waiting in the accept queue; an idle connection; one whose peer closed. */
function expectNativeStatus(output: DriverOutput): void {
  expect(output.listening).toEqual({ failure: null, state: 'LISTEN', probes: 0, retransmits: 0, unacked: 1, rto: 0, sendQueue: 0, notSent: 0 });
  const idle = { failure: null, probes: 0, retransmits: 0, unacked: 0, sendQueue: 0, notSent: 0 };
  expect(output.established).toMatchObject({ ...idle, state: 'ESTABLISHED' });
  expect(output.peerClosed).toMatchObject({ ...idle, state: 'CLOSE_WAIT' });
  expect((output.established as { rto: number }).rto).toBeGreaterThan(0);
}

describe(titled('(b) the native core linked statically against musl, on real sockets', zig), () => {
  const built: Record<string, string> = {};
  const flags = (): string[] =>
    execFileSync('bash', [path.join(repoRoot, 'scripts', 'prebuild.sh'), '--flags'], { encoding: 'utf8' }).trim().split(/\s+/);
  const sources = [path.join(repoRoot, 'test', 'native-core', 'driver.cc'), path.join(repoRoot, 'native', 'keepalive.cc')];

  /** Compiles with zig c++ and the prebuilds' flags, links with zig cc -static (no C++ runtime: the core uses none). */
  function buildMusl(dir: keyof typeof muslTargets): string {
    if (built[dir]) return built[dir];
    const target = muslTargets[dir];
    const objects = sources.map((source) => {
      const object = path.join(work, `${path.basename(source, '.cc')}-${target}.o`);
      compile(zig.path, ['c++', '-target', target, ...flags(), '-c', source, '-o', object]);
      return object;
    });
    const program = path.join(work, `driver-${target}`);
    compile(zig.path, ['cc', '-target', target, '-static', ...objects, '-o', program]);
    built[dir] = program;
    return program;
  }

  function runDriver(program: string, env = userEnv()): DriverOutput {
    const result = run(program, [], work, env);
    if (result.status !== 0) throw new Error(`${program} exited ${result.status}: ${result.stderr}`);
    return JSON.parse(result.stdout) as DriverOutput;
  }

  gated(zig)(
    'x64: static, and every path gives what the Node suite expects, as the glibc build of the same core does',
    () => {
      need(zig);
      const program = buildMusl('linux-x64');
      // Static: no interpreter, no shared library.
      expect(readelf(['-l'], program)).not.toContain('INTERP');
      expect(readelf(['-h'], program)).toContain('Advanced Micro Devices X86-64');
      const output = runDriver(program);
      expect(output).toMatchObject(expectedCore());
      expectNativeStatus(output);
      // The same source, flags and sockets with the system's g++ and glibc: the same answers.
      const reference = path.join(work, 'driver-glibc');
      compile('g++', [...flags(), ...sources, '-o', reference]);
      const glibc = runDriver(reference);
      const deterministic = (out: DriverOutput) => ({ ...out, established: null, peerClosed: null });
      expect(deterministic(output)).toEqual(deterministic(glibc));
    },
    900000,
  );

  // qemu-user (Debian 12's 7.2) passes socket options and procfs through, but
  // copies only the first 4 bytes of TCP_INFO (state, ca_state, retransmits,
  // probes: its getsockopt treats every TCP option as an int) and does not
  // know the SIOCOUTQNSD ioctl (ENOSYS). So on arm64 the status path is
  // checked for what reaches the program: the state, and the ioctl that fails.
  gated(zig, qemu)(
    titled('arm64 through qemu: static, and set, get and system defaults give what the Node suite expects', qemu),
    () => {
      need(zig, qemu);
      const program = buildMusl('linux-arm64');
      expect(readelf(['-l'], program)).not.toContain('INTERP');
      expect(readelf(['-h'], program)).toContain('AArch64');
      const output = runDriver(program, arm64Env());
      expect(output).toMatchObject(expectedCore());
      // Status: TCP_INFO's state arrives; the queue-size ioctl after it is qemu's ENOSYS (KA_READ_OUTQ_NOT_SENT = 2).
      expect(output.listening).toMatchObject({ failure: null, state: 'LISTEN' });
      expect(output.established).toEqual({ failure: { errno: ENOSYS, option: 2 } });
      expect(output.peerClosed).toEqual({ failure: { errno: ENOSYS, option: 2 } });
    },
    900000,
  );
});

describe(titled('(c) node-gyp-build picks the musl prebuild where /etc/alpine-release exists', mounts), () => {
  let project: Project;
  let packageDir: string;
  let alpineEtc: string;
  beforeAll(() => {
    project = createProject('loader');
    const install = npm(['install', tarball(), '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], project.dir);
    if (install.status !== 0) throw new Error(`npm install failed:\n${install.stderr}`);
    packageDir = path.join(project.dir, 'node_modules', 'tcp-keepalive');
    // A copy of /etc with Alpine's marker file, for a private mount namespace to show as /etc.
    alpineEtc = path.join(project.dir, 'etc');
    fs.cpSync('/etc', alpineEtc, { recursive: true, verbatimSymlinks: true });
    fs.writeFileSync(path.join(alpineEtc, 'alpine-release'), '3.20.3\n');
  });
  afterAll(() => project?.remove());

  /** Which file node-gyp-build resolves for the installed package, under the given Node, in Alpine's view or not. */
  function picked(nodeBinary: string, alpine: boolean, env: NodeJS.ProcessEnv): { alpine: boolean; file: string } {
    const script =
      "const fs = require('node:fs'); const load = require('node-gyp-build');" +
      "process.stdout.write(JSON.stringify({ alpine: fs.existsSync('/etc/alpine-release'), file: load.path(process.argv[1]) }))";
    const command = [nodeBinary, '-e', script, packageDir];
    const result = alpine
      ? run('unshare', ['-m', 'sh', '-c', 'mount --bind "$0" /etc && exec "$@"', alpineEtc, ...command], project.dir, env)
      : run(command[0], command.slice(1), project.dir, env);
    if (result.status !== 0) throw new Error(`exit ${result.status}: ${result.stderr}`);
    const answer = JSON.parse(result.stdout) as { alpine: boolean; file: string };
    return { alpine: answer.alpine, file: path.relative(packageDir, answer.file) };
  }

  gated(mounts)('x64 Node: musl in the Alpine view, glibc outside it', () => {
    need(mounts);
    expect(fs.existsSync('/etc/alpine-release')).toBe(false);
    expect(picked(process.execPath, false, userEnv())).toEqual({ alpine: false, file: 'prebuilds/linux-x64/tcp-keepalive.glibc.node' });
    expect(picked(process.execPath, true, userEnv())).toEqual({ alpine: true, file: 'prebuilds/linux-x64/tcp-keepalive.musl.node' });
  });

  gated(mounts, qemu)(
    titled('arm64 Node 20 through qemu: musl in the Alpine view, glibc outside it', qemu),
    () => {
      need(mounts, qemu);
      const arm64 = toolchainSupport('node-arm64', '20');
      need(arm64);
      expect(picked(arm64.path, false, arm64Env())).toEqual({ alpine: false, file: 'prebuilds/linux-arm64/tcp-keepalive.glibc.node' });
      expect(picked(arm64.path, true, arm64Env())).toEqual({ alpine: true, file: 'prebuilds/linux-arm64/tcp-keepalive.musl.node' });
    },
  );
});
