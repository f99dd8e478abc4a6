// The idle-timeout search on its own: which idles it probes, on which
// connection, and what it concludes, against simulated paths (a NAT that
// forgets after a set time, servers that close or probe by themselves).
import {
  allowedWidth,
  candidates,
  defaultPrecision,
  finished,
  IdleSearch,
  nextIdle,
  planProbes,
  suggestion,
  type SearchConfig,
} from '../src/tools/cli/idle-search';
import { simulate, type Simulation } from './helpers/simulated-path';

const s = 1000;
const config = (overrides: Partial<SearchConfig> = {}): SearchConfig => ({
  max: 900 * s,
  precision: defaultPrecision,
  connections: 8,
  timeLimit: 4 * 900 * s + 60 * s,
  ...overrides,
});

/** The bounds contain the timeout, and are as close as the precision asks (or whole seconds allow). */
function expectFound(simulation: Simulation, timeout: number): void {
  const { result } = simulation;
  expect(['precision', 'granularity']).toContain(result.ending);
  expect(result.lowerMs).toBeLessThanOrEqual(timeout);
  expect(result.upperMs).not.toBeNull();
  expect(result.upperMs as number).toBeGreaterThanOrEqual(timeout);
  const width = (result.upperMs as number) - result.lowerMs;
  if (result.ending === 'precision') expect(width).toBeLessThanOrEqual(result.allowedWidthMs);
  // Granularity: no whole second left strictly inside, so hardly more than one second apart.
  else expect(width).toBeLessThan(2 * s);
}

describe('bounds and what is left to probe', () => {
  test('the precision: the larger of 2 s and 10 % of the lower bound by default', () => {
    expect(allowedWidth(0, defaultPrecision)).toBe(2 * s);
    expect(allowedWidth(19 * s, defaultPrecision)).toBe(2 * s);
    expect(allowedWidth(45 * s, defaultPrecision)).toBe(4.5 * s);
    expect(allowedWidth(45 * s, { absolute: 1 * s, relative: 0 })).toBe(1 * s);
    expect(allowedWidth(300 * s, { absolute: 0, relative: 0.05 })).toBe(15 * s);
  });

  test('candidates: whole seconds at least half a second inside the bounds, up to --max', () => {
    expect(candidates(0, null, 5 * s)).toEqual([1, 2, 3, 4, 5].map((n) => n * s));
    expect(candidates(18_990, 30_060, 900 * s)).toEqual([20, 21, 22, 23, 24, 25, 26, 27, 28, 29].map((n) => n * s));
    // An answer after 19 s and no answer after 20 s: nothing left between.
    expect(candidates(18_990, 20_060, 900 * s)).toEqual([]);
    expect(candidates(899_990, null, 900 * s)).toEqual([]);
  });

  test('finished: the precision met, no whole second left, or --max answered', () => {
    expect(finished(0, null, 900 * s, defaultPrecision)).toBeNull();
    expect(finished(18_990, 20_060, 900 * s, defaultPrecision)).toBe('precision');
    expect(finished(18_990, 20_060, 900 * s, { absolute: 0, relative: 0.01 })).toBe('granularity');
    expect(finished(18_990, 30_060, 900 * s, defaultPrecision)).toBeNull();
    expect(finished(899_990, null, 900 * s, defaultPrecision)).toBe('at least max');
    // A timeout under keepalive's shortest idle: the first probe, after 1 s, already unanswered.
    expect(finished(0, 1_060, 900 * s, defaultPrecision)).toBe('precision');
  });

  test('suggestion: three quarters of the lower bound, and an interval that repeats a lost probe before it', () => {
    expect(suggestion(18_990)).toEqual({ idleMs: 14 * s, intervalMs: 2 * s });
    expect(suggestion(44_010)).toEqual({ idleMs: 33 * s, intervalMs: 5 * s });
    expect(suggestion(899_990)).toEqual({ idleMs: 674 * s, intervalMs: 112 * s });
    expect(suggestion(1_300)).toBeNull();
  });
});

