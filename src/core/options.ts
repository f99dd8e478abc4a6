// Option validation and unit conversion: milliseconds in, kernel units out.
import { binding, NativeOption, UNCHANGED, type NativeBinding } from './binding';
import { featureUnavailable, invalidArgType, invalidArgValue, outOfRange } from './errors';
import { fallbackPlatform, withIdleFirst } from './fallback';

/** What `enableKeepalive` accepts. Every field is optional; an omitted one is left as it is. */
export interface KeepaliveOptions {
  /** Milliseconds of idleness before the first probe (TCP_KEEPIDLE). Rounded up to whole seconds. */
  idle?: number | undefined;
  /** Milliseconds between unanswered probes (TCP_KEEPINTVL). Rounded up to whole seconds. */
  interval?: number | undefined;
  /** Unanswered probes before the connection is dropped (TCP_KEEPCNT). */
  count?: number | undefined;
  /**
   * Milliseconds that sent data may stay unacknowledged before the connection
   * is dropped (TCP_USER_TIMEOUT); 0 restores the system's behaviour.
   */
  userTimeout?: number | undefined;
}

/** What `getKeepalive` returns: the values the kernel holds for the socket. */
export interface KeepaliveSettings {
  /** Whether SO_KEEPALIVE is on. */
  enabled: boolean;
  /** Milliseconds of idleness before the first probe. */
  idle: number;
  /** Milliseconds between unanswered probes. */
  interval: number;
  /** Unanswered probes before the connection is dropped. */
  count: number;
  /** TCP_USER_TIMEOUT in milliseconds (0: system behaviour); undefined where the platform lacks it. */
  userTimeout: number | undefined;
}

export type KeepaliveOptionName = keyof KeepaliveOptions;

/** Kernel values in NativeOption order (idle, interval, count, userTimeout), UNCHANGED where omitted. */
export type KernelValues = [idle: number, interval: number, count: number, userTimeout: number];

/** The options a KernelValues entry holds (all but SO_KEEPALIVE). */
type ValueOption = Exclude<NativeOption, typeof NativeOption.Enable>;

/**
 * What the platform offers: the binding's option table (see NativeBinding),
 * and optionally why the options it lacks are missing (for the error).
 */
export type PlatformOptions = Pick<NativeBinding, 'optionNames' | 'optionMax'> & { readonly missingReason?: string };

/** The socket option behind each KeepaliveOptions field, for errors on platforms that lack it. */
const optionLabels: Readonly<Record<KeepaliveOptionName, string>> = {
  idle: 'TCP_KEEPIDLE',
  interval: 'TCP_KEEPINTVL',
  count: 'TCP_KEEPCNT',
  userTimeout: 'TCP_USER_TIMEOUT',
};

export const OPTION_NAMES = Object.keys(optionLabels) as readonly KeepaliveOptionName[];

const isOptionName = (key: string): key is KeepaliveOptionName =>
  key === 'idle' || key === 'interval' || key === 'count' || key === 'userTimeout';

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Makes the validator for one platform's option table. The validator checks
 * `options` completely and returns the kernel values to set, or throws a
 * Node-style error before anything is changed. Options the platform lacks are
 * all named in one ERR_FEATURE_UNAVAILABLE_ON_PLATFORM, after the other checks.
 *
 * It runs on every enableKeepalive call, so it is written for speed: one
 * switch on the key, checks inline, and names for errors built only when
 * throwing (npm run bench measures it against the bare syscalls).
 */
