// suggestKeepalive: settings from a detection target and/or a middlebox's idle
// timeout. Property-based on generated goals: every suggestion is what
// detectionTime says it is, meets both goals with the kernel's timers as late
// as they can be, is the longest idle that does, and is accepted by
// enableKeepalive unchanged. The lab side (a vanished peer, a NAT, a zero
// window) is test/suggest-lab.test.ts.
import net from 'node:net';
import { once } from 'node:events';
import fc from 'fast-check';
import {
  detectionTime,
  enableKeepalive,
  getKeepalive,
  middleboxPresets,
  suggestKeepalive,
  type KeepaliveGoals,
  type KeepaliveSuggestion,
  type MiddleboxPreset,
} from '../src';
import { MIDDLEBOX_MARGIN, SHORTEST_MIDDLEBOX_TIMEOUT, SHORTEST_TARGET } from '../src/core/suggest';
import { listen } from './helpers/loopback';

const MAX_SECONDS = 32767;
const presets = Object.keys(middleboxPresets) as MiddleboxPreset[];

// ---- the model, written apart from the implementation ----

/** The latest a kernel timer of `ms` fires after it was armed: the wheel's granularity is at most 8/63 of it, plus two ticks. */
const late = (ms: number): number => ms + Math.ceil((ms * 8) / 63) + 20;
/** The latest a dead idle peer is noticed: the idle timer, then `count` interval timers, each as late as it can be. */
const latestDetection = (o: { idle: number; interval: number; count: number }): number => late(o.idle) + o.count * late(o.interval);
/** The latest idle time at which the first probe and, with a count above 1, its repeat have left. */
const lastProbe = (o: { idle: number; interval: number; count: number }): number => late(o.idle) + (o.count > 1 ? late(o.interval) : 0);

const timeoutOf = (behind: MiddleboxPreset | number): number => (typeof behind === 'number' ? behind : middleboxPresets[behind].idleTimeout);

/** Every promise a suggestion makes, checked against the model. */
function checkSuggestion(goals: KeepaliveGoals, suggestion: KeepaliveSuggestion): void {
  const { options } = suggestion;
  // Whole seconds within Linux's limits; count 3 unless the target is too short for it.
  for (const value of [options.idle, options.interval]) {
    expect(Number.isInteger(value / 1000)).toBe(true);
    expect(value).toBeGreaterThanOrEqual(1000);
    expect(value).toBeLessThanOrEqual(MAX_SECONDS * 1000);
  }
  const roomForThree = goals.detectWithin === undefined || goals.detectWithin >= latestDetection({ idle: 1000, interval: 1000, count: 3 });
  expect(options.count).toBe(roomForThree ? 3 : goals.detectWithin! >= latestDetection({ idle: 1000, interval: 1000, count: 2 }) ? 2 : 1);
  // The detection time is detectionTime's, userTimeout or not, and latestDetectionMs the model's.
  expect(suggestion.detectionMs).toBe(detectionTime(options));
  expect(suggestion.detectionMs).toBe(options.idle + options.interval * options.count);
  expect(suggestion.latestDetectionMs).toBe(latestDetection(options));
  if (goals.inFlight) {
    expect(options.userTimeout).toBe(suggestion.detectionMs);
    expect(detectionTime({ idle: options.idle, interval: options.interval, count: options.count })).toBe(suggestion.detectionMs);
  } else {
    expect(options).not.toHaveProperty('userTimeout');
  }
  // Each goal is met with every timer as late as it can be.
  if (goals.detectWithin !== undefined) expect(suggestion.latestDetectionMs).toBeLessThanOrEqual(goals.detectWithin);
  if (goals.behind !== undefined) {
    const timeout = timeoutOf(goals.behind);
    expect(suggestion.middlebox).toEqual({
      preset: typeof goals.behind === 'string' ? goals.behind : null,
      idleTimeoutMs: timeout,
      probedByMs: lastProbe(options),
    });
    expect(lastProbe(options)).toBeLessThanOrEqual(timeout - MIDDLEBOX_MARGIN);
    expect(options.idle).toBeLessThan(timeout);
  } else {
    expect(suggestion).not.toHaveProperty('middlebox');
  }
  // The longest idle that does: one second more breaks a goal, or the limit.
  const longer = { ...options, idle: options.idle + 1000 };
  const breaks =
    longer.idle > MAX_SECONDS * 1000 ||
    (goals.detectWithin !== undefined && latestDetection(longer) > goals.detectWithin) ||
    (goals.behind !== undefined && lastProbe(longer) > timeoutOf(goals.behind) - MIDDLEBOX_MARGIN);
  expect(breaks).toBe(true);
  expect(suggestion.notes.every((note) => typeof note === 'string' && note.endsWith('.'))).toBe(true);
}

