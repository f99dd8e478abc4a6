// Keepalive settings from what the user wants rather than from three numbers:
// a dead peer noticed within some time, a middlebox on the path kept from
// forgetting an idle connection, or both. docs/suggest.md explains each rule.
import { backend } from './backend';
import { detectionTime } from './defaults';
import { formatDuration } from './duration';
import { featureUnavailable, invalidArgType, invalidArgValue, missingOption, outOfRange } from './errors';
import { OPTION_SPEC, userMax } from './options';
import { middleboxPresets, type MiddleboxPreset } from './presets';

export { middleboxPresets, type Middlebox, type MiddleboxPreset } from './presets';

/**
 * Names a user may reach for that are proxies at layer 7: they count only
 * payload as activity, so no keepalive setting keeps their connections.
 */
export const layer7Proxies: Readonly<Record<string, string>> = {
  'aws-alb': 'an AWS Application Load Balancer is an HTTP proxy: its idle timeout counts only data, which keepalive probes do not carry',
  'aws-clb':
    'an AWS Classic Load Balancer counts only data as activity (its guide: TCP keep-alive probes do not prevent it from ending the connection)',
  cloudflare:
    "Cloudflare's documented limits (400 s towards clients, 900 s towards origins) are HTTP limits of its proxy: keepalive probes do not reset them",
};

/** What suggestKeepalive is asked for. At least one of detectWithin and behind. */
export interface KeepaliveGoals {
  /**
   * Milliseconds within which a dead peer of an idle connection must be
   * noticed, however late the kernel's timers fire. At least 2294.
   */
  detectWithin?: number | undefined;
  /**
   * The middlebox on the path that forgets idle connections: a preset, or
   * its idle timeout in milliseconds (at least 4294). The first probe, and
   * its repeat should it be lost, leave at least 2 s before it.
   */
  behind?: MiddleboxPreset | number | undefined;
  /**
   * Also notice a dead peer while sent data waits for an acknowledgement
   * (where keepalive does not probe): adds `userTimeout` (Linux). Its hazard:
   * a live peer that stops reading for that long is cut off too.
   */
  inFlight?: boolean | undefined;
}

/** The options a suggestion sets: always idle, interval and count; userTimeout with `inFlight`. */
export interface SuggestedOptions {
  idle: number;
  interval: number;
  count: number;
  userTimeout?: number;
}

export interface KeepaliveSuggestion {
  /** For enableKeepalive: whole seconds, within the platform's limits. */
  options: SuggestedOptions;
  /** detectionTime(options): when an idle connection's dead peer is noticed, by the settings' own arithmetic. */
  detectionMs: number;
  /** The latest it can be noticed: detectionMs plus what late kernel timers can add. At most detectWithin. */
  latestDetectionMs: number;
  /** With `behind`: the middlebox, and the idle time by which the probes that keep it have left. */
  middlebox?: {
    preset: MiddleboxPreset | null;
    idleTimeoutMs: number;
    /** The latest idle time at which the first probe, and its repeat if the first is lost, have left: at most idleTimeoutMs − 2000. */
    probedByMs: number;
  };
  /** Why the settings are what they are, where a choice was made for the user: sentences. */
  notes: string[];
}

const SECOND = 1000;
/**
 * How late a kernel timer of `ms` can fire, at most: the timer wheel
 * (kernel/time/timer.c) rounds an expiry up to its level's granularity, at
 * most 8/63 of the timeout (a level's granularity over its shortest
 * timeout), plus a tick or two of jiffies (20 ms, HZ >= 100). Measured: an
 * idle of 19 s probed at 20.66 s (HZ 250, granularity 2.048 s).
 */
export const timerLateness = (ms: number): number => Math.ceil((ms * 8) / 63) + 20;
/** Room left between the last probe and the middlebox's timeout: network delay, its clock, and ours. */
export const MIDDLEBOX_MARGIN = 2000;
/** Probes before a dead peer is declared: one lost probe or answer is not enough. */
const COUNT = 3;

interface Split {
  idle: number;
  interval: number;
  count: number;
}

/** The latest a dead idle peer is noticed with these settings (no userTimeout): every timer late by its most. */
function latest({ idle, interval, count }: Split): number {
  return idle + timerLateness(idle) + count * (interval + timerLateness(interval));
}

/** The latest idle time by which the first probe and (with count >= 2) its repeat have left. */
function probedBy({ idle, interval, count }: Split): number {
  const first = idle + timerLateness(idle);
  return count >= 2 ? first + interval + timerLateness(interval) : first;
}

/** The largest whole number of seconds s in [1, max] with fits(s), or 0 if none: fits is monotone (true, then false). */
function largestSeconds(max: number, fits: (ms: number) => boolean): number {
  let low = 0;
  let high = max;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (fits(middle * SECOND)) low = middle;
    else high = middle - 1;
  }
  return low * SECOND;
}

