// The search behind `tcp-keepalive idle-timeout`: which idle times to probe,
// on which connection, and what each answer says about how long the path
// keeps an idle connection. No sockets and no clock here: the command feeds
// in what it observes, with the time, and carries out the actions returned;
// the tests feed in a simulated path.
//
// What the observations mean (Linux):
// - A connection's idle time runs from when the peer was last heard from
//   (TCP_INFO's last ACK or data received): the keepalive timer counts from
//   there, and so does a middlebox's timer, refreshed by that packet.
// - A connection waits "parked" (idle far beyond any probe), and is armed
//   with TCP_KEEPIDLE = the wanted idle shortly before it is reached: Linux
//   then re-arms the keepalive timer for the remaining time, which is short,
//   so the probe leaves on time (a timer armed for the whole idle may fire
//   late by up to an eighth of it: the timer wheel's granularity).
// - The peer heard from again after an idle of g: the path kept the
//   connection at least g. The peer's answer also refreshed the path's state,
//   so the connection starts a new idle and can be probed again.
// - A probe outstanding (TCP_INFO's probes) without an answer for a while,
//   or a connection that dies once probed (RST, ETIMEDOUT): the path forgot
//   it (a NAT or firewall dropped the probe, the server never saw it). The
//   probe's idle is an upper bound; the connection is closed.
// - A connection that ends with no probe outstanding (the server's own
//   timeout, say), or a server that speaks by itself again and again (its own
//   keepalive), ends the search: idle connections to it end, or are kept
//   busy, whatever the path does.

/** The width the bounds should reach: the larger of `absolute` ms and `relative` × the lower bound. */
export interface Precision {
  absolute: number;
  relative: number;
}

/** By default the larger of 2 s and 10 % of the timeout. */
export const defaultPrecision: Precision = { absolute: 2000, relative: 0.1 };

/** Keepalive's idle is whole seconds: probes can only be made at these steps. */
export const IDLE_STEP = 1000;

/** A probe is only worth making this far inside the bounds (measures carry a few ms of error, polls up to 50 ms). */
const INSIDE = 500;

/** How far a measure can be off, besides a round trip: the kernel's clock ticks (up to 10 ms). */
const CLOCK_ERROR = 10;

/** A delayed ACK leaves at most this long after the data it acknowledges (TCP_DELACK_MAX). */
const DELAYED_ACK = 200;

export function allowedWidth(lower: number, precision: Precision): number {
  return Math.max(precision.absolute, precision.relative * lower);
}

/**
 * The idle times (ms, whole seconds) still worth probing: far enough inside
 * (lower, upper) to move a bound, and at most `max`. Empty when the bounds
 * cannot be narrowed any further (or, without an upper bound, when `max` was
 * reached).
 */
export function candidates(lower: number, upper: number | null, max: number): number[] {
  const first = Math.max(IDLE_STEP, Math.ceil((lower + INSIDE) / IDLE_STEP) * IDLE_STEP);
  const last = Math.min(max, upper === null ? max : Math.floor((upper - INSIDE) / IDLE_STEP) * IDLE_STEP);
  const steps: number[] = [];
  for (let idle = first; idle <= last; idle += IDLE_STEP) steps.push(idle);
  return steps;
}

/** Whether the bounds answer the question, and why; null while the search must go on. */
export function finished(
  lower: number,
  upper: number | null,
  max: number,
  precision: Precision,
): 'precision' | 'granularity' | 'at least max' | null {
  if (upper !== null && upper - lower <= allowedWidth(lower, precision)) return 'precision';
  if (candidates(lower, upper, max).length > 0) return null;
  return upper === null ? 'at least max' : 'granularity';
}

/** A connection as the planner sees it. */
export interface PlannedConnection {
  id: number;
  /** ms since the peer was last heard from on it (0 while it connects). */
  age: number;
  /** The idle of its next probe (ms), if it has one; armed: no longer the planner's to change. */
  target: number | null;
  armed?: boolean;
}

export interface PlanInput {
  lower: number;
  upper: number | null;
  max: number;
  /** Most connections at once. */
  connections: number;
  live: readonly PlannedConnection[];
}

export interface Plan {
  /** The next probe's idle for each connection not armed, or null: kept in reserve, unprobed. */
  targets: Map<number, number | null>;
  /** Connections that can no longer be probed usefully (idle past every candidate). */
  close: number[];
  /** New connections to open now. */
  open: number;
}

/** Whether stretches are compared by ratio (the upper bound unknown or many times the lower) or by length. */
function byRatio(lower: number, upper: number | null): boolean {
  return upper === null || upper > 4 * Math.max(lower, IDLE_STEP);
}

