// tcp-keepalive check HOST:PORT: connect, apply keepalive options, print what
// the kernel holds, then watch the connection until the peer is declared dead,
// closes, or the user stops.
import * as net from 'node:net';
import * as tls from 'node:tls';
import { parseArgs } from 'node:util';
import { detectionTime } from '../../core/defaults';
import { formatDuration } from '../../core/duration';
import { enableKeepalive, getKeepalive } from '../../keepalive';
import { OPTION_SPEC, OPTION_SPECS, type KeepaliveOptions, type KeepaliveSettings } from '../../core/options';
import { getKeepaliveStatus, type KeepaliveStatus } from '../../core/status';
import { boundedDuration, endpoint, keepaliveCount, keepaliveDuration, parseOrExplain, type Endpoint } from './args';
import { bytes, explainDetection, seconds, table } from './format';
import { ExitCode, Failure, UsageError } from './outcome';

/** --idle, --interval, --count, --user-timeout: one per row of the option table. */
const keepaliveFlags = OPTION_SPECS.map((spec) => ({ spec, name: spec.flag.slice(2) }));

const options = {
  ...(Object.fromEntries(keepaliveFlags.map(({ name }) => [name, { type: 'string' }])) as Record<string, { type: 'string' }>),
  tls: { type: 'boolean' },
  insecure: { type: 'boolean' },
  every: { type: 'string' },
  'connect-timeout': { type: 'string' },
  json: { type: 'boolean' },
  once: { type: 'boolean' },
  for: { type: 'string' },
} as const;

/** setInterval and setTimeout take at most this many ms. */
const longestTimer = 2 ** 31 - 1;

interface Plan {
  target: Endpoint;
  keepalive: KeepaliveOptions;
  /** The option values as typed, to show next to what the kernel kept. */
  typed: Partial<Record<keyof KeepaliveOptions, string>>;
  tls: boolean;
  insecure: boolean;
  every: number;
  connectTimeout: number;
  /** One JSON object per line (connected, each status, end) instead of text. */
  json: boolean;
  /** Stop after this many ms (--for), after the first status (--once), or only when something ends the watch. */
  stopAfter: number | 'first status' | undefined;
}

function readPlan(args: string[]): Plan {
  const { values, positionals } = parseOrExplain(options, () =>
    parseArgs({ args, options, strict: true, allowPositionals: true }),
  );
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}' (check takes one HOST:PORT)`);
  const target = endpoint(positionals[0]);
  const keepalive: KeepaliveOptions = {};
  const typed: Plan['typed'] = {};
  for (const { spec, name } of keepaliveFlags) {
    const text = (values as Record<string, unknown>)[name];
    if (typeof text !== 'string') continue;
    typed[spec.key] = text;
    keepalive[spec.key] = spec.kernelUnit === 'probes' ? keepaliveCount(spec.flag, text) : keepaliveDuration(spec.flag, spec.key, text);
  }
  if (values.insecure && !values.tls) throw new UsageError('--insecure applies only with --tls');
  if (values.once && values.for !== undefined) throw new UsageError('--once and --for cannot be used together');
  return {
    target,
    keepalive,
    typed,
    tls: values.tls ?? false,
    insecure: values.insecure ?? false,
    every: boundedDuration('--every', values.every ?? '1s', 10, longestTimer),
    connectTimeout: boundedDuration('--connect-timeout', values['connect-timeout'] ?? '30s', 1, longestTimer),
    json: values.json ?? false,
    stopAfter: values.once ? 'first status' : values.for === undefined ? undefined : boundedDuration('--for', values.for, 1, longestTimer),
  };
}

/** "[::1]:443" or "192.0.2.7:22". */
function address(host: string | undefined, port: number | undefined): string {
  return `${host?.includes(':') ? `[${host}]` : host}:${port}`;
}

/** TLS failures that --insecure would avoid. */
const certificateTrouble = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/;

/** For sockets given up on: a late error must not crash the process. */
const ignore = (): void => {};

/** Connects and applies the options; resolves once connected (TLS: handshake done). */
function connect(plan: Plan): Promise<net.Socket> {
  const { host, port } = plan.target;
  const label = address(host, port);
  return new Promise((resolve, reject) => {
    const socket = plan.tls
      ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, rejectUnauthorized: !plan.insecure })
      : net.connect({ host, port });
    // Validated already; applied as soon as the connection exists.
    enableKeepalive(socket, plan.keepalive);
    const connected = plan.tls ? 'secureConnect' : 'connect';
    const settle = (failure?: Failure): void => {
      clearTimeout(timer);
      process.off('SIGINT', interrupted);
      process.off('SIGTERM', interrupted);
      socket.off(connected, onConnect);
      socket.off('error', onError);
      if (failure === undefined) return resolve(socket);
      socket.on('error', ignore);
      socket.destroy();
      reject(failure);
    };
    const onConnect = (): void => settle();
    const onError = (error: Error & { code?: string }): void => {
      const hint = plan.tls && certificateTrouble.test(error.code ?? '') ? ' (--insecure skips verification)' : '';
      settle(new Failure(`cannot connect to ${label}: ${error.message}${hint}`));
    };
    const interrupted = (signal: NodeJS.Signals): void =>
      settle(new Failure(`interrupted (${signal}) before the connection to ${label} was established`));
    const timer = setTimeout(
      () => settle(new Failure(`no connection to ${label} after ${formatDuration(plan.connectTimeout)}`)),
      plan.connectTimeout,
    );
    socket.once(connected, onConnect);
    socket.once('error', onError);
    process.once('SIGINT', interrupted);
    process.once('SIGTERM', interrupted);
  });
}