describe('planning', () => {
  test('nextIdle: --max first (while the upper bound is unknown), then the stretch narrowed most per second waited', () => {
    expect(nextIdle(0, null, 900 * s, 0, new Set())).toBe(900 * s);
    // Between 1 s and 900 s by ratio: the middle is 30 s.
    expect(nextIdle(0, null, 900 * s, 0, new Set([900 * s]))).toBe(30 * s);
    // Without --max first (too few connections to spare one): the middle of everything.
    expect(nextIdle(0, null, 900 * s, 0, new Set(), false)).toBe(30 * s);
    // Cheap probes are worth more: the stretch under 30 s before the one above it.
    expect(nextIdle(0, null, 900 * s, 0, new Set([30 * s, 900 * s]))).toBe(5 * s);
    // Bounds close together: by length, the middle.
    expect(nextIdle(18_990, 30_060, 900 * s, 0, new Set())).toBe(25 * s);
    // A connection already idle 27 s can only probe above that.
    expect(nextIdle(18_990, 30_060, 900 * s, 27_300, new Set())).toBe(29 * s);
    expect(nextIdle(18_990, 30_060, 900 * s, 29_500, new Set())).toBeNull();
    expect(nextIdle(18_990, 20_060, 900 * s, 0, new Set())).toBeNull();
  });

  test('planProbes: opens up to the limit; first probes cheap ones, and --max', () => {
    const first = planProbes({ lower: 0, upper: null, max: 900 * s, connections: 8, live: [] });
    expect(first).toEqual({ targets: new Map(), close: [], open: 8 });
    const live = Array.from({ length: 8 }, (_, index) => ({ id: index + 1, age: 0, target: null }));
    const { targets, close, open } = planProbes({ lower: 0, upper: null, max: 900 * s, connections: 8, live });
    expect({ close, open }).toEqual({ close: [], open: 0 });
    const idles = [...targets.values()].map(Number).sort((a, b) => a - b);
    expect(new Set(idles).size).toBe(8);
    // Short idles answer soon, and their connections move up; the longer ones are probed later.
    expect(idles).toEqual([1, 2, 3, 4, 5, 12, 30, 900].map((n) => n * s));
  });

  test('planProbes: targets stay while worth probing; armed ones are not the planner\'s; connections past every idle are closed and replaced', () => {
    const plan = planProbes({
      lower: 18_990,
      upper: 30_060,
      max: 900 * s,
      connections: 4,
      live: [
        { id: 1, age: 25_000, target: 27 * s },
        { id: 2, age: 10_000, target: 29 * s, armed: true },
        { id: 3, age: 31_000, target: null },
        { id: 4, age: 2_000, target: 60 * s },
      ],
    });
    expect(plan.targets.get(1)).toBe(27 * s);
    expect(plan.targets.has(2)).toBe(false);
    expect(plan.close).toEqual([3]);
    // 60 s is past the upper bound now: a new idle inside the bounds.
    expect(plan.targets.get(4)).toBeGreaterThan(19 * s);
    expect(plan.targets.get(4)).toBeLessThan(27 * s);
    expect(plan.open).toBe(1);
  });
});

