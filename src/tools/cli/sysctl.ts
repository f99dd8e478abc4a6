// tcp-keepalive sysctl: the sysctl.d lines for new system-wide defaults, and
// --apply to write them to /proc/sys of the current network namespace.
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { SystemDefaults } from '../../core/defaults';
import { formatDuration } from '../../core/duration';
import { OPTION_SPEC } from '../../core/options';
import { duration, parseOrExplain } from './args';
import { explainDetection, table } from './format';
import { ExitCode, Failure, UsageError } from './outcome';
import { defaultsNames } from './show';

export const sysctlFile = '/etc/sysctl.d/60-tcp-keepalive.conf';

const options = {
  idle: { type: 'string' },
  interval: { type: 'string' },
  count: { type: 'string' },
  apply: { type: 'boolean' },
} as const;

type Field = keyof SystemDefaults;
const fields: readonly Field[] = ['idle', 'interval', 'count'];
const linuxNames = defaultsNames.linux ?? [];

/** One default to set: value in the sysctl's unit (seconds, or probes for count). */
interface Setting {
  field: Field;
  name: string;
  value: number;
}

/**
 * The largest value of each default: the per-socket limits of Linux's
 * include/net/tcp.h, so that every socket can also hold what the system does.
 * Linux only (the one platform where --apply writes), so no addon is needed.
 */
const maxima: Readonly<Record<Field, number>> = {
  idle: OPTION_SPEC.idle.linuxMax,
  interval: OPTION_SPEC.interval.linuxMax,
  count: OPTION_SPEC.count.linuxMax,
};

/** A duration argument as the whole seconds a sysctl holds. */
function wholeSeconds(flag: string, field: 'idle' | 'interval', text: string): number {
  const ms = duration(flag, text);
  const max = maxima[field];
  if (!(ms > 0 && ms <= max * 1000)) {
    throw new UsageError(`${flag} must be a duration above 0 and at most ${max}s (${formatDuration(max * 1000)}), got '${text}'`);
  }
  if (ms % 1000 !== 0) throw new UsageError(`${flag} must be whole seconds, as sysctls hold them, got '${text}'`);
  return ms / 1000;
}

function probes(flag: string, text: string): number {
  const count = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!(count >= 1 && count <= maxima.count)) throw new UsageError(`${flag} must be an integer from 1 to ${maxima.count}, got '${text}'`);
  return count;
}

function readSettings(values: { idle?: string; interval?: string; count?: string }): Setting[] {
  const settings: Setting[] = [];
  fields.forEach((field, index) => {
    const text = values[field];
    if (text === undefined) return;
    const flag = `--${field}`;
    const value = field === 'count' ? probes(flag, text) : wholeSeconds(flag, field, text);
    settings.push({ field, name: linuxNames[index], value });
  });
  if (settings.length === 0) throw new UsageError('give at least one of --idle, --interval, --count');
  return settings;
}

const toMs = (setting: Setting): number => (setting.field === 'count' ? setting.value : setting.value * 1000);

/** The detection time these settings give, this system's values filling the gaps (Linux only, where they apply). */
function detectionSentence(settings: readonly Setting[]): string | undefined {
  const given: Partial<SystemDefaults> = {};
  for (const setting of settings) given[setting.field] = toMs(setting);
  const missing = fields.filter((field) => given[field] === undefined);
  if (missing.length === 0) return `An idle dead peer is noticed after ${explainDetection(given as SystemDefaults)}.`;
  if (process.platform !== 'linux') return undefined;
  const filled = { ...readProcDefaults(), ...given };
  return `With this system's current ${missing.join(' and ')}, an idle dead peer is noticed after ${explainDetection(filled)}.`;
}

/** `text` as "# " comment lines of at most 78 characters. */
function comment(text: string): string[] {
  const lines: string[] = [];
  let line = '#';
  for (const word of text.split(' ')) {
    if (line.length + 1 + word.length > 78 && line !== '#') {
      lines.push(line);
      line = '#';
    }
    line += ` ${word}`;
  }
  return [...lines, line];
}