/** What the kernel kept for each option, next to what was asked. */
function settingsTable(settings: KeepaliveSettings, plan: Plan): string {
  const source = (option: keyof KeepaliveOptions): string => {
    const typed = plan.typed[option];
    if (typed === undefined) return '(system default)';
    const spec = OPTION_SPEC[option];
    const rounded = spec.kernelUnit === 'seconds' && (plan.keepalive[option] as number) % 1000 !== 0;
    return `(${spec.flag} ${typed}${rounded ? ', rounded up to whole seconds' : ''})`;
  };
  const userTimeout =
    settings.userTimeout === undefined ? 'n/a' : settings.userTimeout === 0 ? '0 (off)' : formatDuration(settings.userTimeout);
  const rows = [
    ['keepalive', settings.enabled ? 'on' : 'off', ''],
    ['idle', seconds(settings.idle), source('idle')],
    ['interval', seconds(settings.interval), source('interval')],
    ['count', String(settings.count), source('count')],
    ['user timeout', userTimeout, settings.userTimeout === undefined ? '(not on this platform)' : source('userTimeout')],
  ];
  return table(rows, '  ');
}

/** Status lines: one per tick, or on a terminal one line rewritten in place until something changes. */
class StatusLines {
  private readonly inPlace = process.stdout.isTTY === true;
  private lineOpen = false;
  private shownKey = '';
  private static readonly widths = [8, 12, 7, 10, 8] as const;

  constructor(
    private readonly probeLimit: string,
    private readonly enabled = true,
  ) {}

  private format(cells: readonly string[]): string {
    return `  ${cells.map((cell, index) => cell.padEnd(StatusLines.widths[index] ?? 0)).join('  ')}`.trimEnd();
  }

  header(): void {
    if (!this.enabled) return;
    process.stdout.write(`${this.format(['time', 'state', 'probes', 'last ACK', 'unacked', 'retransmits'])}\n`);
  }

  show(elapsed: number, status: KeepaliveStatus): void {
    if (!this.enabled) return;
    const line = this.format([
      elapsed < 100 ? '0s' : formatDuration(Math.round(elapsed / 100) * 100),
      status.state,
      `${status.unansweredProbes}${this.probeLimit}`,
      formatDuration(status.sinceAckReceived),
      bytes(status.unacknowledgedBytes),
      String(status.retransmits),
    ]);
    if (!this.inPlace) {
      process.stdout.write(`${line}\n`);
      return;
    }
    // Keep the last line of each distinct state on screen, so probes leave a trace.
    const key = `${status.state} ${status.unansweredProbes} ${status.retransmits}`;
    if (this.lineOpen && key !== this.shownKey) process.stdout.write('\n');
    process.stdout.write(`\r\x1b[K${line}`);
    this.lineOpen = true;
    this.shownKey = key;
  }

  end(): void {
    if (this.lineOpen) process.stdout.write('\n');
    this.lineOpen = false;
  }
}

