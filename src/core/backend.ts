// What writes settings to the kernel and reads them back: one interface, two
// implementations, chosen once, here, when the package loads.
//
//   backends/native.ts  the addon: every option, read back, status, system
//                       defaults, inheritance by accepted sockets (Linux)
//   backends/node.ts    Node's own setKeepAlive, where no addon loaded or the
//                       runtime gives no descriptors (Deno): on, off and idle
//                       (interval and count on Node 24.19+ and 26.4+);
//                       nothing read back
//
// TCP_KEEPALIVE_BACKEND=node chooses Node's path even where the addon loads
// (tests run the behaviour suite against both; users can compare).
import { loadBinding } from './binding';
import type { KeepaliveSettings, KernelValues, PlatformOptions } from './options';
import type { KeepaliveStatus } from './status';
import type { SystemDefaults } from './defaults';
import { assertSocket, descriptorsUnavailable, type TcpHandle } from './node-internals';
import { featureUnavailable } from './errors';
import type * as native from './backends/native';
import type * as node from './backends/node';

/** SO_KEEPALIVE as backends take it. */
export type Enable = 0 | 1;
export const ON: Enable = 1;
export const OFF: Enable = 0;

/** Reading from the kernel, where a backend can. Each takes a connected socket's descriptor. */
export interface Reader {
  /** The settings the kernel holds, in ms. Throws a system error. */
  get(fd: number): KeepaliveSettings;
  /** The connection's live state (TCP_INFO). Throws ERR_FEATURE_UNAVAILABLE_ON_PLATFORM or a system error. */
  status(fd: number): KeepaliveStatus;
  /** The system-wide defaults, in ms. Throws ERR_FEATURE_UNAVAILABLE_ON_PLATFORM or a system error. */
  systemDefaults(): SystemDefaults;
}

/**
 * Where accepted sockets inherit the listening socket's settings (Linux, with
 * the addon): writing them there once configures every later connection.
 */
export interface ListenerWriter {
  /** Writes the values, then SO_KEEPALIVE, to the listening socket. Throws a system error. */
  set(fd: number, values: KernelValues, enable: Enable): void;
  /** How many connections wait in its accept queue (copied before the write), or undefined if unknown. */
  acceptQueueLength(fd: number): number | undefined;
}

export interface Backend {
  readonly name: 'native' | 'node';
  /** The options it can set, their limits, and why the missing ones are missing. */
  readonly platform: PlatformOptions;
  /** Checks options against `platform` and turns them into kernel values; throws Node-style errors. */
  readonly toKernelValues: (options: unknown) => KernelValues;
  /** Writes the values, then SO_KEEPALIVE, to a connected socket's handle. Throws a system error. */
  set(handle: TcpHandle, values: KernelValues, enable: Enable): void;
  /** Null where accepted sockets' inheritance is not known: each connection is then written. */
  readonly listener: ListenerWriter | null;
  /** Null where nothing can be read back. */
  readonly reader: Reader | null;
  /**
   * Where this is not the addon: why (`reason`), why nothing can be read
   * (`reads`), and the loader's error where it failed (`cause`), for errors.
   */
  readonly unavailable: { readonly reason: string; readonly reads: string; readonly cause: Error | null };
}

// Only the chosen backend's module is loaded.
const nodeBackend: typeof node.nodeBackend = (reason, cause) =>
  (require('./backends/node') as typeof node).nodeBackend(reason, cause);
const nativeBackend: typeof native.nativeBackend = (binding) => (require('./backends/native') as typeof native).nativeBackend(binding);

/**
 * Read when the package loads, like the rest of its configuration; the choice
 * itself waits for the first call. Deno without --allow-env throws NotCapable
 * on any read of process.env: the variable is then unset, as it is to a
 * program that cannot see it either.
 */
const requested = ((): string | undefined => {
  try {
    return process.env.TCP_KEEPALIVE_BACKEND;
  } catch {
    return undefined;
  }
})();

function select(): Backend {
  if (requested === 'node') return nodeBackend('TCP_KEEPALIVE_BACKEND=node', null);
  // An addon could load there (Deno), but could reach no socket: not loaded.
  const noDescriptors = descriptorsUnavailable();
  if (noDescriptors !== null) return nodeBackend(noDescriptors, null);
  const loaded = loadBinding();
  if (loaded.binding !== null) return nativeBackend(loaded.binding);
  // The loader's reason, first line: `No native build was found for platform=… node=…`.
  return nodeBackend(loaded.failure.message.split('\n')[0], loaded.failure);
}

let chosen: Backend | undefined;

/**
 * The backend that serves this process, chosen on first use (so importing the
 * package loads no addon) and never again.
 */
export const backend = (): Backend => (chosen ??= select());

/**
 * The error for a read (getKeepalive, getKeepaliveStatus) where the backend
 * reads nothing: Node has no way to read keepalive settings back. Checks
 * `socket` first, so a bad argument gets the same error as with the addon.
 */
export function readUnavailable(socket: unknown, feature: string): TypeError {
  assertSocket(socket);
  const { reads, cause } = backend().unavailable;
  const error = featureUnavailable(feature, reads);
  if (cause !== null) Object.defineProperty(error, 'cause', { value: cause, configurable: true, writable: true });
  return error;
}