function fileText(settings: readonly Setting[]): string {
  const header = [
    ...comment(`${sysctlFile}: system-wide TCP keepalive defaults, for sockets that turn keepalive on without values of their own.`),
    ...comment(detectionSentence(settings) ?? ''),
    ...comment(
      "Load with `sysctl --system` (also run at boot). Each network namespace (a container's, say) has its own values; a new one starts with the kernel's.",
    ),
  ].filter((line) => line !== '#');
  return `${header.join('\n')}\n${settings.map(({ name, value }) => `${name} = ${value}`).join('\n')}\n`;
}

const procPath = (name: string): string => `/proc/sys/${name.replace(/\./g, '/')}`;

const readProc = (path: string): string => fs.readFileSync(path, 'utf8').trim();

/** This network namespace's defaults from /proc/sys, as data (whatever the kernel holds), in ms and probes. */
function readProcDefaults(): SystemDefaults {
  const [idle, interval, count] = linuxNames.map((name) => Number(readProc(procPath(name))));
  return { idle: idle * 1000, interval: interval * 1000, count };
}

function whyNotWritten(error: unknown, path: string): string {
  const code = (error as { code?: unknown }).code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return `permission denied writing ${path}: --apply must run as root`;
    case 'EROFS':
      return `${path} is read-only here (/proc/sys is mounted read-only, as in most containers)`;
    default:
      return `cannot write ${path}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** What to run instead on a platform without Linux's /proc/sys. */
function elsewhere(settings: readonly Setting[]): string {
  const names = defaultsNames[process.platform];
  if (!names) return `--apply is supported on Linux only (this is ${process.platform})`;
  // macOS and FreeBSD keep these in milliseconds.
  const assignments = settings.map((setting) => `${names[fields.indexOf(setting.field)]}=${toMs(setting)}`);
  return `--apply writes Linux's /proc/sys; on ${process.platform} run: sudo sysctl ${assignments.join(' ')} (and add them to /etc/sysctl.conf)`;
}

interface Change {
  setting: Setting;
  path: string;
  before: string;
}

/** Puts back what was written; returns the paths it could not restore. */
function rollBack(changes: readonly Change[]): string[] {
  const failed: string[] = [];
  for (const change of [...changes].reverse()) {
    try {
      fs.writeFileSync(change.path, `${change.before}\n`);
    } catch {
      failed.push(change.path);
    }
  }
  return failed;
}

/**
 * Writes every setting or none: everything that can be checked was checked
 * before the first write; a write that fails, or a value the kernel does not
 * keep as written, puts back what was already changed and says so.
 */
function apply(settings: readonly Setting[]): ExitCode {
  if (process.platform !== 'linux') throw new Failure(elsewhere(settings));
  const changes: Change[] = [];
  let failure: string | undefined;
  for (const setting of settings) {
    const path = procPath(setting.name);
    try {
      const before = readProc(path);
      fs.writeFileSync(path, `${setting.value}\n`);
      changes.push({ setting, path, before });
      const after = readProc(path);
      if (after !== String(setting.value)) failure = `the kernel holds ${after} for ${setting.name}, not ${setting.value}`;
    } catch (error) {
      failure = whyNotWritten(error, path);
    }
    if (failure !== undefined) break;
  }
  if (failure !== undefined) {
    if (changes.length === 0) throw new Failure(failure);
    const notRestored = rollBack(changes);
    const restored =
      notRestored.length === 0 ? 'every value written before was put back' : `could not put back ${notRestored.join(', ')}`;
    throw new Failure(`${failure}; nothing applied (${restored})`);
  }
  const rows = changes.map(({ setting, before }) => [setting.name, before, '→', String(setting.value)]);
  process.stdout.write(
    `Set for this network namespace, until reboot:\n${table(rows, '  ')}\n` +
      `An idle dead peer is now noticed after ${explainDetection(readProcDefaults())}.\n` +
      `To keep them, save the output of this command without --apply as ${sysctlFile}.\n`,
  );
  return ExitCode.Ok;
}

export async function sysctl(args: string[]): Promise<ExitCode> {
  const { values } = parseOrExplain(options, () => parseArgs({ args, options, strict: true, allowPositionals: false }));
  const settings = readSettings(values);
  if (values.apply) return apply(settings);
  process.stdout.write(fileText(settings));
  return ExitCode.Ok;
}
