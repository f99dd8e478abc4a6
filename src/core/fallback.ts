// Without the native addon (no prebuild for the platform and no build, or
// Windows, where Node gives no socket descriptor): keepalive is set through
// the TCP handle's own setKeepAlive, which Node's socket.setKeepAlive calls.
// It sets on, off and idle; on Node versions whose setKeepAlive takes them,
// interval and count as well. The rest is refused, and nothing is read back.
import * as net from 'node:net';
import { getSystemErrorName } from 'node:util';
import { bindingFailure, NativeOption, UNCHANGED } from './binding';
import { assertSocket, type TcpHandle } from './socket';
import { featureUnavailable, missingOption, systemError } from './errors';
import type { KernelValues, PlatformOptions } from './options';

/**
 * Whether Node's setKeepAlive takes interval and count. Node 20 and 22 declare
 * `setKeepAlive(enable, initialDelay)`; Node 24 (from 24.19) and 26 (from
 * 26.4) declare `setKeepAlive(enable, initialDelay, interval, count)` and pass
 * both on to the handle, whose (native) method reports no arity of its own.
 */
export const nodeSetsIntervalAndCount = net.Socket.prototype.setKeepAlive.length >= 4;

/** The loader's reason, first line: `No native build was found for platform=… node=…`. */
const loadReason = bindingFailure?.message.split('\n')[0] ?? 'no reason given';
export const addonMissing = `tcp-keepalive's native addon is not loaded (${loadReason})`;

/**
 * Linux's per-socket limits (include/net/tcp.h: MAX_TCP_KEEPIDLE,
 * MAX_TCP_KEEPINTVL, MAX_TCP_KEEPCNT; TCP_USER_TIMEOUT takes an int), in
 * NativeOption order, for where the addon that reads them from the headers
 * is not loaded. native.test.ts checks them against the addon.
 */
export const linuxOptionMax: readonly number[] = [32767, 32767, 127, 2 ** 31 - 1, 1];

/**
 * The option table of Node's setKeepAlive, for createValidator. The limits
 * are Linux's (where a failed build lands here), the tightest among the
 * platforms Node runs on, so a value is refused before anything is changed.
 */
export const fallbackPlatform: PlatformOptions = {
  optionNames: [
    'TCP_KEEPIDLE',
    nodeSetsIntervalAndCount ? 'TCP_KEEPINTVL' : null,
    nodeSetsIntervalAndCount ? 'TCP_KEEPCNT' : null,
    null,
    'SO_KEEPALIVE',
  ],
  optionMax: [...linuxOptionMax.slice(0, 3), 0, 1],
  missingReason: nodeSetsIntervalAndCount
    ? `${addonMissing}, and Node's setKeepAlive sets only on/off, idle, interval and count`
    : `${addonMissing}, and Node ${process.version}'s setKeepAlive sets only on/off and idle`,
};

/**
 * Wraps the validator made from fallbackPlatform: interval and count also
 * need idle, which Node's setKeepAlive sets with them (without idle, libuv
 * refuses the call after turning SO_KEEPALIVE on).
 */
export function withIdleFirst(validate: (options: unknown) => KernelValues): (options: unknown) => KernelValues {
  return function toKernelValues(options) {
    const values = validate(options);
    const withoutIdle = values[NativeOption.Idle] === UNCHANGED;
    if (withoutIdle && (values[NativeOption.Interval] !== UNCHANGED || values[NativeOption.Count] !== UNCHANGED)) {
      throw missingOption('options.idle', "with interval or count without tcp-keepalive's native addon: Node sets them together");
    }
    return values;
  };
}

/** The TCP handle's setKeepAlive (src/tcp_wrap.cc); seconds. Returns 0 or a libuv error. */
type HandleSetKeepAlive = (
  this: TcpHandle,
  enable: boolean,
  idleSeconds: number,
  intervalSeconds?: number,
  count?: number,
) => number;

/**
 * What this module last set on each handle. Node's setKeepAlive always sets
 * idle (and, where it takes them, interval and count, defaulting to 1 s and
 * 10), so an omitted option is passed again with the value set before.
 */
const applied = new WeakMap<TcpHandle, KernelValues>();

const given = (value: number): number | undefined => (value === UNCHANGED ? undefined : value);
const nothingSet: KernelValues = [UNCHANGED, UNCHANGED, UNCHANGED, UNCHANGED];

/**
 * Sets keepalive on `handle` through Node, in place of the addon's set. The
 * values were validated against fallbackPlatform. Throws a system error if
 * Node's call fails.
 */
export function setWithNode(handle: TcpHandle, values: KernelValues, enable: boolean): void {
  // hold.ts puts its own setKeepAlive on the handle: call the class's.
  const setKeepAlive = (Object.getPrototypeOf(handle) as TcpHandle).setKeepAlive as HandleSetKeepAlive;
  if (!enable) {
    check(setKeepAlive.call(handle, false, 0), 'SO_KEEPALIVE');
    return;
  }
  // Nothing given (withIdleFirst: no idle means no interval or count either):
  // only SO_KEEPALIVE goes on; what the socket holds now, whoever set it, stays.
  const nothingGiven = values[NativeOption.Idle] === UNCHANGED;
  const merged: KernelValues = [...(nothingGiven ? nothingSet : (applied.get(handle) ?? nothingSet))];
  for (let i = 0; i < merged.length; i++) if (values[i] !== UNCHANGED) merged[i] = values[i];
  const idle = merged[NativeOption.Idle];
  const interval = merged[NativeOption.Interval];
  const count = merged[NativeOption.Count];
  if (idle === UNCHANGED) {
    // Node's own setKeepAlive(true) makes this call: SO_KEEPALIVE goes on, then
    // libuv refuses the zero idle with EINVAL and leaves idle, interval and
    // count as they were. Node ignores that EINVAL; so does this.
    const status = setKeepAlive.call(handle, true, 0);
    if (status !== 0 && getSystemErrorName(status) !== 'EINVAL') check(status, 'SO_KEEPALIVE');
    return;
  }
  const status = nodeSetsIntervalAndCount
    ? setKeepAlive.call(handle, true, idle, given(interval), given(count))
    : setKeepAlive.call(handle, true, idle);
  check(status, nodeSetsIntervalAndCount ? 'SO_KEEPALIVE/TCP_KEEPIDLE/TCP_KEEPINTVL/TCP_KEEPCNT' : 'SO_KEEPALIVE/TCP_KEEPIDLE');
  applied.set(handle, merged);
}

/** Node's call sets several options and does not say which one failed: all are named. */
function check(status: number, options: string): void {
  if (status !== 0) throw systemError(-status, 'setsockopt', options);
}

/**
 * The error for a read (getKeepalive, getKeepaliveStatus) without the addon:
 * Node has no way to read keepalive settings back. Checks `socket` first, so
 * a bad argument gets the same error as with the addon.
 */
export function readUnavailable(socket: unknown, feature: string): TypeError {
  assertSocket(socket);
  const error = featureUnavailable(
    feature,
    `Reading from the kernel needs tcp-keepalive's native addon, which is not loaded (${loadReason})`,
  );
  if (bindingFailure !== null) Object.defineProperty(error, 'cause', { value: bindingFailure, configurable: true, writable: true });
  return error;
}
