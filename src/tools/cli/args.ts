// Command-line arguments: parseArgs errors as one-line usage errors, and the
// values the commands take (durations, counts, HOST:PORT), checked against the
// same limits as the library's own validation.
import * as net from 'node:net';
import type { ParseArgsConfig } from 'node:util';
import { backend } from '../../core/backend';
import { formatDuration, parseDuration } from '../../core/duration';
import { OPTION_SPEC, type KeepaliveOptionName } from '../../core/options';
import { UsageError } from './outcome';

type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

/** What a parseArgs message quotes first: "Option '--idle <value>' argument missing" → "--idle <value>". */
const quoted = (message: string): string => /'([^']*)'/.exec(message)?.[1] ?? '';

/** The flag in what a parseArgs message quotes: "-i, --idle <value>" → "--idle". */
const flagIn = (text: string): string => /--[\w-]+/.exec(text)?.[0] ?? text.split(/[\s=]/)[0];

/**
 * Runs `parse` (a strict parseArgs call over `options`) and turns its errors
 * into one-line UsageErrors that name the argument and what is allowed.
 */
export function parseOrExplain<T>(options: OptionSpecs, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : String(error);
    const flag = flagIn(quoted(message));
    const allowed = [...Object.keys(options), 'help'].map((name) => `--${name}`).join(', ');
    switch (code) {
      case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
        throw new UsageError(`unknown option ${flag} (allowed: ${allowed})`);
      case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
        throw new UsageError(`unexpected argument '${quoted(message)}'`);
      case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
        if (options[flag.replace(/^--/, '')]?.type === 'boolean') throw new UsageError(`${flag} takes no value`);
        throw new UsageError(`${flag} needs a value (write ${flag}=VALUE for a value that starts with '-')`);
      default:
        throw error;
    }
  }
}

const durationExamples = 'such as 30s, 2m, 1h30m or 500ms; a bare number is seconds';

/** Milliseconds for a duration argument, or a UsageError naming `flag`. */
export function duration(flag: string, text: string): number {
  const ms = parseDuration(text, 's');
  if (ms === undefined) throw new UsageError(`${flag} must be a duration (${durationExamples}), got '${text}'`);
  return ms;
}


/** What the library accepts for each option, in words, from the platform's limits. */
function allowedValues(option: KeepaliveOptionName): string {
  const spec = OPTION_SPEC[option];
  const max = backend().platform.optionMax[spec.native];
  switch (spec.kernelUnit) {
    case 'seconds':
      return `a duration above 0 and at most ${max}s (${formatDuration(max * 1000)})`;
    case 'probes':
      return `an integer from ${spec.min} to ${max}`;
    case 'milliseconds':
      return `whole milliseconds from ${spec.min} (off) to ${formatDuration(max)}`;
  }
}

/** Checks one option value with the library's validator (the same bounds as enableKeepalive). */
function checkWithLibrary(flag: string, option: KeepaliveOptionName, value: number, text: string): void {
  try {
    backend().toKernelValues({ [option]: value });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_OUT_OF_RANGE') throw new UsageError(`${flag} must be ${allowedValues(option)}, got '${text}'`);
    if (code === 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM') throw new UsageError(`${flag} is not available on this platform`);
    throw error;
  }
}

/** --idle, --interval, --user-timeout: milliseconds the library accepts for `option`. */
export function keepaliveDuration(flag: string, option: KeepaliveOptionName, text: string): number {
  // Where the two conventions meet, a bare number is refused: the CLI's
  // durations take seconds, the kernel and the preload's TCP_USER_TIMEOUT milliseconds.
  if (OPTION_SPEC[option].variableUnit === 'ms' && /^\s*\d+(\.\d+)?\s*$/.test(text) && Number(text) !== 0) {
    throw new UsageError(
      `${flag} needs a unit, such as 30s or 500ms (a bare number would be seconds here but milliseconds in TCP_USER_TIMEOUT), got '${text}'`,
    );
  }
  const ms = duration(flag, text);
  checkWithLibrary(flag, option, ms, text);
  return ms;
}

/** --count: an integer the library accepts. */
export function keepaliveCount(flag: string, text: string): number {
  const count = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (Number.isNaN(count)) throw new UsageError(`${flag} must be ${allowedValues('count')}, got '${text}'`);
  checkWithLibrary(flag, 'count', count, text);
  return count;
}

/** A duration within [min, max] ms, for settings of the tool itself. */
export function boundedDuration(flag: string, text: string, min: number, max: number): number {
  const ms = duration(flag, text);
  if (ms < min || ms > max) {
    throw new UsageError(`${flag} must be a duration from ${formatDuration(min)} to ${formatDuration(max)}, got '${text}'`);
  }
  return ms;
}

export interface Endpoint {
  host: string;
  port: number;
}

const endpointExamples = 'such as db.internal:5432, 192.0.2.7:22 or [::1]:8080';

/** HOST:PORT, with IPv6 addresses in brackets. */
export function endpoint(text: string | undefined): Endpoint {
  if (text === undefined) throw new UsageError(`missing HOST:PORT (${endpointExamples})`);
  const bracketed = /^\[([^\]]*)\]:([^:]*)$/.exec(text);
  let host: string;
  let port: string;
  if (bracketed) {
    [, host, port] = bracketed;
    if (!net.isIPv6(host)) throw new UsageError(`'[${host}]' is not an IPv6 address, in '${text}'`);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon <= 0) throw new UsageError(`HOST:PORT expected (${endpointExamples}), got '${text}'`);
    host = text.slice(0, colon);
    port = text.slice(colon + 1);
    if (host.includes(':')) throw new UsageError(`put an IPv6 address in brackets, such as [::1]:443, got '${text}'`);
  }
  const number = /^\d{1,5}$/.test(port) ? Number(port) : NaN;
  if (!(number >= 1 && number <= 65535)) {
    throw new UsageError(`the port must be an integer from 1 to 65535, got '${port}' in '${text}'`);
  }
  return { host, port: number };
}
