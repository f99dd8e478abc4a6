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

/** One option's limits on one platform, worked out once by createValidator. */
interface OptionLimits {
  /** `options.idle`, for errors. */
  readonly name: string;
  /** The platform lacks it: named with the others it lacks, in one error. */
  readonly lacking: boolean;
  /** `TCP_KEEPIDLE (options.idle)`, for that error. */
  readonly label: string;
  /** Given in ms, kept by the kernel in whole seconds. */
  readonly seconds: boolean;
  /**
   * The smallest and largest value a user may write (ms or probes): for a
   * duration kept in seconds, any positive one (rounded up to 1 s).
   */
  readonly low: number;
  readonly max: number;
}

function limitsOf(platform: PlatformOptions, spec: OptionSpec): OptionLimits {
  const name = `options.${spec.key}`;
  return {
    name,
    lacking: platform.optionNames[spec.native] === null,
    label: `${spec.socketOption} (${name})`,
    seconds: spec.kernelUnit === 'seconds',
    low: spec.kernelUnit === 'seconds' ? Number.MIN_VALUE : spec.min,
    max: userMax(platform, spec),
  };
}

/**
 * Checks one given option against its limits and returns it in the kernel's
 * unit. One function for every option (not one closure per option), small
 * enough for V8 to inline at each of the validator's four call sites: what
 * is not a plain valid value goes to uncommonOption.
 */
function checkOption(value: unknown, limits: OptionLimits, missing: string[] | undefined): number {
  // NaN fails both comparisons.
  if (typeof value === 'number' && value >= limits.low && value <= limits.max && !limits.lacking) {
    // A subnormal value / 1000 underflows to 0, which the kernel refuses: the
    // smallest positive duration is one second.
    if (limits.seconds) return Math.max(1, Math.ceil(value / 1000));
    if (Number.isInteger(value)) return value;
  }
  return uncommonOption(value, limits, missing);
}

/** checkOption for the rest: the wrong type, an option the platform lacks (named in `missing`), a value out of range. */
function uncommonOption(value: unknown, limits: OptionLimits, missing: string[] | undefined): number {
  if (typeof value !== 'number') throw invalidArgType(limits.name, 'of type number', value);
  if (limits.lacking) {
    missing?.push(limits.label);
    return UNCHANGED;
  }
  throw outOfRange(limits.name, limits.seconds ? `> 0 && <= ${limits.max}` : `an integer >= ${limits.low} && <= ${limits.max}`, value);
}

/** Own keys that are not options are typos: refused before any option is read. */
function checkKeys(options: object, expected: string): void {
  for (const key in options) {
    if (!isOptionName(key) && key !== 'enabled' && hasOwn.call(options, key)) throw unknownOption(options, key, expected);
  }
}

function unknownOption(options: object, key: string, expected: string): TypeError {
  return invalidArgValue(`options.${key}`, (options as Record<string, unknown>)[key], `is not a keepalive option ${expected}`);
}

function notAnObject(options: unknown): TypeError {
  return invalidArgType('options', 'of type object', options);
}

function enabledNotTrue(enabled: unknown): TypeError {
  if (typeof enabled !== 'boolean') return invalidArgType('options.enabled', 'of type boolean', enabled);
  return invalidArgValue('options.enabled', enabled, 'must be true or left out: disableKeepalive turns keepalive off');
}

/**
 * Makes the validator for one platform's option table. The validator checks
 * `options` completely and returns the kernel values to set, or throws a
 * Node-style error before anything is changed. Options the platform lacks are
 * all named in one ERR_FEATURE_UNAVAILABLE_ON_PLATFORM, after the other checks.
 *
 * It runs on every enableKeepalive call, so it is written for speed: each
 * row's limits are worked out here, once; each option is read by name and
 * checked from a call site of its own (a loop over the rows, reading each
 * option by the row's key, took twice as long); names for errors are built
 * only when throwing (npm run bench measures the whole call against the bare
 * binding).
 */
export function createValidator(platform: PlatformOptions): (options: unknown) => KernelValues {
  const expected = `(expected ${OPTION_NAMES.join(', ')})`;
  const IDLE = limitsOf(platform, OPTION_SPEC.idle);
  const INTERVAL = limitsOf(platform, OPTION_SPEC.interval);
  const COUNT = limitsOf(platform, OPTION_SPEC.count);
  const USER_TIMEOUT = limitsOf(platform, OPTION_SPEC.userTimeout);
  const lacking = [IDLE, INTERVAL, COUNT, USER_TIMEOUT].some((limits) => limits.lacking);

  return function toKernelValues(options: unknown): KernelValues {
    if (options === undefined) return untouched();
    if (typeof options !== 'object' || options === null || Array.isArray(options)) throw notAnObject(options);
    checkKeys(options, expected);
    // What getKeepalive returns may be passed as options (another socket gets
    // the same settings): its `enabled` must say what enableKeepalive does.
    const { enabled } = options as { enabled?: unknown };
    if (enabled !== undefined && enabled !== true) throw enabledNotTrue(enabled);
    // Ordinary property access, as net.connect(options) reads its options:
    // getters and inherited properties count. Every getter runs before any check.
    const { idle, interval, count, userTimeout } = options as KeepaliveOptions;
    const missing: string[] | undefined = lacking ? [] : undefined;
    const idleValue = idle === undefined ? UNCHANGED : checkOption(idle, IDLE, missing);
    const intervalValue = interval === undefined ? UNCHANGED : checkOption(interval, INTERVAL, missing);
    const countValue = count === undefined ? UNCHANGED : checkOption(count, COUNT, missing);
    const userTimeoutValue = userTimeout === undefined ? UNCHANGED : checkOption(userTimeout, USER_TIMEOUT, missing);
    if (missing !== undefined && missing.length > 0) throw featureUnavailable(missing, platform.missingReason);
    // In NativeOption order, made from the four values at the end: filling in
    // an array of UNCHANGED took half as long again (25 ns a call against
    // 17 ns, validating alone).
    return [idleValue, intervalValue, countValue, userTimeoutValue];
  };
}
