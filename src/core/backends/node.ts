// The backend of Node's own setKeepAlive, where no addon loaded (no prebuild
// for the platform and no build, or Windows, where Node gives no socket
// descriptor), where the runtime gives none (Deno), or where
// TCP_KEEPALIVE_BACKEND=node asks for it: keepalive is set through the TCP
// handle's own setKeepAlive, which Node's socket.setKeepAlive calls. It sets
// on, off and idle; on Node versions whose setKeepAlive takes them, interval
// and count as well. The rest is refused, and nothing is read back. Bun's and
// Deno's handles have the same method (node-internals.ts tells the units).
import { getSystemErrorName } from 'node:util';
import { NativeOption, UNCHANGED } from '../binding';
import { ON, type Backend, type Enable } from '../backend';
import { missingOption, systemError } from '../errors';
import { createValidator, linuxOptionMax, untouched, type KernelValues, type PlatformOptions } from '../options';
import { callHandleSetKeepAlive, nodeSetsIntervalAndCount, runtime, type TcpHandle } from '../node-internals';

/**
 * Node's setKeepAlive as an option table. The limits are Linux's (where a
 * failed build lands here), the tightest among the platforms Node runs on, so
 * a value is refused before anything is changed.
 */
function nodePlatform(addonMissing: string): PlatformOptions {
  return {
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
      : `${addonMissing}, and ${runtime.label}'s setKeepAlive sets only on/off and idle`,
  };
}

/**
 * Wraps the validator: interval and count also need idle, which Node's
 * setKeepAlive sets with them (without idle, libuv refuses the call after
 * turning SO_KEEPALIVE on).
 */
function withIdleFirst(validate: (options: unknown) => KernelValues): (options: unknown) => KernelValues {
  return function toKernelValues(options) {
    const values = validate(options);
    const withoutIdle = values[NativeOption.Idle] === UNCHANGED;
    if (withoutIdle && (values[NativeOption.Interval] !== UNCHANGED || values[NativeOption.Count] !== UNCHANGED)) {
      throw missingOption('options.idle', "with interval or count without tcp-keepalive's native addon: Node sets them together");
    }
    return values;
  };
}

/**
 * What this module last set on each handle. Node's setKeepAlive always sets
 * idle (and, where it takes them, interval and count, defaulting to 1 s and
 * 10), so an omitted option is passed again with the value set before.
 */
const applied = new WeakMap<TcpHandle, KernelValues>();

const given = (value: number): number | undefined => (value === UNCHANGED ? undefined : value);
const nothingSet: KernelValues = untouched();

/**
 * Sets keepalive on `handle` through Node, in place of the addon's set. The
 * values were validated against nodePlatform. Throws a system error if
 * Node's call fails.
 */
function setWithNode(handle: TcpHandle, values: KernelValues, enable: Enable): void {
  // hold.ts puts its own setKeepAlive on the handle: the class's is called.
  if (enable !== ON) {
    check(callHandleSetKeepAlive(handle, false, 0), 'SO_KEEPALIVE');
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
    // count as they were. Node ignores that EINVAL; so does this. (Bun's and
    // Deno's handles only turn SO_KEEPALIVE on, and return success.)
    const status = callHandleSetKeepAlive(handle, true, 0);
    if (status !== 0 && getSystemErrorName(status) !== 'EINVAL') check(status, 'SO_KEEPALIVE');
    return;
  }
  const status = nodeSetsIntervalAndCount
    ? callHandleSetKeepAlive(handle, true, idle, given(interval), given(count))
    : callHandleSetKeepAlive(handle, true, idle);
  check(status, nodeSetsIntervalAndCount ? 'SO_KEEPALIVE/TCP_KEEPIDLE/TCP_KEEPINTVL/TCP_KEEPCNT' : 'SO_KEEPALIVE/TCP_KEEPIDLE');
  applied.set(handle, merged);
}

/** Node's call sets several options and does not say which one failed: all are named. */
function check(status: number, options: string): void {
  if (status !== 0) throw systemError(-status, 'setsockopt', options);
}

/**
 * `reason`: why the addon does not serve (the loader's first line, or the
 * variable that chose this backend); `cause`: the loader's error, if any.
 */
export function nodeBackend(reason: string, cause: Error | null): Backend {
  const addonMissing =
    cause === null ? `tcp-keepalive's native addon is not used (${reason})` : `tcp-keepalive's native addon is not loaded (${reason})`;
  const platform = nodePlatform(addonMissing);
  return {
    name: 'node',
    platform,
    toKernelValues: withIdleFirst(createValidator(platform)),
    set: setWithNode,
    listener: null,
    reader: null,
    unavailable: {
      reason: addonMissing,
      reads: `Reading from the kernel needs tcp-keepalive's native addon, which is ${cause === null ? 'not used' : 'not loaded'} (${reason})`,
      cause,
    },
  };
}
