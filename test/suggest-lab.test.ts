// suggestKeepalive against the real kernel, each case in a network lab of its
// own (test/helpers/namespaces.ts: under CI they run, and fail rather than hide):
//  1. the settings for a 6 s target notice a vanished peer within 6 s;
//  2. the settings for a NAT that forgets after 8 s keep a connection through
//     it idle for more than twice that, where no keepalive loses it;
//  3. the hazard written beside userTimeout: a peer that is alive but reads
//     nothing closes its window, and userTimeout ends the connection anyway
//     (ETIMEDOUT) while the peer answers every zero-window probe; without it,
//     the connection waits.
// The cases run concurrently. Figures are printed at the end (docs/suggest.md quotes a run).
import path from 'node:path';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createLab, labSupport, type Lab, type LabHost } from '../src/tools/lab';
import { suggestKeepalive, type KeepaliveStatus, type SuggestedOptions } from '../src';
import { connectPeers } from './helpers/lab-peer';

const support = labSupport();
const inCI = process.env.CI === 'true';
const labTest = support.available || inCI ? test.concurrent : test.concurrent.skip;
if (!support.available && !inCI) console.warn(`suggest lab tests skipped: ${support.reason}`);

const CASE_TIMEOUT = 90_000;
const figures: string[] = [];
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function inLab<T>(options: Parameters<typeof createLab>[0], body: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = await createLab(options);
  try {
    return await body(lab);
  } finally {
    await lab.close();
  }
}

afterAll(() => {
  if (figures.length > 0) console.log(`suggestKeepalive in the lab:\n${figures.sort().join('\n')}`);
});