/**
 * The next idle to probe for a connection `age` ms idle, given the idles the
 * other connections will probe (`taken`), in whole seconds: the middle of
 * the stretch still unprobed, within the connection's reach (not below its
 * idle), that a probe narrows most per second waited for it. Stretches are
 * measured as ratios while the bounds are far apart, as lengths once close.
 * With `maxFirst` (enough connections to spare one) and no upper bound yet,
 * --max itself comes first, so that a path keeping connections longer is
 * noticed at once. Null: nothing left for this connection.
 */
export function nextIdle(
  lower: number,
  upper: number | null,
  max: number,
  age: number,
  taken: ReadonlySet<number>,
  maxFirst = true,
): number | null {
  const steps = candidates(lower, upper, max);
  if (steps.length === 0) return null;
  const first = steps[0];
  const last = steps[steps.length - 1];
  if (maxFirst && upper === null && !taken.has(last) && age <= last) return last;
  const ratio = byRatio(lower, upper);
  // Edges of the unprobed stretches: the bounds, and the idles taken.
  const inside = [...taken].filter((idle) => idle >= first && idle <= last).sort((a, b) => a - b);
  const edges = [first - IDLE_STEP, ...inside, last + IDLE_STEP];
  let best: { score: number; idle: number } | null = null;
  for (let i = 0; i + 1 < edges.length; i++) {
    const from = Math.max(edges[i] + IDLE_STEP, Math.ceil(age / IDLE_STEP) * IDLE_STEP);
    const to = edges[i + 1] - IDLE_STEP;
    if (from > to) continue;
    // The part of the stretch this connection can still reach, as a ratio or a length.
    const low = Math.max(edges[i], age, IDLE_STEP);
    const high = edges[i + 1];
    const size = ratio ? Math.log(high / low) : high - low;
    const middle = ratio ? Math.sqrt(low * high) : (low + high) / 2;
    const idle = Math.min(to, Math.max(from, Math.round(middle / IDLE_STEP) * IDLE_STEP));
    // What the probe narrows, per second waited for its answer (a second more
    // for the answer itself): cheap probes first, without crowding them.
    const score = size / (idle - age + IDLE_STEP);
    if (best === null || score > best.score) best = { score, idle };
  }
  return best?.idle ?? null;
}

/**
 * Plans the probes. A connection keeps its idle while that is still worth
 * probing; one without (new, just answered, or its idle no longer inside the
 * bounds) gets nextIdle's choice, the oldest connection first. Connections
 * past every idle still worth probing are closed, and new ones opened while
 * nextIdle finds stretches for them, up to the limit.
 */
export function planProbes(input: PlanInput): Plan {
  const steps = candidates(input.lower, input.upper, input.max);
  const worth = new Set(steps);
  const targets = new Map<number, number | null>();
  const close: number[] = [];
  const last = steps.at(-1);
  const needing: PlannedConnection[] = [];
  const maxFirst = input.connections >= 3;
  const armed = input.live.filter((connection) => connection.armed && connection.target !== null);
  const taken = new Set(armed.map((connection) => connection.target as number));
  for (const connection of input.live) {
    if (connection.armed) continue;
    if (
      connection.target !== null &&
      worth.has(connection.target) &&
      !taken.has(connection.target) &&
      connection.age <= connection.target
    ) {
      taken.add(connection.target);
      targets.set(connection.id, connection.target);
    } else {
      needing.push(connection);
    }
  }
  needing.sort((a, b) => b.age - a.age || a.id - b.id);
  for (const connection of needing) {
    if (last === undefined || connection.age > last) {
      close.push(connection.id);
      continue;
    }
    const idle = nextIdle(input.lower, input.upper, input.max, connection.age, taken, maxFirst);
    targets.set(connection.id, idle);
    if (idle !== null) taken.add(idle);
  }
  const live = input.live.length - close.length;
  let open = 0;
  while (live + open < input.connections) {
    const idle = nextIdle(input.lower, input.upper, input.max, 0, taken, maxFirst);
    if (idle === null) break;
    taken.add(idle);
    open++;
  }
  return { targets, close, open };
}

export interface SearchConfig {
  /** The longest idle probed (ms, whole seconds). */
  max: number;
  precision: Precision;
  /** Most connections open at once. */
  connections: number;
  /** The search ends by itself after this long (ms), with the bounds it has. */
  timeLimit: number;
  /** How long before its idle a connection is armed (ms). */
  armLead?: number;
  /** How long a probe may go unanswered before the path counts as having forgotten (ms, plus 2 round trips). */
  answerWait?: number;
}