// ---- generators ----

const target = fc.oneof(
  { arbitrary: fc.integer({ min: SHORTEST_TARGET, max: 10_000 }), weight: 3 },
  { arbitrary: fc.integer({ min: 10_000, max: 3_600_000 }), weight: 3 },
  { arbitrary: fc.double({ min: SHORTEST_TARGET, max: 200_000_000, noNaN: true }), weight: 1 },
);
const timeout = fc.oneof(
  { arbitrary: fc.constantFrom(...presets), weight: 2 },
  { arbitrary: fc.integer({ min: SHORTEST_MIDDLEBOX_TIMEOUT, max: 30_000 }), weight: 2 },
  { arbitrary: fc.integer({ min: 30_000, max: 7_200_000 }), weight: 2 },
  { arbitrary: fc.double({ min: SHORTEST_MIDDLEBOX_TIMEOUT, max: 100_000_000, noNaN: true }), weight: 1 },
);
const goals: fc.Arbitrary<KeepaliveGoals> = fc
  .record({ detectWithin: fc.option(target, { nil: undefined }), behind: fc.option(timeout, { nil: undefined }), inFlight: fc.option(fc.boolean(), { nil: undefined }) })
  .filter((g) => g.detectWithin !== undefined || g.behind !== undefined)
  .map((g) => Object.fromEntries(Object.entries(g).filter(([, value]) => value !== undefined)) as KeepaliveGoals);

