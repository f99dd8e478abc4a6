// Option validation and unit conversion: milliseconds in, kernel units out.
import { NativeOption, UNCHANGED } from './binding';
import { featureUnavailable, invalidArgType, invalidArgValue, outOfRange } from './errors';

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
 * One keepalive option, everything said about it anywhere: the validator,
 * the preload's environment, the CLI's flags, help and status text are all
 * made from these rows. The C++ side has one row too (native/keepalive.cc:
 * its system name and limit); test/options.test.ts checks that both agree.
 */
export interface OptionSpec {
  /** The KeepaliveOptions field. */
  readonly key: KeepaliveOptionName;
  /** Its index in the binding's arrays and failure statuses (native/keepalive.h ka_option). */
  readonly native: ValueOption;
  /** The socket option behind it, as errors name it where the platform lacks it. */
  readonly socketOption: string;
  /**
   * The unit the kernel keeps it in: 'seconds' (given in ms, rounded up to
   * whole seconds), 'probes' or 'milliseconds'.
   */
  readonly kernelUnit: 'seconds' | 'probes' | 'milliseconds';
  /** The smallest value the kernel takes, in its unit. */
  readonly min: number;
  /**
   * The largest value Linux takes, in its unit (include/net/tcp.h:
   * MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL, MAX_TCP_KEEPCNT; TCP_USER_TIMEOUT an
   * int), for where the addon that reads the limits from the headers is not loaded.
   */
  readonly linuxMax: number;
  /** The preload's environment variable (libkeepalive's names), and the unit of a bare number in it. */
  readonly variable: string;
  readonly variableUnit: 's' | 'ms' | 'probes';
  /** The command-line flag (`--user-timeout`). */
  readonly flag: string;
  /** What it is, in a few words, for help and status text. */
  readonly meaning: string;
}

/** The four options, in the order they are checked and applied. */
export const OPTION_SPECS: readonly OptionSpec[] = [
  {
    key: 'idle',
    native: NativeOption.Idle,
    socketOption: 'TCP_KEEPIDLE',
    kernelUnit: 'seconds',
    min: 1,
    linuxMax: 32767,
    variable: 'KEEPIDLE',
    variableUnit: 's',
    flag: '--idle',
    meaning: 'idle time before the first probe',
  },
  {
    key: 'interval',
    native: NativeOption.Interval,
    socketOption: 'TCP_KEEPINTVL',
    kernelUnit: 'seconds',
    min: 1,
    linuxMax: 32767,
    variable: 'KEEPINTVL',
    variableUnit: 's',
    flag: '--interval',
    meaning: 'time between unanswered probes',
  },
  {
    key: 'count',
    native: NativeOption.Count,
    socketOption: 'TCP_KEEPCNT',
    kernelUnit: 'probes',
    min: 1,
    linuxMax: 127,
    variable: 'KEEPCNT',
    variableUnit: 'probes',
    flag: '--count',
    meaning: 'unanswered probes before the peer is declared dead',
  },
  {
    key: 'userTimeout',
    native: NativeOption.UserTimeout,
    socketOption: 'TCP_USER_TIMEOUT',
    kernelUnit: 'milliseconds',
    min: 0,
    linuxMax: 2 ** 31 - 1,
    variable: 'TCP_USER_TIMEOUT',
    variableUnit: 'ms',
    flag: '--user-timeout',
    meaning: 'how long sent data may stay unacknowledged',
  },
];

/** Each option's row, by key. */
export const OPTION_SPEC = Object.fromEntries(OPTION_SPECS.map((spec) => [spec.key, spec])) as Readonly<
  Record<KeepaliveOptionName, OptionSpec>
>;

export const OPTION_NAMES: readonly KeepaliveOptionName[] = OPTION_SPECS.map((spec) => spec.key);

/** Linux's per-socket limits in NativeOption order (SO_KEEPALIVE's last), from the rows. */
export const linuxOptionMax: readonly number[] = [...OPTION_SPECS.map((spec) => spec.linuxMax), 1];

/**
 * What a backend offers: the system's name of each option in NativeOption
 * order (null where it cannot set it), the largest value of each in the
 * kernel's unit, and optionally why the missing ones are missing.
 */
export interface PlatformOptions {
  readonly optionNames: ReadonlyArray<string | null>;
  readonly optionMax: ReadonlyArray<number>;
  readonly missingReason?: string;
}

/** The largest value of an option the platform takes, in ms (durations) or probes: what a user writes. */
export function userMax(platform: PlatformOptions, spec: OptionSpec): number {
  const max = platform.optionMax[spec.native];
  return spec.kernelUnit === 'seconds' ? max * 1000 : max;
}