type State = 'connecting' | 'idle' | 'armed' | 'probing' | 'gone';

interface Connection {
  id: number;
  state: State;
  /** When it was established (ms, the command's clock). */
  openedAt: number;
  /** When the peer was last heard from. */
  heardAt: number;
  /** Whether that was data: our ACK of it, which the path also saw, may have left up to 200 ms later. */
  afterData: boolean;
  /** Whether the peer already spoke by itself after a second or more of silence (its own keepalive, or data). */
  spokeUnasked: boolean;
  rtt: number;
  target: number | null;
  /** The idle armed for, once armed. */
  armed?: number;
  /** When a probe was first seen outstanding. */
  probeSeenAt?: number;
}

/** What the command observes on a connection (getKeepaliveStatus, read at `now`). */
export interface Observation {
  /** When the peer was last heard from: now − min(sinceAckReceived, sinceDataReceived). */
  heardAt: number;
  /** Keepalive probes sent and not answered. */
  probes: number;
  /** Smoothed round-trip time (ms). */
  rtt: number;
  /** Whether data arrived since the last observation. */
  data?: boolean;
}

/** How a connection ended, as the socket said. */
export type EndHow = 'timed out' | 'reset' | 'closed' | 'unreachable' | 'failed';

interface Bounds {
  lower: number;
  upper: number | null;
}

export type SearchEvent =
  /** The peer was heard from after `idle` (ms) of silence: the path kept the connection that long. `probed`: in answer to a probe. */
  | ({ kind: 'answered'; id: number; at: number; idle: number; probed: boolean } & Bounds)
  /** A probe after `idle` went unanswered, or the connection died once probed: the path forgot it. */
  | ({ kind: 'forgotten'; id: number; at: number; idle: number; how: EndHow | 'unanswered' } & Bounds)
  /** The connection ended by itself, no probe outstanding: `idle` after the peer was last heard from, `open` after it was established. */
  | ({ kind: 'ended'; id: number; at: number; idle: number; open: number; how: EndHow } & Bounds);

/** Why the search ended. */
export type Ending =
  /** The bounds are as close as the precision asks. */
  | 'precision'
  /** No whole second is left between the bounds: as close as keepalive's idle can probe. */
  | 'granularity'
  /** Even a probe after --max was answered. */
  | 'at least max'
  /** A connection ended with no probe outstanding (the server's own timeout, a reset): idle connections end there, keepalive or not. */
  | 'ended'
  /** The peer spoke by itself twice on one connection (its own keepalive, or data): connections to it never stay idle long. */
  | 'peer active'
  /** Ctrl-C or SIGTERM. */
  | 'stopped'
  /** The search's own deadline passed. */
  | 'time limit';

export interface Actions {
  /** Open these new connections, then report connected() (a failure ends the command). */
  open: number[];
  /** Set TCP_KEEPIDLE to `idle` now. */
  arm: { id: number; idle: number }[];
  /** Set TCP_KEEPIDLE back to the parking idle (the connection was answered). */
  park: number[];
  /** Close these (reset: with RST, the path has forgotten them). */
  close: { id: number; reset: boolean }[];
  events: SearchEvent[];
  /** Set once the search is over: close every connection and report. */
  ending: Ending | null;
}

export interface ProbeRecord {
  connection: number;
  /** The idle when the peer was heard from again, when the probe left, or when the connection ended (ms). */
  idleMs: number;
  outcome: 'answered' | 'spoke unasked' | 'forgotten' | 'ended';
}

export interface SearchResult {
  ending: Ending;
  /** The path keeps an idle connection at least this long (ms). */
  lowerMs: number;
  /** … and forgets it by then (ms); null: no upper bound found (up to --max). */
  upperMs: number | null;
  /** The width the precision allows at this lower bound (ms). */
  allowedWidthMs: number;
  elapsedMs: number;
  /** Connections opened in all. */
  connectionsUsed: number;
  /** Most connections open at once. */
  mostAtOnce: number;
  probes: ProbeRecord[];
  /** With ending 'ended': how the connection ended, after how long open and how long idle (ms). */
  endedBy?: { how: EndHow; openMs: number; idleMs: number };
}

/**
 * A keepalive idle safely below the lower bound (three quarters of it), and
 * an interval that repeats a lost probe before the bound; null when the bound
 * is too short for keepalive's whole seconds.
 */