const goalNames = ['detectWithin', 'behind', 'inFlight'];
const presetNames = Object.keys(middleboxPresets) as MiddleboxPreset[];
const hasOwn = Object.prototype.hasOwnProperty;

/** The platform's limits for idle/interval (ms) and count, and whether it has TCP_USER_TIMEOUT. */
function platformLimits(inFlight: boolean): { idleMax: number; intervalMax: number; countMax: number } {
  const { platform } = backend();
  const needed = [OPTION_SPEC.idle, OPTION_SPEC.interval, OPTION_SPEC.count, ...(inFlight ? [OPTION_SPEC.userTimeout] : [])];
  const missing = needed
    .filter((spec) => platform.optionNames[spec.native] === null)
    .map((spec) => `${spec.socketOption} (${spec.key === 'userTimeout' ? 'goals.inFlight' : `options.${spec.key}`})`);
  if (missing.length > 0) throw featureUnavailable(missing, platform.missingReason);
  return {
    idleMax: userMax(platform, OPTION_SPEC.idle),
    intervalMax: userMax(platform, OPTION_SPEC.interval),
    countMax: userMax(platform, OPTION_SPEC.count),
  };
}

/** The shortest target keepalive can meet with `count` probes: idle and interval of 1 s, timers late. */
const shortestTarget = (count: number): number => latest({ idle: SECOND, interval: SECOND, count });
/** The shortest middlebox timeout a probe and its repeat (1 s apart) can keep, with the margin. */
const shortestTimeout = probedBy({ idle: SECOND, interval: SECOND, count: 2 }) + MIDDLEBOX_MARGIN;

export const SHORTEST_TARGET = shortestTarget(1);
export const SHORTEST_MIDDLEBOX_TIMEOUT = shortestTimeout;

function readTarget(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw invalidArgType('goals.detectWithin', 'of type number', value);
  if (!(value >= SHORTEST_TARGET && value < Infinity)) {
    throw outOfRange(
      'goals.detectWithin',
      `>= ${SHORTEST_TARGET} and finite (the shortest keepalive, idle 1 s + 1 probe × 1 s, noticed by ${SHORTEST_TARGET} ms at the latest: kernel timers fire up to 1/8 late)`,
      value,
    );
  }
  return value;
}

function readMiddlebox(value: unknown): { preset: MiddleboxPreset | null; timeout: number } | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') {
    if (hasOwn.call(middleboxPresets, value)) {
      return { preset: value as MiddleboxPreset, timeout: middleboxPresets[value as MiddleboxPreset].idleTimeout };
    }
    if (hasOwn.call(layer7Proxies, value)) {
      throw invalidArgValue('goals.behind', value, `names no preset: ${layer7Proxies[value]}. Send data (an application ping) instead`);
    }
    throw invalidArgValue('goals.behind', value, `must be a middlebox's idle timeout in ms or one of ${presetNames.join(', ')}`);
  }
  if (typeof value !== 'number') throw invalidArgType('goals.behind', 'of type string or number', value);
  if (!(value >= shortestTimeout && value < Infinity)) {
    throw outOfRange(
      'goals.behind',
      `>= ${shortestTimeout} and finite (a probe and its repeat 1 s later, each up to 1/8 late, ${MIDDLEBOX_MARGIN} ms before the middlebox forgets)`,
      value,
    );
  }
  return { preset: null, timeout: value };
}

/** " (AWS Network Load Balancer, 350 s)" or " (idle timeout 20 s)". */
function describeMiddlebox(middlebox: { preset: MiddleboxPreset | null; timeout: number }): string {
  const seconds = formatDuration(middlebox.timeout);
  return middlebox.preset === null ? `the middlebox (idle timeout ${seconds})` : `${middleboxPresets[middlebox.preset].name} (${seconds})`;
}

/**
 * Keepalive options for what the user wants: a dead peer of an idle
 * connection noticed within `detectWithin` ms, and/or the middlebox named by
 * `behind` (a preset or its idle timeout in ms) kept from forgetting the
 * connection. Whole seconds, within the platform's limits; count 3 unless the
 * target is too short for it. The detection they give is computed by
 * detectionTime; `latestDetectionMs` adds the most late kernel timers can add,
 * and never exceeds the target. With `inFlight`, `userTimeout` equals the
 * detection time, so that data waiting for an acknowledgement is bounded too.
 *
 * @throws {TypeError} `ERR_INVALID_ARG_TYPE`, `ERR_INVALID_ARG_VALUE` (an unknown goal or preset), `ERR_MISSING_OPTION` (neither goal)
 * @throws {RangeError} `ERR_OUT_OF_RANGE` (a target or timeout that keepalive cannot meet)
 * @throws {TypeError} `ERR_FEATURE_UNAVAILABLE_ON_PLATFORM` (an option the platform cannot set)
 */
