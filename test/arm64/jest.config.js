// Part of the in-tree suite, run by scripts/arm64-suite.sh under linux-arm64
// Node through qemu-user, in a copy of the tree whose only addon is the arm64
// glibc prebuild of the packed tarball (and whose dist/ is the tarball's).
//
// qemu-user runs Node about ten times slower than the host, so the files are
// those that exercise what differs on arm64: the addon's binary (its calls,
// its structures, the socket options and procfs reads behind them), the
// package loaded by name, and the addon in worker threads. Left out:
//  - status.test.ts: qemu-user 7.2 copies only 4 bytes of TCP_INFO and lacks
//    the SIOCOUTQNSD ioctl (ENOSYS), so getKeepaliveStatus cannot work under
//    it (test/package/musl.test.ts checks what does reach the program);
//  - tests that observe syscalls with strace, or build network labs
//    (sticky, server-agent, register, lab, dead-peer, cli): the syscalls are
//    the host's and the JavaScript is the same on both architectures;
//  - pure JavaScript (validation, duration, property, protocols, program
//    safety, node internals, teardown, many, demo): nothing arm64-specific
//    in them, and every x64 Node runs them.
const root = require('node:path').join(__dirname, '..', '..');

/** @type {import('jest').Config} */
module.exports = {
  rootDir: root,
  displayName: 'arm64',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: [
    'native',
    'roundtrip',
    'defaults',
    'defaults-extremes',
    'fd-reuse',
    'pending',
    'workers',
    'module-formats',
  ].map((name) => `<rootDir>/test/${name}.test.ts`),
  // Type-checked on x64 already (every in-tree run): here each file is only
  // transpiled, which under qemu saves about a minute per run.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/test/arm64/tsconfig.json' }] },
  testTimeout: 120000,
  globalSetup: '<rootDir>/test/arm64/setup.js',
};
