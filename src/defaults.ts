// System-wide defaults, and how long a dead peer goes unnoticed.
import { binding, decodeFailure, UNCHANGED } from './binding';
import { featureUnavailable, invalidArgType, systemError } from './errors';
import { addonMissing } from './fallback';
import { toKernelValues, type KeepaliveOptions } from './options';

/** The system-wide values for sockets with no per-socket setting, like getKeepalive's. */
export interface SystemDefaults {
  /** Milliseconds of idleness before the first probe. */
  idle: number;
  /** Milliseconds between unanswered probes. */
  interval: number;
  /** Unanswered probes before the connection is dropped. */
  count: number;
}

const defaultSources = ['tcp_keepalive_time', 'tcp_keepalive_intvl', 'tcp_keepalive_probes'] as const;

/**
 * The system-wide keepalive values (Linux: /proc/sys/net/ipv4/tcp_keepalive_*
 * of the caller's network namespace; macOS, FreeBSD: net.inet.tcp sysctls).
 */
export function getSystemDefaults(): SystemDefaults {
  if (binding === null) throw featureUnavailable('system-wide keepalive defaults', addonMissing);
  const out = new Int32Array(defaultSources.length);
  const status = binding.systemDefaults(out);
  if (status !== 0) {
    const { errno, option } = decodeFailure(status);
    throw systemError(errno, 'read', defaultSources[option] ?? `field ${option}`);
  }
  const [idle, interval, count] = out;
  if (idle === UNCHANGED || interval === UNCHANGED || count === UNCHANGED) {
    throw featureUnavailable('system-wide keepalive defaults');
  }
  return { idle, interval, count };
}

/** What detectionTime takes: options, or settings read back with getKeepalive. */
export interface DetectionInput extends KeepaliveOptions {
  /** false (keepalive off) means a dead idle peer is never noticed. */
  enabled?: boolean;
}

/**
 * Milliseconds an idle connection whose peer vanished stays open before the
 * kernel drops it: idle + interval × count, with the system defaults filling
 * what `options` leaves out and idle/interval rounded up to whole seconds as
 * the kernel keeps them. With a userTimeout (Linux), the kernel ignores count:
 * it drops the connection at the first probe time, after at least one probe,
 * at which userTimeout has passed. Infinity when `enabled` is false.
 */
export function detectionTime(options: DetectionInput = {}): number {
  if (typeof options !== 'object' || options === null) throw invalidArgType('options', 'of type object', options);
  const { enabled, ...keepaliveOptions } = options;
  if (enabled !== undefined && typeof enabled !== 'boolean') throw invalidArgType('options.enabled', 'of type boolean', enabled);
  // Same checks and rounding as enableKeepalive.
  const [idleSeconds, intervalSeconds, givenCount, userTimeout] = toKernelValues(keepaliveOptions);
  if (enabled === false) return Infinity;
  let system: SystemDefaults | undefined;
  const defaults = (): SystemDefaults => (system ??= getSystemDefaults());
  const idle = idleSeconds === UNCHANGED ? defaults().idle : idleSeconds * 1000;
  const interval = intervalSeconds === UNCHANGED ? defaults().interval : intervalSeconds * 1000;
  const count = givenCount === UNCHANGED ? defaults().count : givenCount;
  if (userTimeout === UNCHANGED || userTimeout === 0) return idle + interval * count;
  const probes = Math.max(1, Math.ceil((userTimeout - idle) / interval));
  return idle + interval * probes;
}
