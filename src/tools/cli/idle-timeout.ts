// tcp-keepalive idle-timeout HOST:PORT: how long a connection through this
// path may stay idle before a NAT, firewall or load balancer forgets it,
// measured with keepalive probes alone (no application data). The search
// itself (which idle to probe, on which connection, what each answer proves)
// is idle-search.ts; this file opens the connections, reads their state, sets
// their idle, and reports.
import { promises as dns } from 'node:dns';
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { enableKeepalive, getKeepaliveStatus } from '../../index';
import { formatDuration } from '../../core/duration';
import { boundedDuration, duration, endpoint, parseOrExplain, type Endpoint } from './args';
import {
  defaultPrecision,
  IDLE_STEP,
  IdleSearch,
  suggestion,
  type EndHow,
  type Ending,
  type Precision,
  type SearchEvent,
  type SearchResult,
} from './idle-search';
import { ExitCode, Failure, UsageError } from './outcome';

const options = {
  max: { type: 'string' },
  precision: { type: 'string' },
  connections: { type: 'string' },
  'connect-timeout': { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** TCP_KEEPIDLE while a connection waits for its next probe: Linux's longest, far past any probe. */
const PARK = 32767 * 1000;
/** Keepalive interval and count once armed: the kernel gives up 5 s after an unanswered probe, if the search has not already. */
const INTERVAL = 5000;
const COUNT = 1;
/** Every connection's state is read this often (ms): a probe is seen outstanding at most this late. */
const POLL = 50;
/** With nothing else to report, a line saying what the search waits for, this often (ms). */
const WAITING_LINE = 15000;
const MAX_LIMIT = 9 * 3600 * 1000;
const MOST_CONNECTIONS = 16;

interface Plan {
  target: Endpoint;
  max: number;
  precision: Precision;
  /** The precision as the user wrote it, or the default in words. */
  precisionText: string;
  connections: number;
  connectTimeout: number;
  json: boolean;
}

function readPrecision(text: string | undefined): { precision: Precision; text: string } {
  if (text === undefined) return { precision: defaultPrecision, text: 'the larger of 2s and 10%' };
  const percent = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(text);
  if (percent) {
    const value = Number(percent[1]);
    if (value >= 1 && value <= 100) return { precision: { absolute: 0, relative: value / 100 }, text: `${value}%` };
  } else {
    const ms = parseDurationOrNull(text);
    if (ms !== null && ms >= IDLE_STEP && ms <= MAX_LIMIT) {
      return { precision: { absolute: ms, relative: 0 }, text: formatDuration(ms) };
    }
  }
  throw new UsageError(
    `--precision must be a duration from 1s to 9h (keepalive's idle is whole seconds) or a percentage from 1% to 100%, got '${text}'`,
  );
}

function parseDurationOrNull(text: string): number | null {
  try {
    return duration('--precision', text);
  } catch {
    return null;
  }
}

function readPlan(args: string[]): Plan {
  const { values, positionals } = parseOrExplain(options, () =>
    parseArgs({ args, options, strict: true, allowPositionals: true }),
  );
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}' (idle-timeout takes one HOST:PORT)`);
  const target = endpoint(positionals[0]);
  const max = boundedDuration('--max', values.max ?? '15m', 2000, MAX_LIMIT);
  if (max % IDLE_STEP !== 0) throw new UsageError(`--max must be whole seconds (keepalive's idle is), got '${values.max}'`);
  const { precision, text } = readPrecision(values.precision);
  const connectionsText = values.connections ?? '8';
  const connections = /^\d+$/.test(connectionsText.trim()) ? Number(connectionsText) : NaN;
  if (!(connections >= 1 && connections <= MOST_CONNECTIONS)) {
    throw new UsageError(`--connections must be an integer from 1 to ${MOST_CONNECTIONS}, got '${connectionsText}'`);
  }
  return {
    target,
    max,
    precision,
    precisionText: text,
    connections,
    connectTimeout: boundedDuration('--connect-timeout', values['connect-timeout'] ?? '10s', 1, 2 ** 31 - 1),
    json: values.json ?? false,
  };
}

/** "[::1]:443" or "192.0.2.7:22". */
function address(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** A measured time, to the 10 ms that the measures are good for. */
function measured(ms: number): string {
  return formatDuration(Math.max(0, Math.round(ms / 10) * 10));
}

/** A bound, to 10 ms: a lower one rounded down, an upper one up, so that they still hold. */
const atLeast = (ms: number): string => formatDuration(Math.max(0, Math.floor(ms / 10) * 10));
const atMost = (ms: number): string => formatDuration(Math.ceil(ms / 10) * 10);

/** Elapsed time to the tenth of a second. */
function clock(ms: number): string {
  const tenths = Math.round(ms / 100) * 100;
  return tenths % 1000 === 0 ? formatDuration(tenths).replace(/s$/, '.0s') : formatDuration(tenths);
}

function boundsText(lower: number, upper: number | null): string {
  return `${atLeast(lower)} – ${upper === null ? '?' : atMost(upper)}`;
}

const endedWords: Record<EndHow, string> = {
  'timed out': 'timed out (ETIMEDOUT)',
  reset: 'reset (RST)',
  closed: 'closed by the other end (FIN)',
  unreachable: 'unreachable (ICMP error)',
  failed: 'failed',
};

function howEnded(code: string | undefined): EndHow {
  switch (code) {
    case 'ETIMEDOUT':
      return 'timed out';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
      return 'reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
      return 'unreachable';
    default:
      return 'failed';
  }
}

function eventText(event: SearchEvent): string {
  const id = `#${event.id}`;
  switch (event.kind) {
    case 'answered':
      return event.probed
        ? `${id}: probe after ${measured(event.idle)} idle answered`
        : `${id}: the server sent something by itself after ${measured(event.idle)} idle (its own keepalive, or data)`;
    case 'forgotten':
      return event.how === 'unanswered'
        ? `${id}: probe after ${measured(event.idle)} idle unanswered: forgotten`
        : `${id}: ${endedWords[event.how]} after the probe at ${measured(event.idle)} idle: forgotten`;
    case 'ended':
      return (
        `${id}: ${endedWords[event.how]} with no probe outstanding, ` +
        `${measured(event.open)} after it opened, ${measured(event.idle)} idle`
      );
  }
}

const exitCodes: Record<Ending, ExitCode> = {
  precision: ExitCode.Ok,
  granularity: ExitCode.Ok,
  'at least max': ExitCode.Ok,
  ended: ExitCode.PeerClosed,
  'peer active': ExitCode.PeerClosed,
  stopped: ExitCode.Incomplete,
  'time limit': ExitCode.Incomplete,
};

/** The closing lines: what was found, and the keepalive that suits it. */
function conclusion(result: SearchResult, plan: Plan, stoppedBy: string | undefined): string[] {
  const { lowerMs: lower, upperMs: upper } = result;
  const lines: string[] = [];
  const soFar = `So far: at least ${atLeast(lower)}, ${upper === null ? 'no upper bound' : `at most ${atMost(upper)}`}.`;
  switch (result.ending) {
    case 'precision':
    case 'granularity':
      lines.push(
        `This path forgets an idle connection after between ${atLeast(lower)} and ${atMost(upper as number)}` +
          (result.ending === 'granularity' ? ' (as close as whole seconds of idle allow).' : '.'),
      );
      break;
    case 'at least max':
      lines.push(
        `This path keeps an idle connection at least ${formatDuration(plan.max)} (--max): no probe up to then went unanswered.`,
      );
      break;
    case 'ended': {
      const by = result.endedBy;
      lines.push(
        `A connection was ${by ? endedWords[by.how] : 'ended'} with no probe outstanding, ` +
          `${by ? measured(by.openMs) : '?'} after it opened: the server or a middlebox ends idle connections by itself, ` +
          'whatever keepalive does (an application timeout, say).',
        soFar,
      );
      break;
    }
    case 'peer active':
      lines.push(
        'The server sent packets by itself on an idle connection, twice (its own keepalive, or data): ' +
          'connections to it do not stay idle long enough to measure the path.',
        soFar,
      );
      break;
    case 'stopped':
    case 'time limit': {
      const what = result.ending === 'stopped' ? `Stopped (${stoppedBy ?? 'signal'})` : 'Time limit reached';
      lines.push(`${what} after ${clock(result.elapsedMs)}, before the bounds met the precision.`, soFar);
      break;
    }
  }
  lines.push(
    `Measured in ${clock(result.elapsedMs)} with ${result.connectionsUsed} connection${result.connectionsUsed === 1 ? '' : 's'} ` +
      `(at most ${result.mostAtOnce} at once).`,
  );
  if (exitCodes[result.ending] !== ExitCode.PeerClosed) {
    const suggested = suggestion(lower);
    if (suggested === null) {
      if (upper !== null) {
        lines.push(`No keepalive idle is short enough: its shortest is 1s. Send data more often than every ${atLeast(lower)}.`);
      }
    } else {
      lines.push(
        `Suggested keepalive: idle ${formatDuration(suggested.idleMs)}, interval ${formatDuration(suggested.intervalMs)} ` +
          `(a probe well before ${atLeast(lower)}, and a lost one repeated in time).`,
      );
    }
  }
  return lines;
}

interface Tracked {
  socket: net.Socket;
  /** Data arrived since the last poll. */
  data: boolean;
  connected: boolean;
}

/** Runs the search; resolves the result, rejects with a Failure when a connection cannot be made. */
function measure(
  plan: Plan,
  resolved: { address: string; family: number },
  progress: (line: string) => void,
): Promise<{ result: SearchResult; stoppedBy?: string }> {
  const started = performance.now();
  const search = new IdleSearch(
    { max: plan.max, precision: plan.precision, connections: plan.connections, timeLimit: 4 * plan.max + 60000 },
    started,
  );
  const label = address(plan.target.host, plan.target.port);
  const sockets = new Map<number, Tracked>();
  let header = false;
  let lastLine = started;
  let stoppedBy: string | undefined;

  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (outcome: { failure: Failure } | { result: SearchResult }): void => {
      if (done) return;
      done = true;
      clearInterval(timer);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      for (const id of sockets.keys()) drop(id, false);
      if ('failure' in outcome) reject(outcome.failure);
      else resolve({ result: outcome.result, stoppedBy });
    };
    const connectTimers = new Map<number, NodeJS.Timeout>();
    /** Closes a connection and forgets it; the path has forgotten it already when `reset`. */
    const drop = (id: number, reset: boolean): void => {
      const tracked = sockets.get(id);
      if (tracked === undefined) return;
      sockets.delete(id);
      const { socket } = tracked;
      socket.removeAllListeners();
      socket.on('error', () => {});
      clearTimeout(connectTimers.get(id));
      connectTimers.delete(id);
      if (reset && tracked.connected) socket.resetAndDestroy();
      else socket.destroy();
    };
    const open = (id: number): void => {
      const socket = net.connect({ host: resolved.address, port: plan.target.port, family: resolved.family });
      const tracked: Tracked = { socket, data: false, connected: false };
      sockets.set(id, tracked);
      const cannot = (why: string): void => finish({ failure: new Failure(`cannot connect to ${label}: ${why}`) });
      connectTimers.set(
        id,
        setTimeout(() => cannot(`no connection after ${formatDuration(plan.connectTimeout)}`), plan.connectTimeout),
      );
      socket.once('error', (error: Error) => cannot(error.message));
      socket.once('connect', () => {
        clearTimeout(connectTimers.get(id));
        connectTimers.delete(id);
        const now = performance.now();
        try {
          // Read first: without TCP_INFO (or the addon) there is nothing to measure with.
          const status = getKeepaliveStatus(socket);
          enableKeepalive(socket, { idle: PARK, interval: INTERVAL, count: COUNT });
          tracked.connected = true;
          search.connected(id, now, {
            heardAt: now - Math.min(status.sinceAckReceived, status.sinceDataReceived),
            probes: status.unansweredProbes,
            rtt: status.rtt,
          });
        } catch (error) {
          finish({ failure: new Failure(`cannot measure on ${label}: ${(error as Error).message}`) });
          return;
        }
        if (!header) {
          header = true;
          progress(
            `Connected to ${label}${resolved.address === plan.target.host ? '' : ` (${resolved.address})`}. ` +
              `Probing idle connections with keepalive alone, on up to ${plan.connections} at once, ` +
              `up to ${formatDuration(plan.max)}; precision: ${plan.precisionText}.`,
          );
          progress(`  ${'time'.padEnd(10)}${'bounds'.padEnd(20)}${'open'.padEnd(6)}event`);
        }
        socket.removeAllListeners('error');
        socket.on('data', () => (tracked.data = true));
        const ended = (how: EndHow): void => {
          if (!sockets.has(id)) return;
          sockets.delete(id);
          search.ended(id, performance.now(), how);
          socket.removeAllListeners();
          socket.on('error', () => {});
          socket.destroy();
        };
        socket.once('error', (error: Error & { code?: string }) => ended(howEnded(error.code)));
        socket.once('end', () => ended('closed'));
        socket.once('close', () => ended('closed'));
      });
    };
    const setIdle = (id: number, idle: number): void => {
      const tracked = sockets.get(id);
      if (tracked === undefined) return;
      try {
        enableKeepalive(tracked.socket, { idle });
      } catch (error) {
        // A connection that ended since the poll: its events report it.
        const code = (error as { code?: unknown }).code;
        if (code !== 'ERR_SOCKET_CLOSED' && !('errno' in (error as object))) throw error;
      }
    };
    const line = (now: number, text: string): void => {
      const { lower, upper } = search.bounds;
      progress(`  ${clock(now - started).padEnd(10)}${boundsText(lower, upper).padEnd(20)}${String(search.live).padEnd(6)}${text}`);
      lastLine = now;
    };
    const poll = (): void => {
      const now = performance.now();
      for (const [id, tracked] of sockets) {
        if (!tracked.connected) continue;
        try {
          const status = getKeepaliveStatus(tracked.socket);
          search.observe(id, now, {
            heardAt: now - Math.min(status.sinceAckReceived, status.sinceDataReceived),
            probes: status.unansweredProbes,
            rtt: status.rtt,
            data: tracked.data,
          });
          tracked.data = false;
        } catch {
          // The connection just ended: its 'error', 'end' or 'close' event says how.
        }
      }
      const actions = search.tick(now);
      for (const { id, reset } of actions.close) drop(id, reset);
      for (const id of actions.park) setIdle(id, PARK);
      // Armed for the time left since the peer was last heard from: the probe leaves on time.
      for (const { id, idle } of actions.arm) setIdle(id, idle);
      for (const event of actions.events) line(now, eventText(event));
      if (actions.ending !== null) {
        finish({ result: search.result(now) });
        return;
      }
      for (const id of actions.open) open(id);
      if (header && now - lastLine >= WAITING_LINE) {
        const next = search.nextProbe();
        line(
          now,
          next === null
            ? 'waiting'
            : `waiting: next probe after ${formatDuration(next.idle)} idle, in ${clock(Math.max(0, next.at - now))}`,
        );
      }
    };
    /** A poll, where anything unexpected ends the command with one line. */
    const step = (): void => {
      try {
        poll();
      } catch (error) {
        finish({ failure: new Failure((error as Error).message) });
      }
    };
    const stop = (signal: NodeJS.Signals): void => {
      stoppedBy = signal;
      search.stop();
      step();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const timer = setInterval(step, POLL);
    step();
  });
}

/** Looks the host up once: every connection must take the same path, even where the name has several addresses. */
async function resolve(plan: Plan): Promise<{ address: string; family: number }> {
  const { host } = plan.target;
  const family = net.isIP(host);
  if (family !== 0) return { address: host, family };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Failure(`cannot resolve ${host}: no answer after ${formatDuration(plan.connectTimeout)}`)),
      plan.connectTimeout,
    );
  });
  try {
    return await Promise.race([dns.lookup(host), timeout]);
  } catch (error) {
    if (error instanceof Failure) throw error;
    throw new Failure(`cannot resolve ${host}: ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

export async function idleTimeout(args: string[]): Promise<ExitCode> {
  const plan = readPlan(args);
  if (process.platform !== 'linux') {
    throw new Failure(
      `idle-timeout needs Linux (it re-arms keepalive probes through TCP_KEEPIDLE and reads TCP_INFO); this is ${process.platform}`,
    );
  }
  const resolved = await resolve(plan);
  // Progress goes where the person is: stdout, or stderr when stdout carries the JSON.
  const progress = (text: string): void => {
    (plan.json ? process.stderr : process.stdout).write(`${text}\n`);
  };
  const { result, stoppedBy } = await measure(plan, resolved, progress);
  const exitCode = exitCodes[result.ending];
  const lines = conclusion(result, plan, stoppedBy);
  if (!plan.json) {
    process.stdout.write(`${lines.join('\n')}\n`);
    return exitCode;
  }
  for (const text of lines) progress(text);
  const suggested = exitCode === ExitCode.PeerClosed ? null : suggestion(result.lowerMs);
  const report = {
    target: address(plan.target.host, plan.target.port),
    address: resolved.address,
    ending: result.ending,
    lowerMs: result.lowerMs,
    upperMs: result.upperMs,
    widthMs: result.upperMs === null ? null : result.upperMs - result.lowerMs,
    allowedWidthMs: result.allowedWidthMs,
    maxMs: plan.max,
    suggestedIdleMs: suggested?.idleMs ?? null,
    suggestedIntervalMs: suggested?.intervalMs ?? null,
    elapsedMs: result.elapsedMs,
    connectionsUsed: result.connectionsUsed,
    mostAtOnce: result.mostAtOnce,
    connectionLimit: plan.connections,
    ...(result.endedBy ? { endedBy: result.endedBy } : {}),
    probes: result.probes,
    exitCode,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
  return exitCode;
}