/** Errors that mean the kernel gave up on the peer (ICMP errors can replace ETIMEDOUT). */
const deadPeer = new Set(['ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN']);
const peerEnded = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** Prints the settings, then status lines until the connection ends or a signal stops the watch. */
function watch(socket: net.Socket, plan: Plan): Promise<ExitCode> {
  const settings = getKeepalive(socket);
  const expected = detectionTime(settings);
  const text = !plan.json;
  const out = (line: string): void => {
    if (text) process.stdout.write(`${line}\n`);
  };
  const json = (event: string, fields: Record<string, unknown>): void => {
    if (!text) process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);
  };
  const remote = address(socket.remoteAddress, socket.remotePort);
  const local = address(socket.localAddress, socket.localPort);
  out(`Connected to ${remote} from ${local}.`);
  const secure = socket instanceof tls.TLSSocket ? { protocol: socket.getProtocol(), authorized: socket.authorized } : undefined;
  if (socket instanceof tls.TLSSocket) {
    const verified = socket.authorized ? 'certificate verified' : `certificate NOT verified: ${socket.authorizationError}`;
    out(`TLS: ${socket.getProtocol()}, ${verified}.`);
  }
  out(`Keepalive settings the kernel holds for this connection:\n${settingsTable(settings, plan)}`);
  out(`An idle dead peer is noticed after ${explainDetection(settings)}.`);
  json('connected', { remote, local, ...(secure ? { tls: secure } : {}), settings, detectionMs: expected });

  const lines = new StatusLines(settings.userTimeout ? '' : `/${settings.count}`, text);
  const started = Date.now();
  /** When the peer was last heard from (ACK or data), by the latest status read. */
  let lastHeard = started;
  let mostProbes = 0;
  let received = 0;
  let state = 'ESTABLISHED';
  const elapsed = (): string => formatDuration(Date.now() - started);

  const tick = (): void => {
    let status: KeepaliveStatus;
    try {
      status = getKeepaliveStatus(socket);
    } catch {
      return; // The connection just ended: its 'error', 'end' or 'close' event says how.
    }
    const now = Date.now();
    lastHeard = now - Math.min(status.sinceAckReceived, status.sinceDataReceived);
    mostProbes = Math.max(mostProbes, status.unansweredProbes);
    state = status.state;
    lines.show(now - started, status);
    json('status', { elapsedMs: now - started, ...status });
    if (plan.stopAfter === 'first status') stopWith('--once');
  };
  /** Set once the watch's promise exists: ends it with exit code 0 and a summary. */
  let stopWith: (why: string) => void = () => {};

  let live = true;
  try {
    getKeepaliveStatus(socket);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM') throw error;
    live = false;
    out('No live status on this platform (it needs TCP_INFO); waiting for the connection to end. Ctrl-C to stop.');
  }
  if (live && plan.stopAfter !== 'first status') {
    const until = typeof plan.stopAfter === 'number' ? ` for ${formatDuration(plan.stopAfter)}` : '';
    out(`Watching every ${formatDuration(plan.every)}${until}; Ctrl-C to stop.`);
  }
  if (live) lines.header();

  return new Promise((resolve) => {
    let finished = false;
    const finish = (code: ExitCode, message: string, reason: string): void => {
      if (finished) return;
      finished = true;
      clearInterval(timer);
      clearTimeout(deadline);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      socket.off('error', onError);
      socket.off('end', onEnd);
      socket.off('close', onClose);
      socket.on('error', ignore);
      socket.destroy();
      lines.end();
      out(message);
      json('end', { reason, exitCode: code, message, elapsedMs: Date.now() - started, mostUnansweredProbes: mostProbes, receivedBytes: received });
      resolve(code);
    };
    const onError = (error: Error & { code?: string }): void => {
      const code = error.code ?? '';
      if (deadPeer.has(code)) {
        const measured = formatDuration(Date.now() - lastHeard);
        finish(
          ExitCode.PeerDead,
          `The peer was declared dead (${code}) ${measured} after it was last heard from; expected ${formatDuration(expected)}.`,
          'peer dead',
        );
      } else if (peerEnded.has(code)) {
        finish(ExitCode.PeerClosed, `The peer reset the connection (${code}) after ${elapsed()}.`, 'peer reset');
      } else {
        finish(ExitCode.Failure, `The connection failed after ${elapsed()}: ${error.message}`, 'failed');
      }
    };
    const onEnd = (): void => finish(ExitCode.PeerClosed, `The peer closed the connection (FIN) after ${elapsed()}.`, 'peer closed');
    const onClose = (): void => finish(ExitCode.PeerClosed, `The connection closed after ${elapsed()}.`, 'closed');
    const stop = (signal: string): void => {
      const heard = formatDuration(Date.now() - lastHeard);
      const probes = settings.userTimeout ? `${mostProbes}` : `${mostProbes}/${settings.count}`;
      finish(
        ExitCode.Ok,
        `Stopped (${signal}) after ${elapsed()}: ${state}, peer last heard from ${heard} ago, ` +
          `most unanswered probes ${probes}, ${bytes(received)} received.`,
        signal.startsWith('SIG') ? 'signal' : 'done',
      );
    };
    stopWith = stop;
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    socket.once('error', onError);
    socket.once('end', onEnd);
    socket.once('close', onClose);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const timer = live ? setInterval(tick, plan.every) : undefined;
    const deadline = typeof plan.stopAfter === 'number' ? setTimeout(() => stop('--for'), plan.stopAfter) : undefined;
    if (live) tick();
    // Without live status there is nothing to show once: --once ends at once.
    else if (plan.stopAfter === 'first status') stop('--once');
  });
}

export async function check(args: string[]): Promise<ExitCode> {
  const plan = readPlan(args);
  const socket = await connect(plan);
  try {
    return await watch(socket, plan);
  } catch (error) {
    // Whatever failed while watching (reading the settings, say), the
    // connection ends here: the process must not stay open, nor meet a late
    // ECONNRESET without a listener.
    socket.on('error', ignore);
    socket.destroy();
    throw error;
  }
}
