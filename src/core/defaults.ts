// System-wide defaults, and how long a dead peer goes unnoticed.
import { backend } from './backend';
import { featureUnavailable, invalidArgType, invalidArgValue, outOfRange } from './errors';
import type { KeepaliveOptions } from './options';

/** The system-wide values for sockets with no per-socket setting, like getKeepalive's. */
export interface SystemDefaults {
  /** Milliseconds of idleness before the first probe. */
  idle: number;
  /** Milliseconds between unanswered probes. */
  interval: number;
  /** Unanswered probes before the connection is dropped. */
  count: number;
}

/**
 * The system-wide keepalive values (Linux: /proc/sys/net/ipv4/tcp_keepalive_*
 * of the caller's network namespace; macOS, FreeBSD: net.inet.tcp sysctls).
 *
 * @throws {TypeError} `ERR_FEATURE_UNAVAILABLE_ON_PLATFORM` (no addon, or a platform without such defaults)
 * @throws {Error} a system error naming the value it could not read (`read tcp_keepalive_time`)
 */
export function getSystemDefaults(): SystemDefaults {
  const { reader, unavailable } = backend();
  if (reader === null) throw featureUnavailable('system-wide keepalive defaults', unavailable.reason);
  return reader.systemDefaults();
}

/** What detectionTime takes: options, or settings read back with getKeepalive. */
export interface DetectionInput extends KeepaliveOptions {
  /** false (keepalive off) means a dead idle peer is never noticed. */
  enabled?: boolean | undefined;
}

const detectionFields = ['idle', 'interval', 'count', 'userTimeout', 'enabled'];

/**
 * One field of detectionTime's input: a number >= 0 (an integer for count),
 * or undefined. Values are data here, not settings to make: whatever the
 * kernel reports (a system default above the per-socket limit, say) is used.
 */
function field(options: Record<string, unknown>, key: string, integer: boolean): number | undefined {
  const value = options[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw invalidArgType(`options.${key}`, 'of type number', value);
  if (!(value >= 0 && value < Infinity) || (integer && !Number.isInteger(value))) {
    throw outOfRange(`options.${key}`, integer ? 'an integer >= 0' : '>= 0 and finite', value);
  }
  return value;
}

/** The kernel keeps idle and interval in whole seconds: what it would hold for `ms`. */
const wholeSeconds = (ms: number): number => Math.ceil(ms / 1000) * 1000;

/**
 * Milliseconds an idle connection whose peer vanished stays open before the
 * kernel drops it: idle + interval × count, with the system defaults filling
 * what `options` leaves out and idle/interval rounded up to whole seconds as
 * the kernel keeps them. With a userTimeout (Linux), the kernel ignores count:
 * it drops the connection at the first probe time, after at least one probe,
 * at which userTimeout has passed. Infinity when `enabled` is false.
 *
 * Takes options or what getKeepalive and getSystemDefaults return, whatever
 * the kernel reported: values are only checked to be numbers >= 0.
 *
 * @throws {TypeError} `ERR_INVALID_ARG_TYPE`, `ERR_INVALID_ARG_VALUE` (an unknown field)
 * @throws {RangeError} `ERR_OUT_OF_RANGE` (a negative, non-finite or fractional count)
 */
export function detectionTime(options: DetectionInput = {}): number {
  if (typeof options !== 'object' || options === null) throw invalidArgType('options', 'of type object', options);
  const record = options as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!detectionFields.includes(key)) {
      throw invalidArgValue(`options.${key}`, record[key], `is not a keepalive option (expected ${detectionFields.join(', ')})`);
    }
  }
  const { enabled } = options;
  if (enabled !== undefined && typeof enabled !== 'boolean') throw invalidArgType('options.enabled', 'of type boolean', enabled);
  const givenIdle = field(record, 'idle', false);
  const givenInterval = field(record, 'interval', false);
  const givenCount = field(record, 'count', true);
  const userTimeout = field(record, 'userTimeout', true);
  if (enabled === false) return Infinity;
  let system: SystemDefaults | undefined;
  const defaults = (): SystemDefaults => (system ??= getSystemDefaults());
  const idle = givenIdle === undefined ? defaults().idle : wholeSeconds(givenIdle);
  const interval = givenInterval === undefined ? defaults().interval : wholeSeconds(givenInterval);
  const count = givenCount === undefined ? defaults().count : givenCount;
  if (userTimeout === undefined || userTimeout === 0) return idle + interval * count;
  // A zero interval (possible only as data) would never reach the timeout by probing.
  const probes = interval === 0 ? 1 : Math.max(1, Math.ceil((userTimeout - idle) / interval));
  return idle + interval * probes;
}