export function suggestKeepalive(goals: KeepaliveGoals): KeepaliveSuggestion {
  if (typeof goals !== 'object' || goals === null || Array.isArray(goals)) throw invalidArgType('goals', 'of type object', goals);
  const record = goals as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!goalNames.includes(key)) {
      throw invalidArgValue(`goals.${key}`, record[key], `is not a goal (expected ${goalNames.join(', ')})`);
    }
  }
  const target = readTarget(record.detectWithin);
  const middlebox = readMiddlebox(record.behind);
  const { inFlight } = record;
  if (inFlight !== undefined && typeof inFlight !== 'boolean') throw invalidArgType('goals.inFlight', 'of type boolean', inFlight);
  if (target === undefined && middlebox === undefined) {
    throw missingOption('goals.detectWithin or goals.behind', 'to suggest settings: a detection time, a middlebox, or both');
  }
  const limits = platformLimits(inFlight === true);
  const notes: string[] = [];

  // Count: 3 where the target leaves room for them, fewer only for the shortest targets.
  let count = COUNT;
  if (target !== undefined) {
    while (count > 1 && shortestTarget(count) > target) count--;
  }
  count = Math.min(count, limits.countMax);

  // Interval: from the target, a sixth of it less the timers' lateness (half
  // the time for idleness, half for `count` probes); from a middlebox, a tenth
  // of the longest idle it allows. The shorter of the two.
  const intervals: number[] = [];
  if (target !== undefined) intervals.push(Math.max(SECOND, Math.floor((target * 4) / (9 * count) / SECOND) * SECOND));
  if (middlebox !== undefined) {
    const deadline = middlebox.timeout - MIDDLEBOX_MARGIN;
    const intervalFor = (idle: number): number => Math.max(SECOND, Math.round(idle / 10 / SECOND) * SECOND);
    const middleboxIdle = largestSeconds(limits.idleMax / SECOND, (idle) => probedBy({ idle, interval: intervalFor(idle), count: COUNT }) <= deadline);
    intervals.push(intervalFor(middleboxIdle));
  }
  const interval = Math.min(...intervals, limits.intervalMax);

  // Idle: as long as both goals allow, so that a live connection is probed as seldom as possible.
  const fits = (idle: number): boolean =>
    (target === undefined || latest({ idle, interval, count }) <= target) &&
    (middlebox === undefined || probedBy({ idle, interval, count }) <= middlebox.timeout - MIDDLEBOX_MARGIN);
  const idle = largestSeconds(limits.idleMax / SECOND, fits);
  // Each goal alone was checked to allow idle 1 s with this interval or a longer one.
  if (idle < SECOND) throw new Error(`no idle fits (interval ${interval}, count ${count}): a bug in suggestKeepalive`);

  const options: SuggestedOptions = { idle, interval, count };
  const split = { idle, interval, count };
  const detectionMs = detectionTime(options);
  if (inFlight === true) options.userTimeout = detectionMs;

  if (count < COUNT) {
    notes.push(
      `A target this short leaves room for ${count} probe${count === 1 ? '' : 's'} only: ` +
        `${count === 1 ? 'one lost probe or answer' : 'two lost probes in a row'} drop${count === 1 ? 's' : ''} a live connection.`,
    );
  }
  if (target === undefined && middlebox !== undefined) {
    notes.push(
      `No detection target was given: count ${count} and an interval of a tenth of the idle, ` +
        `so a dead peer is noticed after ${formatDuration(detectionMs)} (by ${formatDuration(latest(split))} at the latest).`,
    );
  }
  const longer = { ...split, idle: idle + SECOND };
  const boundByMiddlebox =
    middlebox !== undefined &&
    idle < limits.idleMax &&
    probedBy(longer) > middlebox.timeout - MIDDLEBOX_MARGIN &&
    (target === undefined || latest(longer) <= target);
  if (target !== undefined && middlebox !== undefined && (boundByMiddlebox || interval < intervals[0])) {
    const who = describeMiddlebox(middlebox);
    notes.push(
      `${who[0].toUpperCase()}${who.slice(1)} bounds idle and interval, so a dead peer is noticed sooner than asked: after ${formatDuration(detectionMs)}.`,
    );
  }
  if (inFlight === true) {
    notes.push(
      `userTimeout ${formatDuration(detectionMs)} also ends a connection whose peer is alive but reads nothing for that long ` +
        '(its receive window stays closed): use it only where peers always read.',
    );
  } else if (target !== undefined) {
    notes.push(
      'While sent data waits for an acknowledgement, keepalive does not probe: a dead peer is then noticed only when ' +
        'retransmissions give up (about 15 minutes with Linux defaults). inFlight adds a userTimeout that bounds it.',
    );
  }

  const suggestion: KeepaliveSuggestion = { options, detectionMs, latestDetectionMs: latest(split), notes };
  if (middlebox !== undefined) {
    suggestion.middlebox = { preset: middlebox.preset, idleTimeoutMs: middlebox.timeout, probedByMs: probedBy(split) };
  }
  return suggestion;
}
