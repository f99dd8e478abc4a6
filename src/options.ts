// Option validation and unit conversion: milliseconds in, kernel units out.
import { binding, NativeOption, UNCHANGED, type NativeBinding } from './binding';
import { featureUnavailable, invalidArgType, invalidArgValue, outOfRange } from './errors';
import { fallbackPlatform, withIdleFirst } from './fallback';

/** What `enableKeepalive` accepts. Every field is optional; an omitted one is left as it is. */
export interface KeepaliveOptions {
  /** Milliseconds of idleness before the first probe (TCP_KEEPIDLE). Rounded up to whole seconds. */
  idle?: number;
  /** Milliseconds between unanswered probes (TCP_KEEPINTVL). Rounded up to whole seconds. */
  interval?: number;
  /** Unanswered probes before the connection is dropped (TCP_KEEPCNT). */
  count?: number;
  /**
   * Milliseconds that sent data may stay unacknowledged before the connection
   * is dropped (TCP_USER_TIMEOUT); 0 restores the system's behaviour.
   */
  userTimeout?: number;
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

interface Rule {
  readonly option: ValueOption;
  /** The socket option's usual name, for errors on platforms that lack it. */
  readonly label: string;
  /** Throws unless value is acceptable; value is already known to be a number. */
  readonly check: (name: string, value: number) => void;
  /** Converts a validated value to the kernel's unit. */
  readonly toKernel: (value: number) => number;
}

type RuleFactory = (option: ValueOption, label: string, max: number) => Rule;

const secondsUp = (ms: number): number => Math.ceil(ms / 1000);
const same = (value: number): number => value;

/** A duration in ms that the kernel keeps in whole seconds, 1 .. max. */
const duration: RuleFactory = (option, label, maxSeconds) => {
  const maxMs = maxSeconds * 1000;
  return {
    option,
    label,
    check(name, value) {
      // NaN fails both comparisons.
      if (!(value > 0 && value <= maxMs)) throw outOfRange(name, `> 0 && <= ${maxMs}`, value);
    },
    toKernel: secondsUp,
  };
};

const integerFrom =
  (min: number): RuleFactory =>
  (option, label, max) => ({
    option,
    label,
    check(name, value) {
      if (!Number.isInteger(value) || value < min || value > max) {
        throw outOfRange(name, `an integer >= ${min} && <= ${max}`, value);
      }
    },
    toKernel: same,
  });

const ruleShapes: Readonly<Record<KeepaliveOptionName, [ValueOption, string, RuleFactory]>> = {
  idle: [NativeOption.Idle, 'TCP_KEEPIDLE', duration],
  interval: [NativeOption.Interval, 'TCP_KEEPINTVL', duration],
  count: [NativeOption.Count, 'TCP_KEEPCNT', integerFrom(1)],
  userTimeout: [NativeOption.UserTimeout, 'TCP_USER_TIMEOUT', integerFrom(0)],
};

export const OPTION_NAMES = Object.keys(ruleShapes) as readonly KeepaliveOptionName[];

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Makes the validator for one platform's option table. The validator checks
 * `options` completely and returns the kernel values to set, or throws a
 * Node-style error before anything is changed. Options the platform lacks are
 * all named in one ERR_FEATURE_UNAVAILABLE_ON_PLATFORM, after the other checks.
 */
export function createValidator(platform: PlatformOptions): (options: unknown) => KernelValues {
  const rules = {} as Record<KeepaliveOptionName, Rule>;
  for (const key of OPTION_NAMES) {
    const [option, label, factory] = ruleShapes[key];
    rules[key] = factory(option, label, platform.optionMax[option]);
  }
  const expected = `(expected ${OPTION_NAMES.join(', ')})`;

  return function toKernelValues(options: unknown): KernelValues {
    const values: KernelValues = [UNCHANGED, UNCHANGED, UNCHANGED, UNCHANGED];
    if (options === undefined) return values;
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw invalidArgType('options', 'of type object', options);
    }
    const record = options as Record<string, unknown>;
    const missing: string[] = [];
    for (const key in record) {
      if (!hasOwn.call(record, key)) continue;
      const name = `options.${key}`;
      const value = record[key];
      if (!hasOwn.call(rules, key)) throw invalidArgValue(name, value, `is not a keepalive option ${expected}`);
      if (value === undefined) continue;
      const rule = rules[key as KeepaliveOptionName];
      if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
      // A missing option has no limit to check against.
      if (platform.optionNames[rule.option] === null) {
        missing.push(`${rule.label} (${name})`);
        continue;
      }
      rule.check(name, value);
      values[rule.option] = rule.toKernel(value);
    }
    if (missing.length > 0) throw featureUnavailable(missing, platform.missingReason);
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
