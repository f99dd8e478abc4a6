// Drives test/fixtures/lab-peer.js in a lab namespace: commands as JSON lines
// on its stdin, events as JSON lines from its stdout.
import path from 'node:path';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import type { LabHost } from '../../src/tools/lab';
import type { KeepaliveOptions, KeepaliveSettings, KeepaliveStatus } from '../../src';

const fixture = path.join(__dirname, '..', 'fixtures', 'lab-peer.js');

export interface PeerEvent {
  event: 'listening' | 'connected' | 'pong' | 'written' | 'status' | 'error' | 'close';
  /** ms on the peer process's own clock. */
  t: number;
  /** Keepalive probes sent so far from the peer's namespace (TcpExt TCPKeepAlive). */
  probesSent: number;
  port?: number;
  settings?: KeepaliveSettings;
  localPort?: number;
  remotePort?: number;
  /** With 'status' on an open socket: what getKeepaliveStatus read. */
  keepaliveStatus?: KeepaliveStatus;
  open?: boolean;
  code?: string;
  message?: string;
}

export interface PeerSetup {
  keepalive?: KeepaliveOptions;
  nodeKeepAlive?: number;
}

export class LabPeer {
  readonly events: PeerEvent[] = [];
  private readonly consumed = new Set<PeerEvent>();
  private stderr = '';
  private exit: string | undefined;
  private readonly waiting = new Set<() => void>();

  private constructor(
    readonly label: string,
    private readonly child: ChildProcessWithoutNullStreams,
  ) {
    let buffered = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let end;
      while ((end = buffered.indexOf('\n')) !== -1) {
        this.events.push(JSON.parse(buffered.slice(0, end)) as PeerEvent);
        buffered = buffered.slice(end + 1);
      }
      this.wake();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    child.on('exit', (code, signal) => {
      this.exit = signal ?? `exit ${code}`;
      this.wake();
    });
    // The lab kills the process; a write racing with that must not throw.
    child.stdin.on('error', () => {});
  }

  static async server(host: LabHost, setup: PeerSetup = {}): Promise<{ peer: LabPeer; port: number }> {
    const peer = new LabPeer('server', host.spawn(process.execPath, [fixture, 'server', host.address, JSON.stringify(setup)]));
    const { port } = await peer.next('listening', 10_000);
    return { peer, port: port as number };
  }

  static client(host: LabHost, address: string, port: number, setup: PeerSetup = {}): LabPeer {
    return new LabPeer('client', host.spawn(process.execPath, [fixture, 'client', `${address}:${port}`, JSON.stringify(setup)]));
  }

  private wake(): void {
    for (const done of [...this.waiting]) done();
  }

  /** The pid of the Node process in the namespace (`ip netns exec` became it). */
  get pid(): number {
    return this.child.pid as number;
  }

  send(command: 'ping' | 'write' | 'status'): void {
    this.child.stdin.write(JSON.stringify({ do: command }) + '\n');
  }

  /** Whether an event with one of these names has arrived. */
  has(...names: PeerEvent['event'][]): boolean {
    return this.events.some((event) => names.includes(event.event));
  }

  /** Waits for the next event with one of these names, not returned before. */
  async next(names: PeerEvent['event'] | PeerEvent['event'][], timeoutMs: number): Promise<PeerEvent> {
    const wanted = Array.isArray(names) ? names : [names];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find((event) => !this.consumed.has(event) && wanted.includes(event.event));
      if (found) {
        this.consumed.add(found);
        return found;
      }
      const left = deadline - Date.now();
      if (this.exit !== undefined || left <= 0) {
        const why = this.exit !== undefined ? `the process ended (${this.exit})` : `nothing came in ${timeoutMs} ms`;
        throw new Error(
          `${this.label}: waited for ${wanted.join(' or ')}, but ${why}.\n` +
            `events: ${JSON.stringify(this.events)}\nstderr: ${this.stderr}`,
        );
      }
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.waiting.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.waiting.add(done);
      });
    }
  }
}

/** A connected pair of peers in a lab: the server listens on its host, the client connects to it. */
export async function connectPeers(
  lab: { client: LabHost; server: LabHost },
  setup: { client?: PeerSetup; server?: PeerSetup },
): Promise<{ client: LabPeer; server: LabPeer; clientSettings: KeepaliveSettings; serverSettings: KeepaliveSettings }> {
  const { peer: server, port } = await LabPeer.server(lab.server, setup.server);
  const client = LabPeer.client(lab.client, lab.server.address, port, setup.client);
  const [clientConnected, serverConnected] = await Promise.all([
    client.next('connected', 10_000),
    server.next('connected', 10_000),
  ]);
  return {
    client,
    server,
    clientSettings: clientConnected.settings as KeepaliveSettings,
    serverSettings: serverConnected.settings as KeepaliveSettings,
  };
}
