// Keepalive settings from environment variables, for the preload. The names
// and units are libkeepalive's (KEEPIDLE, KEEPINTVL in seconds, KEEPCNT,
// KEEPALIVE=off), so one environment configures C and Node programs alike;
// TCP_USER_TIMEOUT (milliseconds) is this library's addition.
import { binding, NativeOption } from '../core/binding';
import { fallbackPlatform } from '../core/fallback';
import { parseDuration } from '../core/duration';
import { toKernelValues, type KeepaliveOptions, type KernelValues } from '../core/options';

export interface EnvironmentSettings {
  /** false for KEEPALIVE=off: every socket gets SO_KEEPALIVE off. */
  enabled: boolean;
  options: KeepaliveOptions;
  /** `options` validated and in the kernel's units, ready for the binding. */
  values: KernelValues;
}

/** A variable that cannot be used: the message names it and says what is allowed. */
export class EnvironmentError extends Error {
  readonly code = 'ERR_INVALID_ENV_VALUE';
}

interface Variable {
  readonly name: string;
  readonly option: keyof KeepaliveOptions;
  readonly native: NativeOption;
  /** Milliseconds (or probes) from the text, undefined if it is not of the allowed form. */
  readonly parse: (text: string) => number | undefined;
  readonly min: number;
  readonly max: number;
  /** What is allowed, for the error message. */
  readonly allowed: string;
}

/** The addon's option table, or without it that of Node's setKeepAlive. */
const platform = binding ?? fallbackPlatform;

const maxSeconds = (option: number): number => platform.optionMax[option];

const variables: readonly Variable[] = [
  {
    name: 'KEEPIDLE',
    option: 'idle',
    native: NativeOption.Idle,
    parse: (text) => parseDuration(text, 's'),
    min: 1,
    max: maxSeconds(NativeOption.Idle) * 1000,
    allowed: `seconds from 1 to ${maxSeconds(NativeOption.Idle)}, or a duration such as 30s or 2m`,
  },
  {
    name: 'KEEPINTVL',
    option: 'interval',
    native: NativeOption.Interval,
    parse: (text) => parseDuration(text, 's'),
    min: 1,
    max: maxSeconds(NativeOption.Interval) * 1000,
    allowed: `seconds from 1 to ${maxSeconds(NativeOption.Interval)}, or a duration such as 5s`,
  },
  {
    name: 'KEEPCNT',
    option: 'count',
    native: NativeOption.Count,
    parse: (text) => (/^\s*\d+\s*$/.test(text) ? Number(text) : undefined),
    min: 1,
    max: platform.optionMax[NativeOption.Count],
    allowed: `a whole number of probes from 1 to ${platform.optionMax[NativeOption.Count]}`,
  },
  {
    name: 'TCP_USER_TIMEOUT',
    option: 'userTimeout',
    native: NativeOption.UserTimeout,
    parse: (text) => {
      const ms = parseDuration(text, 'ms');
      return ms !== undefined && Number.isInteger(ms) ? ms : undefined;
    },
    min: 0,
    max: platform.optionMax[NativeOption.UserTimeout],
    allowed: `whole milliseconds from 0 to ${platform.optionMax[NativeOption.UserTimeout]}, or a duration such as 30s`,
  },
];

/** Reads KEEPALIVE, KEEPIDLE, KEEPINTVL, KEEPCNT and TCP_USER_TIMEOUT; throws EnvironmentError on a bad value. */
export function readEnvironment(env: NodeJS.ProcessEnv = process.env): EnvironmentSettings {
  const switchText = env.KEEPALIVE;
  let enabled = true;
  if (switchText !== undefined && switchText !== '') {
    const normalized = switchText.trim().toLowerCase();
    if (normalized !== 'on' && normalized !== 'off') {
      throw new EnvironmentError(`KEEPALIVE=${JSON.stringify(switchText)} is not valid: use on or off`);
    }
    enabled = normalized === 'on';
  }
  const options: KeepaliveOptions = {};
  for (const variable of variables) {
    const text = env[variable.name];
    if (text === undefined || text === '') continue;
    // What is missing first: an option the platform lacks has no range to check.
    if (platform.optionNames[variable.native] === null) {
      // Without the addon the option may well exist: say what is really missing.
      const why = 'missingReason' in platform ? platform.missingReason : 'this platform has no such socket option';
      throw new EnvironmentError(`${variable.name} is set, but ${why}`);
    }
    const value = variable.parse(text);
    if (value === undefined || !(value >= variable.min && value <= variable.max)) {
      throw new EnvironmentError(`${variable.name}=${JSON.stringify(text)} is not valid: use ${variable.allowed}`);
    }
    options[variable.option] = value;
  }
  let values: KernelValues;
  try {
    // Each value is in range; this catches what only the combination can break
    // (without the addon, interval and count need idle).
    values = toKernelValues(options);
  } catch (error) {
    const names = variables.filter((variable) => options[variable.option] !== undefined).map((variable) => variable.name);
    throw new EnvironmentError(`${names.join(', ')} cannot be used here: ${(error as Error).message}`);
  }
  return { enabled, options, values };
}