describe('against a simulated NAT', () => {
  // Timeouts met in the wild among them: 30 s, 60 s, 350 s (a cloud NAT gateway), 4 min (a cloud load balancer).
  test.each([1.5, 4, 7, 20, 30, 45, 60, 120, 240, 350, 899].map((seconds) => seconds * s))(
    'a NAT that forgets after %i ms: found within the precision, on at most 8 connections, in less than 3 × the timeout',
    (timeout) => {
      const simulation = simulate({ timeout }, config());
      expectFound(simulation, timeout);
      expect(simulation.mostOpen).toBeLessThanOrEqual(8);
      expect(simulation.result.mostAtOnce).toBeLessThanOrEqual(8);
      expect(simulation.elapsed).toBeLessThan(3 * timeout + 10 * s);
    },
  );

  test.each([
    [20 * s, 300],
    [45 * s, 150],
    [350 * s, 300],
  ])('timeout %i ms, round trip %i ms: found all the same', (timeout, rtt) => {
    expectFound(simulate({ timeout, rtt }, config()), timeout);
  });

  test.each([1, 2, 4])('with %i connections: found, slower', (connections) => {
    for (const timeout of [20 * s, 45 * s]) {
      const simulation = simulate({ timeout }, config({ connections }));
      expectFound(simulation, timeout);
      expect(simulation.mostOpen).toBeLessThanOrEqual(connections);
    }
  });

  test('a precision of 30 s takes fewer probes; of 1 %, as close as whole seconds allow', () => {
    const coarse = simulate({ timeout: 120 * s }, config({ precision: { absolute: 30 * s, relative: 0 } }));
    const fine = simulate({ timeout: 120 * s }, config({ precision: { absolute: 0, relative: 0.01 } }));
    expectFound(coarse, 120 * s);
    expectFound(fine, 120 * s);
    expect((coarse.result.upperMs as number) - coarse.result.lowerMs).toBeLessThanOrEqual(30 * s);
    expect((fine.result.upperMs as number) - fine.result.lowerMs).toBeLessThanOrEqual(3 * s);
    expect(coarse.result.probes.length).toBeLessThan(fine.result.probes.length);
  });

  test('a path that keeps idle connections longer than --max: at least --max, after --max', () => {
    for (const timeout of [Infinity, 61 * s]) {
      const { result, elapsed } = simulate({ timeout }, config({ max: 60 * s }));
      expect(result.ending).toBe('at least max');
      expect(result.upperMs).toBeNull();
      expect(result.lowerMs).toBeGreaterThan(59.9 * s);
      expect(elapsed).toBeLessThan(62 * s);
    }
  });

  test('a server that closes connections after 20 s, whatever keepalive does: ended, how and when', () => {
    const { result, elapsed } = simulate({ timeout: Infinity, serverCloseAfter: 20 * s }, config());
    expect(result.ending).toBe('ended');
    expect(result.endedBy).toEqual({ how: 'closed', openMs: expect.any(Number), idleMs: expect.any(Number) });
    expect(Math.abs((result.endedBy?.openMs as number) - 20 * s)).toBeLessThan(100);
    expect(elapsed).toBeLessThan(21 * s);
  });

  test('a server that probes by itself every 10 s (its own keepalive): peer active, at least 10 s', () => {
    const { result, elapsed } = simulate({ timeout: 30 * s, serverKeepalive: 10 * s }, config());
    expect(result.ending).toBe('peer active');
    expect(result.lowerMs).toBeGreaterThan(9.9 * s);
    expect(result.probes).toEqual(expect.arrayContaining([expect.objectContaining({ outcome: 'spoke unasked' })]));
    expect(elapsed).toBeLessThan(25 * s);
  });

  test('the time limit ends the search with the bounds so far', () => {
    const { result, elapsed } = simulate({ timeout: 300 * s }, config({ timeLimit: 100 * s }));
    expect(result.ending).toBe('time limit');
    expect(elapsed).toBeLessThanOrEqual(100 * s + 50);
    expect(result.lowerMs).toBeGreaterThan(30 * s);
    expect(result.lowerMs).toBeLessThanOrEqual(300 * s);
  });
});

