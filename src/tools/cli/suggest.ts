// tcp-keepalive suggest: keepalive settings for a detection target and/or the
// middlebox on the path (core/suggest.ts decides), printed as options, the
// preload's variables and sysctl lines.
import { parseArgs } from 'node:util';
import { formatDuration } from '../../core/duration';
import { OPTION_SPECS } from '../../core/options';
import {
  layer7Proxies,
  middleboxPresets,
  SHORTEST_MIDDLEBOX_TIMEOUT,
  SHORTEST_TARGET,
  suggestKeepalive,
  type KeepaliveGoals,
  type KeepaliveSuggestion,
  type MiddleboxPreset,
} from '../../core/suggest';
import { duration, parseOrExplain } from './args';
import { explainDetection, table } from './format';
import { ExitCode, UsageError } from './outcome';
import { defaultsNames } from './show';

const options = {
  'detect-within': { type: 'string' },
  behind: { type: 'string' },
  'idle-timeout': { type: 'string' },
  'in-flight': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

const presetNames = Object.keys(middleboxPresets) as MiddleboxPreset[];
const isPreset = (name: string): name is MiddleboxPreset => (presetNames as string[]).includes(name);

/** A duration of at least `min` ms, or a usage error naming the flag and why. */
function atLeast(flag: string, text: string, min: number, why: string): number {
  const ms = duration(flag, text);
  if (!(ms >= min && ms < Infinity)) throw new UsageError(`${flag} must be at least ${formatDuration(min)} (${why}), got '${text}'`);
  return ms;
}

function readGoals(args: string[]): { goals: KeepaliveGoals; json: boolean } {
  const { values } = parseOrExplain(options, () => parseArgs({ args, options, strict: true, allowPositionals: false }));
  const goals: KeepaliveGoals = {};
  if (values['detect-within'] !== undefined) {
    goals.detectWithin = atLeast(
      '--detect-within',
      values['detect-within'],
      SHORTEST_TARGET,
      'the shortest keepalive, idle 1s + 1 probe × 1s, with kernel timers up to 1/8 late',
    );
  }
  if (values.behind !== undefined && values['idle-timeout'] !== undefined) {
    throw new UsageError('give --behind or --idle-timeout, not both');
  }
  if (values.behind !== undefined) {
    const name = values.behind;
    if (Object.prototype.hasOwnProperty.call(layer7Proxies, name)) {
      throw new UsageError(`--behind ${name}: no keepalive setting helps, ${layer7Proxies[name]}; send data (an application ping) instead`);
    }
    if (!isPreset(name)) throw new UsageError(`--behind must be one of ${presetNames.join(', ')} (or give --idle-timeout), got '${name}'`);
    goals.behind = name;
  }
  if (values['idle-timeout'] !== undefined) {
    goals.behind = atLeast(
      '--idle-timeout',
      values['idle-timeout'],
      SHORTEST_MIDDLEBOX_TIMEOUT,
      'a probe and its repeat 1s later, each up to 1/8 late, 2s before the middlebox forgets',
    );
  }
  if (goals.detectWithin === undefined && goals.behind === undefined) {
    throw new UsageError('give --detect-within, --behind or --idle-timeout (or --detect-within with one of the others)');
  }
  if (values['in-flight']) goals.inFlight = true;
  return { goals, json: values.json ?? false };
}

/** The preload's variables, in their units (seconds, probes, milliseconds). */
function preloadVariables(suggestion: KeepaliveSuggestion): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const spec of OPTION_SPECS) {
    const value = suggestion.options[spec.key];
    if (value === undefined) continue;
    variables[spec.variable] = String(spec.variableUnit === 's' ? value / 1000 : value);
  }
  return variables;
}

/** Linux's sysctl lines for the same defaults (TCP_USER_TIMEOUT has none). */
function sysctlValues(suggestion: KeepaliveSuggestion): Record<string, number> {
  const [time, interval, probes] = defaultsNames.linux as readonly [string, string, string];
  const { idle, interval: every, count } = suggestion.options;
  return { [time]: idle / 1000, [interval]: every / 1000, [probes]: count };
}

