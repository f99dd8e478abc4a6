// Keepalive settings from environment variables, for the preload. The names
// and units are libkeepalive's (KEEPIDLE, KEEPINTVL in seconds, KEEPCNT,
// KEEPALIVE=off), so one environment configures C and Node programs alike;
// TCP_USER_TIMEOUT (milliseconds) is this library's addition.
import { backend } from '../core/backend';
import { parseDuration } from '../core/duration';
import { OPTION_SPECS, userMax, type KeepaliveOptions, type KernelValues, type OptionSpec } from '../core/options';

export interface EnvironmentSettings {
  /** false for KEEPALIVE=off: every socket gets SO_KEEPALIVE off. */
  enabled: boolean;
  options: KeepaliveOptions;
  /** `options` validated and in the kernel's units, ready for the backend. */
  values: KernelValues;
}

/** A variable that cannot be used: the message names it and says what is allowed. */
export class EnvironmentError extends Error {
  readonly code = 'TCP_KEEPALIVE_INVALID_ENV_VALUE';
}


/** Milliseconds (or probes) from a variable's text, undefined if it is not of the allowed form. */
function parse(spec: OptionSpec, text: string): number | undefined {
  if (spec.variableUnit === 'probes') return /^\s*\d+\s*$/.test(text) ? Number(text) : undefined;
  const ms = parseDuration(text, spec.variableUnit);
  // The kernel keeps TCP_USER_TIMEOUT in whole ms.
  return ms !== undefined && (spec.kernelUnit !== 'milliseconds' || Number.isInteger(ms)) ? ms : undefined;
}

/** What a variable allows, in words, from the platform's limits. */
function allowed(spec: OptionSpec): string {
  const max = backend().platform.optionMax[spec.native];
  switch (spec.variableUnit) {
    case 's':
      return `seconds from ${spec.min} to ${max}, or a duration such as ${spec.key === 'idle' ? '30s or 2m' : '5s'}`;
    case 'ms':
      return `whole milliseconds from ${spec.min} to ${max}, or a duration such as 30s`;
    case 'probes':
      return `a whole number of probes from ${spec.min} to ${max}`;
  }
}

/** Reads KEEPALIVE, KEEPIDLE, KEEPINTVL, KEEPCNT and TCP_USER_TIMEOUT; throws EnvironmentError on a bad value. */
export function readEnvironment(env: NodeJS.ProcessEnv = process.env): EnvironmentSettings {
  const { platform } = backend();
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
  for (const spec of OPTION_SPECS) {
    const text = env[spec.variable];
    if (text === undefined || text === '') continue;
    // What is missing first: an option the platform lacks has no range to check.
    if (platform.optionNames[spec.native] === null) {
      // Without the addon the option may well exist: say what is really missing.
      const why = platform.missingReason ?? 'this platform has no such socket option';
      throw new EnvironmentError(`${spec.variable} is set, but ${why}`);
    }
    const value = parse(spec, text);
    if (value === undefined || !(value >= spec.min && value <= userMax(platform, spec))) {
      throw new EnvironmentError(`${spec.variable}=${JSON.stringify(text)} is not valid: use ${allowed(spec)}`);
    }
    options[spec.key] = value;
  }
  let values: KernelValues;
  try {
    // Each value is in range; this catches what only the combination can break
    // (without the addon, interval and count need idle).
    values = backend().toKernelValues(options);
  } catch (error) {
    const names = OPTION_SPECS.filter((spec) => options[spec.key] !== undefined).map((spec) => spec.variable);
    throw new EnvironmentError(`${names.join(', ')} cannot be used here: ${(error as Error).message}`);
  }
  return { enabled, options, values };
}