/** Kernel values that change nothing. */
export const untouched = (): KernelValues => [UNCHANGED, UNCHANGED, UNCHANGED, UNCHANGED];

/** Copies the values that are set in `values` over `into`. */
export function mergeValues(into: KernelValues, values: KernelValues): void {
  for (let i = 0; i < into.length; i++) if (values[i] !== UNCHANGED) into[i] = values[i];
}

/** Copies the values that are set in `values` to the fields of `into` that are not set. */
export function fillValues(into: KernelValues, values: KernelValues): void {
  for (let i = 0; i < into.length; i++) if (into[i] === UNCHANGED) into[i] = values[i];
}

const isOptionName = (key: string): key is KeepaliveOptionName =>
  key === 'idle' || key === 'interval' || key === 'count' || key === 'userTimeout';

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * The options of one call, in the order of OPTION_SPECS, each read by its
 * name: V8 loads a property named in the code several times faster than one
 * whose name is taken from the row (about 100 ns a call, measured here).
 * Written into `into`, the validator's own scratch array, after every getter
 * has run: a getter that calls enableKeepalive cannot see it half filled.
 * test/native.test.ts checks that the order follows the table.
 */
export function readOptions(options: KeepaliveOptions, into: unknown[]): unknown[] {
  const { idle, interval, count, userTimeout } = options;
  into[0] = idle;
  into[1] = interval;
  into[2] = count;
  into[3] = userTimeout;
  return into;
}

/**
 * Makes the validator for one platform's option table. The validator checks
 * `options` completely and returns the kernel values to set, or throws a
 * Node-style error before anything is changed. Options the platform lacks are
 * all named in one ERR_FEATURE_UNAVAILABLE_ON_PLATFORM, after the other checks.
 *
 * It runs on every enableKeepalive call, so it is written for speed: limits
 * worked out once here, one pass over the rows, names for errors built only
 * when throwing (npm run bench measures it against the bare syscalls).
 */
export function createValidator(platform: PlatformOptions): (options: unknown) => KernelValues {
  /** Per row, in order: the largest value a user may give (ms or probes), or -1 where the platform lacks the option. */
  const limits = OPTION_SPECS.map((spec) => (platform.optionNames[spec.native] === null ? -1 : userMax(platform, spec)));
  const expected = `(expected ${OPTION_NAMES.join(', ')})`;
  /** What readOptions read, reused: nothing between the read and the last use runs the caller's code. */
  const given: unknown[] = [undefined, undefined, undefined, undefined];

  /** One given value, checked against its row, in the kernel's unit. */
  function convert(spec: OptionSpec, value: number, max: number): number {
    if (spec.kernelUnit === 'seconds') {
      // NaN fails both comparisons.
      if (!(value > 0 && value <= max)) throw outOfRange(`options.${spec.key}`, `> 0 && <= ${max}`, value);
      // A subnormal value / 1000 underflows to 0, which the kernel refuses: the
      // smallest positive duration is one second.
      return Math.max(1, Math.ceil(value / 1000));
    }
    if (!Number.isInteger(value) || value < spec.min || value > max) {
      throw outOfRange(`options.${spec.key}`, `an integer >= ${spec.min} && <= ${max}`, value);
    }
    return value;
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
    // What getKeepalive returns may be passed as options (another socket gets
    // the same settings): its `enabled` must say what enableKeepalive does.
    const { enabled } = options as { enabled?: unknown };
    if (enabled !== undefined && enabled !== true) {
      if (typeof enabled !== 'boolean') throw invalidArgType('options.enabled', 'of type boolean', enabled);
      throw invalidArgValue('options.enabled', enabled, 'must be true or left out: disableKeepalive turns keepalive off');
    }
    // Ordinary property access, as net.connect(options) reads its options:
    // getters and inherited properties count.
    readOptions(options as KeepaliveOptions, given);
    let missing: string[] | undefined;
    for (let i = 0; i < OPTION_SPECS.length; i++) {
      const spec = OPTION_SPECS[i];
      const value = given[i];
      if (value === undefined) continue;
      if (typeof value !== 'number') throw invalidArgType(`options.${spec.key}`, 'of type number', value);
      const max = limits[i];
      // A missing option has no limit to check against: it is named in the error at the end.
      if (max < 0) (missing ??= []).push(`${spec.socketOption} (options.${spec.key})`);
      else values[spec.native] = convert(spec, value, max);
    }
    if (missing !== undefined) throw featureUnavailable(missing, platform.missingReason);
    return values;
  };
}