/** Words wrapped at 78 columns. */
function wrap(text: string, indent = ''): string {
  const lines: string[] = [];
  let line = indent;
  for (const word of text.split(' ')) {
    if (line.length + word.length + 1 > 78 && line.trim() !== '') {
      lines.push(line);
      line = indent;
    }
    line += line.trim() === '' ? word : ` ${word}`;
  }
  return [...lines, line].join('\n');
}

function goalsText(goals: KeepaliveGoals): string {
  const parts: string[] = [];
  if (goals.detectWithin !== undefined) parts.push(`a dead peer noticed within ${formatDuration(goals.detectWithin)}`);
  if (typeof goals.behind === 'string') {
    const box = middleboxPresets[goals.behind];
    parts.push(`a connection kept behind ${box.name} (idle timeout ${formatDuration(box.idleTimeout)})`);
  } else if (goals.behind !== undefined) {
    parts.push(`a connection kept behind a middlebox with an idle timeout of ${formatDuration(goals.behind)}`);
  }
  if (goals.inFlight) parts.push('data in flight included');
  return parts.join('; ');
}

function text(goals: KeepaliveGoals, suggestion: KeepaliveSuggestion): string {
  const { options: suggested, middlebox } = suggestion;
  const rows = OPTION_SPECS.filter((spec) => suggested[spec.key] !== undefined).map((spec) => {
    const value = suggested[spec.key] as number;
    return [spec.key, spec.kernelUnit === 'probes' ? String(value) : formatDuration(value), spec.socketOption, spec.meaning];
  });
  const lines = [wrap(`Keepalive settings for ${goalsText(goals)}:`), '', table(rows, '  '), ''];
  lines.push(
    wrap(
      `A dead peer of an idle connection is noticed after ${explainDetection({ idle: suggested.idle, interval: suggested.interval, count: suggested.count })}; ` +
        `by ${formatDuration(suggestion.latestDetectionMs)} at the latest, as kernel timers fire up to 1/8 late.`,
    ),
  );
  if (middlebox !== undefined) {
    lines.push(
      wrap(
        `The first probe, and its repeat should it be lost, leave by ${formatDuration(middlebox.probedByMs)} of idleness ` +
          `at the latest: before the middlebox forgets the connection at ${formatDuration(middlebox.idleTimeoutMs)}.`,
      ),
    );
  }
  for (const note of suggestion.notes) lines.push(wrap(note.replace(/\binFlight\b/g, '--in-flight')));
  const literal = Object.entries(suggested)
    .map(([key, value]) => `${key}: ${value}`)
    .join(', ');
  const variables = Object.entries(preloadVariables(suggestion))
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
  const sysctl = Object.entries(sysctlValues(suggestion)).map(([name, value]) => `  ${name} = ${value}`);
  lines.push(
    '',
    'In code:',
    `  enableKeepalive(socket, { ${literal} });`,
    'For an unmodified program, the preload:',
    `  ${variables} node --require tcp-keepalive/register app.js`,
    'As system-wide defaults (Linux sysctl.d), for sockets that turn keepalive on',
    'without values of their own (tcp-keepalive sysctl writes the file):',
    ...sysctl,
  );
  if (suggested.userTimeout !== undefined) lines.push('  (TCP_USER_TIMEOUT has no system-wide setting: set it per socket or with the preload)');
  return `${lines.join('\n')}\n`;
}

export async function suggest(args: string[]): Promise<ExitCode> {
  const { goals, json } = readGoals(args);
  const suggestion = suggestKeepalive(goals);
  if (json) {
    const output = { ...suggestion, preload: preloadVariables(suggestion), sysctl: sysctlValues(suggestion) };
    process.stdout.write(`${JSON.stringify(output)}\n`);
  } else {
    process.stdout.write(text(goals, suggestion));
  }
  return ExitCode.Ok;
}