describe('suggestKeepalive on generated goals', () => {
  test('meets every goal, with detectionMs from detectionTime and the longest idle that does', () => {
    fc.assert(
      fc.property(goals, (g) => {
        checkSuggestion(g, suggestKeepalive(g));
      }),
      { numRuns: 3000 },
    );
  });

  test('the options are what enableKeepalive takes and getKeepalive reads back, unchanged', async () => {
    const server = net.createServer((socket) => socket.on('error', () => {}));
    const port = await listen(server);
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    try {
      const samples = fc.sample(goals, { numRuns: 200, seed: 12 });
      for (const g of samples) {
        const { options } = suggestKeepalive(g);
        enableKeepalive(socket, { userTimeout: 0, ...options });
        expect(getKeepalive(socket)).toEqual({ enabled: true, userTimeout: 0, ...options });
      }
    } finally {
      socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('suggestKeepalive: chosen examples (docs/suggest.md shows these)', () => {
  test.each<[KeepaliveGoals, { idle: number; interval: number; count: number; userTimeout?: number }, number]>([
    [{ detectWithin: 6000 }, { idle: 2000, interval: 1000, count: 3 }, 5000],
    [{ detectWithin: 30_000 }, { idle: 14_000, interval: 4000, count: 3 }, 26_000],
    [{ detectWithin: 30_000, behind: 'aws-nlb', inFlight: true }, { idle: 14_000, interval: 4000, count: 3, userTimeout: 26_000 }, 26_000],
    [{ behind: 'aws-nlb' }, { idle: 280_000, interval: 28_000, count: 3 }, 364_000],
    [{ behind: 'azure-lb' }, { idle: 192_000, interval: 19_000, count: 3 }, 249_000],
    [{ behind: 'gcp-cloud-nat' }, { idle: 965_000, interval: 97_000, count: 3 }, 1_256_000],
    [{ behind: 'kube-proxy-ipvs' }, { idle: 724_000, interval: 72_000, count: 3 }, 940_000],
    [{ detectWithin: 3_600_000, behind: 'aws-nlb' }, { idle: 280_000, interval: 28_000, count: 3 }, 364_000],
    [{ detectWithin: SHORTEST_TARGET }, { idle: 1000, interval: 1000, count: 1 }, 2000],
  ])('%j', (g, options, detectionMs) => {
    const suggestion = suggestKeepalive(g);
    expect(suggestion.options).toEqual(options);
    expect(suggestion.detectionMs).toBe(detectionMs);
    checkSuggestion(g, suggestion);
  });

  test('notes say what was chosen for the user', () => {
    expect(suggestKeepalive({ behind: 'aws-nlb' }).notes).toEqual([expect.stringMatching(/^No detection target was given: count 3/)]);
    expect(suggestKeepalive({ detectWithin: 3500 }).notes[0]).toMatch(/room for 2 probes only/);
    expect(suggestKeepalive({ detectWithin: 3_600_000, behind: 'aws-nlb' }).notes[0]).toMatch(
      /^AWS Network Load Balancer \(5m50s\) bounds idle and interval, so a dead peer is noticed sooner than asked: after 6m4s\.$/,
    );
    expect(suggestKeepalive({ detectWithin: 30_000, inFlight: true }).notes.join(' ')).toMatch(/alive but reads nothing/);
    expect(suggestKeepalive({ detectWithin: 30_000 }).notes.join(' ')).toMatch(/inFlight adds a userTimeout/);
  });

  test('every preset is a layer-4 middlebox with its timeout and a source', () => {
    for (const preset of presets) {
      const box = middleboxPresets[preset];
      expect(box.name).not.toBe('');
      expect(box.source).not.toBe('');
      expect(Number.isInteger(box.idleTimeout / 1000)).toBe(true);
    }
    expect(Object.isFrozen(middleboxPresets)).toBe(true);
  });
});

describe('suggestKeepalive: goals it cannot meet are errors, not approximations', () => {
  const rejects = (g: unknown, code: string, message: RegExp): void => {
    expect(() => suggestKeepalive(g as KeepaliveGoals)).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message) }));
  };

  test('a target below the shortest keepalive can give (2294 ms, kernel timers included)', () => {
    rejects({ detectWithin: 2000 }, 'ERR_OUT_OF_RANGE', /^The value of "goals\.detectWithin" is out of range\. It must be >= 2294 and finite .*Received 2000$/);
    rejects({ detectWithin: SHORTEST_TARGET - 1 }, 'ERR_OUT_OF_RANGE', /It must be >= 2294/);
    for (const bad of [0, -1, NaN, Infinity]) rejects({ detectWithin: bad }, 'ERR_OUT_OF_RANGE', /goals\.detectWithin/);
    expect(() => suggestKeepalive({ detectWithin: SHORTEST_TARGET })).not.toThrow();
  });

  test('a middlebox timeout too short for a probe and its repeat with the margin (4294 ms)', () => {
    rejects({ behind: 500 }, 'ERR_OUT_OF_RANGE', /"goals\.behind" is out of range\. It must be >= 4294 and finite/);
    rejects({ behind: SHORTEST_MIDDLEBOX_TIMEOUT - 1 }, 'ERR_OUT_OF_RANGE', /4294/);
    expect(() => suggestKeepalive({ behind: SHORTEST_MIDDLEBOX_TIMEOUT })).not.toThrow();
  });

  test('an unknown preset names the presets; a layer-7 proxy says why none applies', () => {
    rejects({ behind: 'aws-elb' }, 'ERR_INVALID_ARG_VALUE', new RegExp(`must be a middlebox's idle timeout in ms or one of ${presets.join(', ')}\\. Received 'aws-elb'$`));
    rejects({ behind: 'aws-alb' }, 'ERR_INVALID_ARG_VALUE', /names no preset: an AWS Application Load Balancer is an HTTP proxy/);
    rejects({ behind: 'aws-clb' }, 'ERR_INVALID_ARG_VALUE', /Classic Load Balancer counts only data/);
    rejects({ behind: 'cloudflare' }, 'ERR_INVALID_ARG_VALUE', /Cloudflare's documented limits .* are HTTP limits/);
    rejects({ behind: 'toString' }, 'ERR_INVALID_ARG_VALUE', /one of aws-nlb/);
  });

  test('wrong types, unknown goals, no goal', () => {
    rejects(undefined, 'ERR_INVALID_ARG_TYPE', /The "goals" argument must be of type object/);
    rejects(30000, 'ERR_INVALID_ARG_TYPE', /The "goals" argument/);
    rejects({ detectWithin: '30s' }, 'ERR_INVALID_ARG_TYPE', /"goals\.detectWithin" property must be of type number/);
    rejects({ behind: true }, 'ERR_INVALID_ARG_TYPE', /"goals\.behind" property must be of type string or number/);
    rejects({ detectWithin: 30000, inFlight: 'yes' }, 'ERR_INVALID_ARG_TYPE', /"goals\.inFlight" property must be of type boolean/);
    rejects({ detectWithn: 30000 }, 'ERR_INVALID_ARG_VALUE', /The property 'goals\.detectWithn' is not a goal \(expected detectWithin, behind, inFlight\)/);
    rejects({}, 'ERR_MISSING_OPTION', /^goals\.detectWithin or goals\.behind is required/);
    rejects({ inFlight: true }, 'ERR_MISSING_OPTION', /goals\.detectWithin or goals\.behind/);
  });
});