export function suggestion(lowerMs: number): { idleMs: number; intervalMs: number } | null {
  const idle = Math.floor((lowerMs * 0.75) / IDLE_STEP) * IDLE_STEP;
  if (idle < IDLE_STEP) return null;
  const interval = Math.max(IDLE_STEP, Math.floor((lowerMs - idle) / 2 / IDLE_STEP) * IDLE_STEP);
  return { idleMs: idle, intervalMs: interval };
}

/**
 * The search's state: bounds, connections, what has been learnt. Times are ms
 * on the caller's clock (monotonic). Call observe() for each open connection
 * and then tick() every poll; carry out the actions tick() returns.
 */
export class IdleSearch {
  private lower = 0;
  private upper: number | null = null;
  private readonly connections = new Map<number, Connection>();
  private nextId = 1;
  private opened = 0;
  private mostAtOnce = 0;
  private readonly probes: ProbeRecord[] = [];
  private endedBy: SearchResult['endedBy'];
  private events: SearchEvent[] = [];
  private park: number[] = [];
  private close: { id: number; reset: boolean }[] = [];
  private ending: Ending | null = null;
  private readonly armLead: number;
  private readonly answerWait: number;

  constructor(
    private readonly config: SearchConfig,
    private readonly startedAt: number,
  ) {
    this.armLead = config.armLead ?? 600;
    this.answerWait = config.answerWait ?? 1500;
  }

  get bounds(): Bounds {
    return { lower: this.lower, upper: this.upper };
  }

  /** Connections open or opening. */
  get live(): number {
    return [...this.connections.values()].filter((connection) => connection.state !== 'gone').length;
  }

  /** The soonest probe armed or planned: when (ms, the caller's clock) and after which idle. */
  nextProbe(): { at: number; idle: number } | null {
    let next: { at: number; idle: number } | null = null;
    for (const connection of this.connections.values()) {
      const idle = connection.state === 'idle' ? connection.target : connection.state === 'armed' ? connection.armed : null;
      if (idle === null || idle === undefined) continue;
      const at = connection.heardAt + idle;
      if (next === null || at < next.at) next = { at, idle };
    }
    return next;
  }

  /** The connection is established; `observation.heardAt`: its SYN-ACK. */
  connected(id: number, now: number, observation: Observation): void {
    const connection = this.connections.get(id);
    if (connection === undefined || connection.state !== 'connecting') return;
    connection.state = 'idle';
    connection.openedAt = now;
    connection.heardAt = Math.min(now, observation.heardAt);
    connection.rtt = observation.rtt;
  }

  observe(id: number, now: number, observation: Observation): void {
    const connection = this.connections.get(id);
    if (connection === undefined || connection.state === 'connecting' || connection.state === 'gone') return;
    connection.rtt = observation.rtt;
    if (observation.heardAt <= connection.heardAt + 100) {
      // Nothing new (clock jitter aside), or data right after the connection opened (a banner): idle starts there.
      if (observation.heardAt > connection.heardAt) connection.heardAt = observation.heardAt;
      if (observation.data) connection.afterData = true;
      if (connection.state === 'armed' && observation.probes > 0) {
        connection.state = 'probing';
        connection.probeSeenAt = now;
      }
      return;
    }
    // Heard from again: the path kept the connection that long.
    const probed = connection.state === 'armed' || connection.state === 'probing';
    const idle = observation.heardAt - connection.heardAt;
    const error = CLOCK_ERROR + connection.rtt + (connection.afterData ? DELAYED_ACK : 0);
    this.lower = Math.max(this.lower, Math.min(idle - error, this.upper ?? Infinity));
    connection.heardAt = observation.heardAt;
    connection.afterData = observation.data === true;
    connection.probeSeenAt = undefined;
    connection.target = null;
    if (probed) {
      connection.state = 'idle';
      connection.armed = undefined;
      this.park.push(id);
    } else if (idle >= IDLE_STEP) {
      // The peer's own keepalive, or data: once may be chance, twice means it keeps the connection busy.
      if (connection.spokeUnasked) this.ending ??= 'peer active';
      connection.spokeUnasked = true;
    }
    this.probes.push({ connection: id, idleMs: Math.round(idle), outcome: probed ? 'answered' : 'spoke unasked' });
    this.events.push({ kind: 'answered', id, at: now, idle, probed, ...this.bounds });
  }