describe(`suggestKeepalive in a network lab${support.available ? '' : ` (skipped: ${support.reason})`}`, () => {
  labTest(
    '1. the settings for detectWithin 6000 notice a vanished peer within 6 s',
    () =>
      inLab(undefined, async (lab) => {
        const suggestion = suggestKeepalive({ detectWithin: 6000 });
        const { client, clientSettings } = await connectPeers(lab, { client: { keepalive: suggestion.options } });
        expect(clientSettings).toMatchObject({ enabled: true, ...suggestion.options });
        // Idleness starts at the last packet from the peer: the answer to a ping.
        client.send('ping');
        const quiet = await client.next('pong', 5000);
        await lab.server.vanish();
        const failure = await client.next(['error', 'close'], 6000 + 5000);
        expect(failure).toMatchObject({ event: 'error', code: 'ETIMEDOUT' });
        const measured = failure.t - quiet.t;
        figures.push(
          `1. detectWithin 6000 → ${JSON.stringify(suggestion.options)}: detectionMs ${suggestion.detectionMs}, ` +
            `latest ${suggestion.latestDetectionMs}; vanished peer noticed after ${seconds(measured)}`,
        );
        expect(measured).toBeLessThanOrEqual(6000);
        // Not early either: the kernel did wait for idle and count probes.
        expect(measured).toBeGreaterThanOrEqual(suggestion.detectionMs - 100);
        expect(failure.probesSent - quiet.probesSent).toBe(suggestion.options.count);
      }),
    CASE_TIMEOUT,
  );

  const natTimeout = 8000;
  const idleFor = 2.25 * natTimeout;

  /** Connects through a NAT that forgets after natTimeout, stays idle for idleFor, then pings: whether the pong came. */
  async function idleThroughNat(keepalive: boolean): Promise<{ answered: boolean; probes: number }> {
    return inLab({ nat: { idleTimeout: natTimeout } }, async (lab) => {
      const setup = keepalive ? { keepalive: suggestKeepalive({ behind: natTimeout }).options } : {};
      const { client } = await connectPeers(lab, { client: setup });
      client.send('ping');
      const quiet = await client.next('pong', 5000);
      await sleep(idleFor);
      client.send('status');
      const before = await client.next('status', 5000);
      client.send('ping');
      try {
        await client.next('pong', 3000);
        return { answered: true, probes: before.probesSent - quiet.probesSent };
      } catch {
        return { answered: false, probes: before.probesSent - quiet.probesSent };
      }
    });
  }

  labTest(
    `2. behind a NAT that forgets idle connections after ${natTimeout / 1000} s: the suggested settings keep one idle for ${idleFor / 1000} s; none lose it`,
    async () => {
      const suggestion = suggestKeepalive({ behind: natTimeout });
      const [kept, lost] = await Promise.all([idleThroughNat(true), idleThroughNat(false)]);
      figures.push(
        `2. behind ${natTimeout} → ${JSON.stringify(suggestion.options)}, probes out by ${suggestion.middlebox?.probedByMs} ms: ` +
          `after ${seconds(idleFor)} idle, ping ${kept.answered ? 'answered' : 'lost'} (${kept.probes} probes); ` +
          `without keepalive ${lost.answered ? 'answered' : 'lost'}`,
      );
      expect(kept.answered).toBe(true);
      // Probes went out all along: at least one per idle period.
      expect(kept.probes).toBeGreaterThanOrEqual(Math.floor(idleFor / (suggestion.options.idle + suggestion.options.interval)));
      expect(lost).toEqual({ answered: false, probes: 0 });
    },
    CASE_TIMEOUT,
  );

  labTest(
    '3. the zero-window hazard: with userTimeout a live peer that reads nothing is cut off (ETIMEDOUT); without, the connection waits',
    async () => {
      const suggestion = suggestKeepalive({ detectWithin: 6000, inFlight: true });
      const userTimeout = suggestion.options.userTimeout as number;
      expect(userTimeout).toBe(suggestion.detectionMs);
      const [cut, kept] = await Promise.all([zeroWindow(suggestion.options), zeroWindow({ ...suggestion.options, userTimeout: 0 })]);

      // With userTimeout: ETIMEDOUT about userTimeout after the window closed (the
      // kernel counts from its first zero-window probe, one RTO later)...
      if (cut.error === undefined) throw new Error('no error with userTimeout');
      expect(cut.error).toMatchObject({ code: 'ETIMEDOUT' });
      const afterClosed = cut.error.t - cut.closedAt;
      expect(afterClosed).toBeGreaterThanOrEqual(userTimeout);
      expect(afterClosed).toBeLessThanOrEqual(userTimeout + 1500);
      // ... while the peer was answering: the last sample still saw data waiting for a
      // closed window and an acknowledgement (a probe's answer) received recently.
      expect(cut.error.last?.unsentBytes).toBeGreaterThan(0);
      expect(cut.error.last?.unacknowledgedBytes).toBe(0);
      expect(cut.error.last?.sinceAckReceived).toBeLessThan(userTimeout);
      // The peer is alive, and its connection open: it was never told.
      expect(cut.serverAfter).toMatchObject({ open: true, state: 'ESTABLISHED' });
      expect(cut.receiveQueue).toBeGreaterThan(0);

      // Without userTimeout the same connection waits for the reader, open, window closed.
      expect(kept.error).toBeUndefined();
      expect(kept.clientAfter).toMatchObject({ open: true, state: 'ESTABLISHED' });
      expect(kept.clientAfter?.unsentBytes).toBeGreaterThan(0);
      expect(kept.clientAfter?.unacknowledgedBytes).toBe(0);

      figures.push(
        `3. detectWithin 6000 + inFlight → userTimeout ${userTimeout}: a reader that stopped reading (server receive queue ` +
          `${cut.receiveQueue} B, client ${cut.error.last?.unsentBytes} B unsent) cut off ${seconds(afterClosed)} after its ` +
          `window closed (${seconds(cut.error.t - cut.floodAt)} after the write), last answer ${cut.error.last?.sinceAckReceived} ms ` +
          `before; without userTimeout still open after ${seconds((kept.clientAfter?.t ?? 0) - kept.closedAt)}`,
      );
    },
    CASE_TIMEOUT,
  );
});

// ---- the zero-window case ----

const fixture = path.join(__dirname, 'fixtures', 'zero-window-peer.js');