describe('IdleSearch, step by step', () => {
  test('answered, armed again, unanswered: the bounds, the actions, stop()', () => {
    const search = new IdleSearch(config({ connections: 1 }), 0);
    const opened = search.tick(0);
    expect(opened.open).toEqual([1]);
    search.connected(1, 10, { heardAt: 10, probes: 0, rtt: 1 });
    expect(search.tick(10).arm).toEqual([]);
    // A single connection bisects everything: its first idle is 30 s, armed 600 ms ahead.
    expect(search.nextProbe()).toEqual({ at: 30_010, idle: 30 * s });
    expect(search.tick(29_000).arm).toEqual([]);
    expect(search.tick(29_410).arm).toEqual([{ id: 1, idle: 30 * s }]);
    // The answer: heard from 30.001 s after the SYN-ACK.
    search.observe(1, 30_050, { heardAt: 30_011, probes: 0, rtt: 1 });
    const answered = search.tick(30_050);
    expect(answered.park).toEqual([1]);
    expect(answered.events).toEqual([
      { kind: 'answered', id: 1, at: 30_050, idle: 30_001, probed: true, lower: 29_990, upper: null },
    ]);
    // Next, higher up; armed, the probe goes out and nothing comes back.
    const next = search.nextProbe() as { at: number; idle: number };
    expect(next.idle).toBeGreaterThan(30 * s);
    const armedAt = next.at - 600;
    expect(search.tick(armedAt).arm).toEqual([{ id: 1, idle: next.idle }]);
    search.observe(1, next.at + 20, { heardAt: 30_011, probes: 1, rtt: 1 });
    expect(search.tick(next.at + 20).close).toEqual([]);
    search.observe(1, next.at + 1000, { heardAt: 30_011, probes: 1, rtt: 1 });
    expect(search.tick(next.at + 1000).close).toEqual([]);
    const forgotten = search.tick(next.at + 1525);
    expect(forgotten.close).toEqual([{ id: 1, reset: true }]);
    expect(forgotten.events).toEqual([
      expect.objectContaining({ kind: 'forgotten', id: 1, how: 'unanswered', idle: next.at + 20 - 30_011, upper: next.at + 20 - 30_011 + 11 }),
    ]);
    expect(forgotten.open).toEqual([2]);
    search.stop();
    const stopped = search.tick(next.at + 2000);
    expect(stopped.ending).toBe('stopped');
    expect(search.result(next.at + 2000)).toMatchObject({ ending: 'stopped', lowerMs: 29_990, connectionsUsed: 2, mostAtOnce: 1 });
  });

  test('a reset in answer to a probe is the path forgetting; one with no probe due ends the search', () => {
    const search = new IdleSearch(config({ connections: 2 }), 0);
    const ids = search.tick(0).open;
    for (const id of ids) search.connected(id, 0, { heardAt: 0, probes: 0, rtt: 1 });
    search.tick(0);
    const target = (search.nextProbe() as { idle: number }).idle;
    const [armed] = search.tick(target - 500).arm;
    const other = ids.find((id) => id !== armed.id) as number;
    // A reset right after the probe left, before any poll saw it outstanding.
    search.ended(armed.id, target + 2, 'reset');
    const actions = search.tick(target + 50);
    expect(actions.events).toEqual([expect.objectContaining({ kind: 'forgotten', id: armed.id, how: 'reset', upper: target + 2 + 11 })]);
    expect(actions.ending).toBeNull();
    // The other connection, idle past the new upper bound, is of no more use.
    expect(actions.close).toEqual([{ id: other, reset: false }]);

    const second = new IdleSearch(config(), 0);
    const [first] = second.tick(0).open;
    second.connected(first, 10, { heardAt: 10, probes: 0, rtt: 1 });
    second.tick(10);
    second.ended(first, 3_010, 'closed');
    expect(second.tick(3_050).ending).toBe('ended');
    expect(second.result(3_050).endedBy).toEqual({ how: 'closed', openMs: 3_000, idleMs: 3_000 });
  });

  test('data from the server right after it accepts (a banner) starts the idle; later, it counts as speaking unasked', () => {
    const search = new IdleSearch(config(), 0);
    const [id] = search.tick(0).open;
    search.connected(id, 5, { heardAt: 5, probes: 0, rtt: 1 });
    search.observe(id, 60, { heardAt: 55, probes: 0, rtt: 1, data: true });
    expect(search.tick(60).events).toEqual([]);
    search.observe(id, 5_100, { heardAt: 5_055, probes: 0, rtt: 1, data: true });
    expect(search.tick(5_100).events).toEqual([expect.objectContaining({ kind: 'answered', probed: false, idle: 5_000 })]);
    // The ACK of the banner may have left 200 ms after it: the lower bound allows for it.
    expect(search.bounds.lower).toBe(5_000 - 10 - 1 - 200);
  });
});