  /** The connection ended (error, FIN, close) at `now`. */
  ended(id: number, now: number, how: EndHow): void {
    const connection = this.connections.get(id);
    if (connection === undefined || connection.state === 'gone') return;
    const state = connection.state;
    connection.state = 'gone';
    if (state === 'connecting') return;
    // Probed: a probe is outstanding, or was due (an answer by RST comes before any poll sees the probe).
    const probed = state === 'probing' || (state === 'armed' && now >= connection.heardAt + (connection.armed ?? Infinity));
    if (probed) {
      // The probe left by the time it was seen outstanding (or by now).
      this.forget(connection, (connection.probeSeenAt ?? now) - connection.heardAt, now, how);
      return;
    }
    const idle = now - connection.heardAt;
    const open = now - connection.openedAt;
    this.probes.push({ connection: id, idleMs: Math.round(idle), outcome: 'ended' });
    this.events.push({ kind: 'ended', id, at: now, idle, open, how, ...this.bounds });
    if (this.ending === null) {
      this.ending = 'ended';
      this.endedBy = { how, openMs: Math.round(open), idleMs: Math.round(idle) };
    }
  }

  /** Ctrl-C: the search ends with the bounds it has. */
  stop(): void {
    this.ending ??= 'stopped';
  }

  private forget(connection: Connection, idle: number, now: number, how: EndHow | 'unanswered'): void {
    connection.state = 'gone';
    const upper = idle + CLOCK_ERROR + connection.rtt;
    this.upper = Math.max(this.lower, Math.min(this.upper ?? Infinity, upper));
    this.probes.push({ connection: connection.id, idleMs: Math.round(idle), outcome: 'forgotten' });
    this.events.push({ kind: 'forgotten', id: connection.id, at: now, idle, how, ...this.bounds });
  }

  /** Decides what is overdue, plans the probes and returns what to do now. */
  tick(now: number): Actions {
    const arm: Actions['arm'] = [];
    const open: number[] = [];
    // Probes outstanding too long: the path forgot these connections.
    for (const connection of this.connections.values()) {
      if (connection.state !== 'probing' || connection.probeSeenAt === undefined) continue;
      if (now < connection.probeSeenAt + this.answerWait + 2 * connection.rtt) continue;
      this.forget(connection, connection.probeSeenAt - connection.heardAt, now, 'unanswered');
      this.close.push({ id: connection.id, reset: true });
    }
    if (this.ending === null && now - this.startedAt >= this.config.timeLimit) this.ending = 'time limit';
    this.ending ??= finished(this.lower, this.upper, this.config.max, this.config.precision);
    if (this.ending === null) {
      const active = [...this.connections.values()].filter((connection) => connection.state !== 'gone');
      const plan = planProbes({
        lower: this.lower,
        upper: this.upper,
        max: this.config.max,
        connections: this.config.connections,
        live: active.map((connection) => ({
          id: connection.id,
          age: connection.state === 'connecting' ? 0 : now - connection.heardAt,
          ...(connection.state === 'armed' || connection.state === 'probing'
            ? { target: connection.armed ?? null, armed: true }
            : { target: connection.target }),
        })),
      });
      for (const id of plan.close) {
        (this.connections.get(id) as Connection).state = 'gone';
        this.close.push({ id, reset: false });
      }
      for (const [id, target] of plan.targets) (this.connections.get(id) as Connection).target = target;
      for (const connection of active) {
        if (connection.state !== 'idle' || connection.target === null) continue;
        if (now < connection.heardAt + connection.target - this.armLead) continue;
        connection.state = 'armed';
        connection.armed = connection.target;
        arm.push({ id: connection.id, idle: connection.target });
      }
      for (let n = 0; n < plan.open; n++) {
        const id = this.nextId++;
        this.connections.set(id, {
          id,
          state: 'connecting',
          openedAt: now,
          heardAt: now,
          afterData: false,
          spokeUnasked: false,
          rtt: 0,
          target: null,
        });
        this.opened++;
        open.push(id);
      }
      this.mostAtOnce = Math.max(this.mostAtOnce, this.live);
    }
    const actions: Actions = { open, arm, park: this.park, close: this.close, events: this.events, ending: this.ending };
    this.park = [];
    this.close = [];
    this.events = [];
    return actions;
  }

  result(now: number): SearchResult {
    return {
      ending: this.ending ?? 'stopped',
      // Whole ms, rounded outwards: the bounds still hold.
      lowerMs: Math.max(0, Math.floor(this.lower)),
      upperMs: this.upper === null ? null : Math.ceil(this.upper),
      allowedWidthMs: Math.round(allowedWidth(this.lower, this.config.precision)),
      elapsedMs: Math.round(now - this.startedAt),
      connectionsUsed: this.opened,
      mostAtOnce: this.mostAtOnce,
      probes: [...this.probes],
      ...(this.endedBy ? { endedBy: this.endedBy } : {}),
    };
  }
}