export function createValidator(platform: PlatformOptions): (options: unknown) => KernelValues {
  const max = platform.optionMax;
  const maxIdleMs = max[NativeOption.Idle] * 1000;
  const maxIntervalMs = max[NativeOption.Interval] * 1000;
  const maxCount = max[NativeOption.Count];
  const maxUserTimeout = max[NativeOption.UserTimeout];
  const available = platform.optionNames.map((name) => name !== null);
  const expected = `(expected ${OPTION_NAMES.join(', ')})`;

  /** A duration in ms that the kernel keeps in whole seconds (1 .. maxMs / 1000), rounded up. */
  function seconds(key: string, value: number, maxMs: number): number {
    // NaN fails both comparisons.
    if (!(value > 0 && value <= maxMs)) throw outOfRange(`options.${key}`, `> 0 && <= ${maxMs}`, value);
    // A subnormal value / 1000 underflows to 0, which the kernel refuses: the
    // smallest positive duration is one second.
    return Math.max(1, Math.ceil(value / 1000));
  }

  function integer(key: string, value: number, min: number, maxValue: number): number {
    if (!Number.isInteger(value) || value < min || value > maxValue) {
      throw outOfRange(`options.${key}`, `an integer >= ${min} && <= ${maxValue}`, value);
    }
    return value;
  }

  function check(key: KeepaliveOptionName, option: ValueOption, value: unknown, values: KernelValues): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'number') throw invalidArgType(`options.${key}`, 'of type number', value);
    // A missing option has no limit to check against: it is named in the error at the end.
    if (!available[option]) return `${optionLabels[key]} (options.${key})`;
    switch (option) {
      case NativeOption.Idle:
        values[option] = seconds(key, value, maxIdleMs);
        break;
      case NativeOption.Interval:
        values[option] = seconds(key, value, maxIntervalMs);
        break;
      case NativeOption.Count:
        values[option] = integer(key, value, 1, maxCount);
        break;
      default:
        values[option] = integer(key, value, 0, maxUserTimeout);
    }
    return undefined;
  }

  return function toKernelValues(options: unknown): KernelValues {
    const values: KernelValues = [UNCHANGED, UNCHANGED, UNCHANGED, UNCHANGED];
    if (options === undefined) return values;
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw invalidArgType('options', 'of type object', options);
    }
    // Own keys that are not options are typos: refused before anything is read.
    for (const key in options) {
      if (!isOptionName(key) && key !== 'enabled' && hasOwn.call(options, key)) {
        throw invalidArgValue(`options.${key}`, (options as Record<string, unknown>)[key], `is not a keepalive option ${expected}`);
      }
    }
    // Ordinary property access, as net.connect(options) reads its options:
    // getters and inherited properties count.
    const record = options as KeepaliveOptions;
    // What getKeepalive returns may be passed as options (another socket gets
    // the same settings): its `enabled` must say what enableKeepalive does.
    const { enabled } = options as { enabled?: unknown };
    if (enabled !== undefined && enabled !== true) {
      if (typeof enabled !== 'boolean') throw invalidArgType('options.enabled', 'of type boolean', enabled);
      throw invalidArgValue('options.enabled', enabled, 'must be true or left out: disableKeepalive turns keepalive off');
    }
    let missing: string[] | undefined;
    let name = check('idle', NativeOption.Idle, record.idle, values);
    if (name !== undefined) (missing ??= []).push(name);
    name = check('interval', NativeOption.Interval, record.interval, values);
    if (name !== undefined) (missing ??= []).push(name);
    name = check('count', NativeOption.Count, record.count, values);
    if (name !== undefined) (missing ??= []).push(name);
    name = check('userTimeout', NativeOption.UserTimeout, record.userTimeout, values);
    if (name !== undefined) (missing ??= []).push(name);
    if (missing !== undefined) throw featureUnavailable(missing, platform.missingReason);
    return values;
  };
}

/** The validator for this machine's platform, or for Node's setKeepAlive where no addon loaded. */
export const toKernelValues = binding === null ? withIdleFirst(createValidator(fallbackPlatform)) : createValidator(binding);

/** Converts the binding's `get` output (kernel units) to milliseconds. */
export function fromKernelValues(raw: Int32Array): KeepaliveSettings {
  const userTimeout = raw[NativeOption.UserTimeout];
  return {
    enabled: raw[NativeOption.Enable] !== 0,
    idle: raw[NativeOption.Idle] * 1000,
    interval: raw[NativeOption.Interval] * 1000,
    count: raw[NativeOption.Count],
    userTimeout: userTimeout === UNCHANGED ? undefined : userTimeout,
  };
}