interface Event {
  event: string;
  t: number;
  port?: number;
  code?: string;
  open?: boolean;
  keepaliveStatus?: KeepaliveStatus;
  last?: KeepaliveStatus & { t: number };
}

/** One fixture process: its events, and waiting for the next of some names. */
class Peer {
  readonly events: Event[] = [];
  private seen = 0;
  private stderr = '';
  private wake: (() => void) | undefined;

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    let buffered = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let end;
      while ((end = buffered.indexOf('\n')) !== -1) {
        this.events.push(JSON.parse(buffered.slice(0, end)) as Event);
        buffered = buffered.slice(end + 1);
      }
      this.wake?.();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    child.stdin.on('error', () => {});
  }

  send(command: string): void {
    this.child.stdin.write(`${JSON.stringify({ do: command })}\n`);
  }

  /** The first event with one of these names after those already returned, or an error after timeoutMs. */
  async next(names: string[], timeoutMs: number): Promise<Event> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.events.findIndex((event, i) => i >= this.seen && names.includes(event.event));
      if (index !== -1) {
        this.seen = index + 1;
        return this.events[index];
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`waited for ${names.join(' or ')}: events ${JSON.stringify(this.events)}; stderr ${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}

/** Small socket buffers in a lab host's namespace (tcp_rmem and tcp_wmem are per namespace): the window closes after a few KiB. */
const smallBuffers = (host: LabHost): Promise<string> =>
  host.exec('sysctl', ['-q', '-w', 'net.ipv4.tcp_rmem=4096 8192 8192', 'net.ipv4.tcp_wmem=4096 8192 8192']);

interface ZeroWindow {
  /** When the client wrote, and when it first saw the window closed (its clock). */
  floodAt: number;
  closedAt: number;
  /** The client's error event, if any. */
  error?: Event & { code: string };
  /** With userTimeout: the server afterwards, and its receive queue (ss). */
  serverAfter?: { open?: boolean; state?: string };
  receiveQueue?: number;
  /** Without userTimeout: the client's connection after the wait. */
  clientAfter?: KeepaliveStatus & { t: number; open?: boolean };
}

async function zeroWindow(keepalive: SuggestedOptions): Promise<ZeroWindow> {
  return inLab(undefined, async (lab) => {
    await Promise.all([smallBuffers(lab.client), smallBuffers(lab.server)]);
    const server = new Peer(lab.server.spawn(process.execPath, [fixture, 'server', lab.server.address]));
    const { port } = await server.next(['listening'], 10_000);
    const client = new Peer(
      lab.client.spawn(process.execPath, [fixture, 'client', `${lab.server.address}:${port}`, JSON.stringify({ keepalive })]),
    );
    await Promise.all([client.next(['connected'], 10_000), server.next(['connected'], 10_000)]);
    client.send('flood');
    const flood = await client.next(['flooding'], 5000);
    const closed = await client.next(['zeroWindow'], 5000);
    const userTimeout = keepalive.userTimeout ?? 0;
    if (userTimeout > 0) {
      const error = await client.next(['error', 'close'], userTimeout + 5000);
      // The peer's side: its process answers, its connection is established, its receive queue full.
      server.send('status');
      const serverAfter = await server.next(['status'], 5000);
      const ss = await lab.server.exec('ss', ['-tnH', 'state', 'established']);
      return {
        floodAt: flood.t,
        closedAt: closed.t,
        error: error as Event & { code: string },
        serverAfter: { open: serverAfter.open, state: serverAfter.keepaliveStatus?.state },
        receiveQueue: Number(ss.trim().split(/\s+/)[0]),
      };
    }
    // Without userTimeout: watch for 2.5 × the other case's timeout.
    await sleep(2.5 * 5000);
    client.send('status');
    const status = await client.next(['status', 'error', 'close'], 5000);
    return {
      floodAt: flood.t,
      closedAt: closed.t,
      error: status.event === 'status' ? undefined : (status as Event & { code: string }),
      clientAfter: status.keepaliveStatus && { t: status.t, open: status.open, ...status.keepaliveStatus },
    };
  });
}
