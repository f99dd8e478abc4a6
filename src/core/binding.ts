// The native addon: what it exports, typed, and how it is loaded (backend.ts decides whether it serves).
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import type nodeGypBuildType from 'node-gyp-build';
import { elfProblem } from './elf';

/** Index of each option in the binding's arrays and failure statuses (native/keepalive.h). */
export const NativeOption = {
  Idle: 0,
  Interval: 1,
  Count: 2,
  UserTimeout: 3,
  Enable: 4,
} as const;
export type NativeOption = (typeof NativeOption)[keyof typeof NativeOption];

/** Number of options the binding handles, and the length of `get`'s output array. */
export const NATIVE_OPTION_COUNT = 5;

/** In a value to set: leave this option as it is (native/keepalive.h KA_UNCHANGED). */
export const UNCHANGED = -1;

/** In a value read (get, systemDefaults): the platform has no such option or default. */
export const MISSING = -1;

export interface NativeBinding {
  /** The system's name of each option (`TCP_KEEPIDLE`, …), or null where the platform lacks it. */
  readonly optionNames: ReadonlyArray<string | null>;
  /** The largest value the kernel accepts for each option, in the kernel's unit. */
  readonly optionMax: ReadonlyArray<number>;
  /**
   * One setsockopt per value that is not -1, in NativeOption order (SO_KEEPALIVE last).
   * Units: idle and interval in seconds, count in probes, userTimeout in ms, enable 0/1.
   * Returns 0, or a failure status: -(errno | option << 16).
   */
  set(fd: number, idle: number, interval: number, count: number, userTimeout: number, enable: number): number;
  /** Fills `out` (Int32Array, length >= 5) in NativeOption order. Returns 0 or a failure status. */
  get(fd: number, out: Int32Array): number;
  /** Whether `status` works here (Linux: TCP_INFO and the SIOCOUTQ ioctls). */
  readonly statusAvailable: boolean;
  /** The kernel's name of each TCP state, indexed by its number (sparse). */
  readonly tcpStates: ReadonlyArray<string | undefined>;
  /**
   * Fills `out` (Uint32Array, length >= STATUS_FIELD_COUNT) in StatusField order.
   * Returns 0, or a failure status whose option is a StatusRead.
   */
  status(fd: number, out: Uint32Array): number;
  /**
   * Fills `out` (Int32Array, length >= 3) with the system-wide idle and
   * interval (in units of defaultTimeUnitMs) and count, -1 where the platform
   * has none. Returns 0, or a failure status whose option is the field it could not read.
   */
  systemDefaults(out: Int32Array): number;
  /** Milliseconds per unit of systemDefaults' times: 1000 on Linux (seconds, as procfs holds them), 1 elsewhere. */
  readonly defaultTimeUnitMs: number;
  /** Whether accepted sockets inherit the listening socket's keepalive options (Linux). */
  readonly acceptInherits: boolean;
}

/** Index of each field in the binding's `status` output (native/keepalive.h ka_status_field). */
export const StatusField = {
  State: 0,
  Probes: 1,
  Retransmits: 2,
  LastDataSent: 3,
  LastDataReceived: 4,
  LastAckReceived: 5,
  UnackedSegments: 6,
  RttMicroseconds: 7,
  RtoMicroseconds: 8,
  SendQueue: 9,
  NotSent: 10,
} as const;

export const STATUS_FIELD_COUNT = 11;

/** Which read failed, in a failure status of `status` (ka_status_read). */
export const statusReads: ReadonlyArray<{ syscall: string; name: string }> = [
  { syscall: 'getsockopt', name: 'TCP_INFO' },
  { syscall: 'ioctl', name: 'SIOCOUTQ' },
  { syscall: 'ioctl', name: 'SIOCOUTQNSD' },
];

/** Splits a failure status into errno and the option whose syscall failed. */
export function decodeFailure(status: number): { errno: number; option: number } {
  const magnitude = -status;
  return { errno: magnitude & 0xffff, option: magnitude >>> 16 };
}

/**
 * The package's root, where node-gyp-build looks for build/ and prebuilds/:
 * two levels up from src/core or dist/core, one from the bundle dist/runtime.js.
 */
const packageRoot = (): string =>
  [join(__dirname, '..'), join(__dirname, '..', '..')].find((dir) => existsSync(join(dir, 'binding.gyp'))) ?? join(__dirname, '..', '..');

/**
 * Loads the addon (build/Release, or the prebuild for this platform), or says
 * why it could not. Called once, by backend.ts, which chooses what serves.
 * Never throws, and never hands dlopen a file whose headers show it cannot
 * load (see elf.ts): a broken or foreign addon is a failure with its reason,
 * `build/Release/tcp_keepalive.node did not load: invalid ELF header`, and
 * the error it came from as `cause`.
 */
export function loadBinding(): { binding: NativeBinding; failure: null } | { binding: null; failure: Error } {
  // Node gives no socket descriptor on Windows (a TCP handle's fd is -1), so
  // an addon there could not reach the socket.
  if (process.platform === 'win32') {
    return { binding: null, failure: new Error('Node exposes no socket descriptors on Windows') };
  }
  const root = packageRoot();
  let file: string;
  try {
    // Loaded here, on first use, not when the package is imported.
    const nodeGypBuild = require('node-gyp-build') as typeof nodeGypBuildType;
    file = nodeGypBuild.resolve(root);
  } catch (error) {
    // No prebuild for this platform and no build (scripts ignored, or the build failed).
    return { binding: null, failure: error instanceof Error ? error : new Error(String(error)) };
  }
  const name = relative(root, file);
  const problem = elfProblem(file);
  if (problem !== null) return { binding: null, failure: new Error(`${name} did not load: ${problem}`) };
  try {
    return { binding: require(file) as NativeBinding, failure: null };
  } catch (error) {
    // dlopen's message starts with the file's absolute path, named above already.
    const message = error instanceof Error ? error.message : String(error);
    const failure = new Error(`${name} did not load: ${message.split(`${file}: `).join('').split('\n')[0]}`);
    Object.defineProperty(failure, 'cause', { value: error, configurable: true, writable: true });
    return { binding: null, failure };
  }
}
