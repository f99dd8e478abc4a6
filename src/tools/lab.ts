// A network lab for proving keepalive against the real kernel: two fresh
// network namespaces joined by a veth pair, where either host can vanish
// without a word; or, with a NAT router between them, a third namespace that
// forgets idle connections. Linux and root only (ip from iproute2, nft from
// nftables).
import {
  execFileSync,
  spawn as spawnProcess,
  type ChildProcess,
  type ChildProcessWithoutNullStreams,
  type SpawnOptions,
  type SpawnOptionsWithoutStdio,
} from 'node:child_process';
import { readFileSync } from 'node:fs';

export type LabSupport = { available: true } | { available: false; reason: string };

/** One end of the lab: a network namespace with one IPv4 address on the veth link. */
export interface LabHost {
  /** The network namespace's name, as `ip netns list` shows it. */
  readonly name: string;
  /** This host's IPv4 address on the link, such as `10.77.1.2`. */
  readonly address: string;
  /**
   * Runs `command` inside the namespace (`ip netns exec`, which replaces
   * itself with the command: the child's pid is the command's). The lab
   * kills it on close(). A Node child should also exit when its stdin ends,
   * so that it does not outlive a parent that was killed.
   */
  spawn(command: string, args?: readonly string[], options?: SpawnOptionsWithoutStdio): ChildProcessWithoutNullStreams;
  spawn(command: string, args: readonly string[], options: SpawnOptions): ChildProcess;
  /** Runs `command` inside the namespace to completion; resolves its stdout, rejects with its stderr. */
  exec(command: string, args?: readonly string[]): Promise<string>;
  /**
   * Makes the host vanish: every IPv4 and IPv6 packet in or out of it is
   * dropped silently by an nftables table in its namespace, as when a host
   * loses power behind a router. No RST, no ICMP: the other end hears nothing.
   */
  vanish(): Promise<void>;
  /** Undoes vanish(): packets flow again. */
  restore(): Promise<void>;
}

export interface Lab {
  readonly client: LabHost;
  readonly server: LabHost;
  /**
   * With the `nat` option: the router between them, which masquerades the
   * client's connections (its `address` is the one the server sees them
   * come from). Undefined otherwise.
   */
  readonly router?: LabHost;
  /** Kills the processes started in the lab and removes its namespaces (and so the links). Safe to call twice. */
  close(): Promise<void>;
}

export interface LabOptions {
  /**
   * Puts a router between client and server that translates the client's
   * address (masquerade, as a home or cloud NAT does) and, like most
   * firewalls, drops packets of connections it does not know (conntrack
   * INVALID; no loose pickup of connections already established).
   */
  nat?: {
    /**
     * How long (ms, rounded up to whole seconds) the router keeps an
     * established connection that sends nothing: its
     * net.netfilter.nf_conntrack_tcp_timeout_established. After that the
     * connection is forgotten, and its packets dropped. Default: the
     * kernel's (5 days).
     */
    idleTimeout?: number;
  };
}

/** Every namespace the lab makes is named `tcpka-<pid>-<n>-<role>`; the pid tells stale ones apart. */
const PREFIX = 'tcpka-';
const STALE = /^tcpka-(\d+)-/;
const VANISH_TABLE = 'tcp_keepalive_lab';
/** The link's name inside each namespace (names are per namespace, so both ends can share it). */
const LINK = 'veth0';
/** The router's second link, towards the server. */
const LINK_TO_SERVER = 'veth1';

interface Failure extends Error {
  code?: string;
  stderr?: string | Buffer;
}

function describeFailure(error: unknown): string {
  const failure = error as Failure;
  if (failure.code === 'ENOENT') return 'not found';
  const stderr = String(failure.stderr ?? '').trim();
  return stderr !== '' ? stderr : failure.message;
}

/** Runs a command to completion; rejects with an error naming the command and its stderr. */
function run(command: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawnProcess(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => reject(new Error(`${command} ${args.join(' ')}: ${describeFailure(error)}`)));
    child.on('close', (status, signal) => {
      if (status === 0) resolve(stdout);
      else reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${status}`}): ${stderr.trim()}`));
    });
    child.stdin.end(input);
  });
}

function runSync(command: string, args: readonly string[], input?: string): string {
  return execFileSync(command, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

let support: LabSupport | undefined;

/**
 * Whether a lab can be made here, and if not, exactly why. Checks the
 * platform, root, `ip` and `nft`, and makes (then removes) a namespace with a
 * veth pair and an nftables table in it. The answer is cached.
 */
export function labSupport(): LabSupport {
  support ??= checkSupport();
  return support;
}

function checkSupport(): LabSupport {
  const unavailable = (reason: string): LabSupport => ({ available: false, reason });
  if (process.platform !== 'linux') {
    return unavailable(`network labs need Linux network namespaces, and this platform is ${process.platform}`);
  }
  const uid = process.getuid?.() ?? -1;
  if (uid !== 0) {
    return unavailable(`network labs need root to create network namespaces, and this process runs as uid ${uid}`);
  }
  for (const [tool, pkg] of [['ip', 'iproute2'], ['nft', 'nftables']]) {
    try {
      runSync(tool, ['-V']);
    } catch (error) {
      const problem = describeFailure(error);
      const state = problem === 'not found' ? 'not installed' : `not working: ${problem}`;
      return unavailable(`the \`${tool}\` command (Debian package ${pkg}) is ${state}`);
    }
  }
  const probe = `${PREFIX}${process.pid}-probe`;
  const steps: Array<[string, string[], string?]> = [
    ['create a network namespace', ['netns', 'add', probe]],
    ['create a veth pair', ['-n', probe, 'link', 'add', 'probe0', 'type', 'veth', 'peer', 'name', 'probe1']],
    ['load an nftables table in a namespace', ['netns', 'exec', probe, 'nft', '-f', '-'], vanishRules],
  ];
  try {
    for (const [what, args, input] of steps) {
      try {
        runSync('ip', args, input);
      } catch (error) {
        return unavailable(`could not ${what} (ip ${args.join(' ')}): ${describeFailure(error)}`);
      }
    }
    return { available: true };
  } finally {
    try {
      runSync('ip', ['netns', 'delete', probe]);
    } catch {
      // It was never made.
    }
  }
}

/** Drops everything at the earliest hooks (before conntrack), forwarded packets too. ARP, a family of its own, still flows. */
const vanishRules = `
table inet ${VANISH_TABLE} {
  chain input { type filter hook input priority -300; policy drop; }
  chain output { type filter hook output priority -300; policy drop; }
  chain passing { type filter hook forward priority -300; policy drop; }
}
`;

const NAT_TABLE = 'tcp_keepalive_lab_nat';

/** The router's NAT: masquerade towards the server, and drop what conntrack does not know (INVALID). */
const natRules = `
table ip ${NAT_TABLE} {
  chain translate { type nat hook postrouting priority srcnat; policy accept; oifname "${LINK_TO_SERVER}" masquerade; }
  chain unknown { type filter hook forward priority filter; policy accept; ct state invalid drop; }
}
`;

/** Whether `pid` is a live process: a zombie (dead, not yet reaped) is not. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state letter follows the command name, which is in parentheses and may hold any character.
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

async function pidsIn(namespace: string): Promise<number[]> {
  try {
    const out = await run('ip', ['netns', 'pids', namespace]);
    return out.split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function removeNamespace(namespace: string): Promise<void> {
  for (const pid of await pidsIn(namespace)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  try {
    await run('ip', ['netns', 'delete', namespace]);
  } catch {
    // Already removed (by another process cleaning stale labs, for one).
  }
}

/** Removes namespaces left by lab processes that died without closing them. */
async function removeStaleNamespaces(): Promise<void> {
  let listing: string;
  try {
    listing = await run('ip', ['netns', 'list']);
  } catch {
    return;
  }
  const stale = listing
    .split('\n')
    .map((line) => line.split(' ')[0])
    .filter((name) => {
      const match = STALE.exec(name);
      return match !== null && Number(match[1]) !== process.pid && !alive(Number(match[1]));
    });
  await Promise.all(stale.map(removeNamespace));
}

/** Labs of this process not closed yet, removed synchronously if the process exits first. */
const openLabs = new Set<{ namespaces: string[]; children: Set<ChildProcess> }>();

function closeOnExit(): void {
  for (const lab of openLabs) {
    for (const child of lab.children) child.kill('SIGKILL');
    for (const namespace of lab.namespaces) {
      try {
        runSync('ip', ['netns', 'delete', namespace]);
      } catch {
        // Nothing more can be done while exiting; the next lab removes it as stale.
      }
    }
  }
}

let exitHookInstalled = false;
let labCount = 0;

function labError(reason: string): Error {
  const error = new Error(`Cannot create a network lab: ${reason}`);
  Object.defineProperty(error, 'code', { value: 'TCP_KEEPALIVE_LAB_UNAVAILABLE', enumerable: true, writable: true, configurable: true });
  return error;
}

/**
 * Makes two fresh network namespaces, `client` and `server`, joined by a veth
 * pair with the addresses 10.77.n.1 and 10.77.n.2 (/30), loopback up in both.
 * With `nat`, a third, `router`, stands between them: the client 10.77.n.1
 * routes through the router's 10.77.n.2, and the router (10.78.n.1)
 * masquerades its connections to the server 10.78.n.2.
 * Namespaces left by lab processes that died are removed first.
 */
export async function createLab(options: LabOptions = {}): Promise<Lab> {
  const supported = labSupport();
  if (!supported.available) throw labError(supported.reason);
  await removeStaleNamespaces();

  const n = labCount++;
  const subnet = `10.77.${n % 256}`;
  const base = `${PREFIX}${process.pid}-${n}`;
  const nat = options.nat;
  const routerNs = `${base}-r`;
  const state = { namespaces: [`${base}-c`, `${base}-s`, ...(nat ? [routerNs] : [])], children: new Set<ChildProcess>() };
  const [clientNs, serverNs] = state.namespaces;
  const serverSubnet = nat ? `10.78.${n % 256}` : subnet;
  openLabs.add(state);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', closeOnExit);
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const exits = [...state.children].map(
        (child) =>
          new Promise<void>((resolve) => {
            // Never started (no pid) or already ended: nothing to wait for.
            if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      );
      await Promise.all(exits);
      await Promise.all(state.namespaces.map(removeNamespace));
      openLabs.delete(state);
    })();
    return closing;
  };

  try {
    for (const namespace of state.namespaces) await run('ip', ['netns', 'add', namespace]);
    const ends: Array<[namespace: string, link: string, address: string]> = [[clientNs, LINK, `${subnet}.1`]];
    if (nat) {
      await run('ip', ['link', 'add', LINK, 'netns', clientNs, 'type', 'veth', 'peer', 'name', LINK, 'netns', routerNs]);
      await run('ip', ['link', 'add', LINK_TO_SERVER, 'netns', routerNs, 'type', 'veth', 'peer', 'name', LINK, 'netns', serverNs]);
      ends.push([routerNs, LINK, `${subnet}.2`], [routerNs, LINK_TO_SERVER, `${serverSubnet}.1`]);
    } else {
      await run('ip', ['link', 'add', LINK, 'netns', clientNs, 'type', 'veth', 'peer', 'name', LINK, 'netns', serverNs]);
    }
    ends.push([serverNs, LINK, `${serverSubnet}.2`]);
    for (const [namespace, link, address] of ends) {
      await run('ip', ['-n', namespace, 'address', 'add', `${address}/30`, 'dev', link]);
      await run('ip', ['-n', namespace, 'link', 'set', link, 'up']);
    }
    for (const namespace of state.namespaces) await run('ip', ['-n', namespace, 'link', 'set', 'lo', 'up']);
    if (nat) {
      await run('ip', ['-n', clientNs, 'route', 'add', 'default', 'via', `${subnet}.2`]);
      // conntrack's settings are per network namespace: these hold for the router alone.
      const settings = ['net.ipv4.ip_forward=1', 'net.netfilter.nf_conntrack_tcp_loose=0'];
      if (nat.idleTimeout !== undefined) {
        settings.push(`net.netfilter.nf_conntrack_tcp_timeout_established=${Math.max(1, Math.ceil(nat.idleTimeout / 1000))}`);
      }
      await run('ip', ['netns', 'exec', routerNs, 'sysctl', '-q', '-w', ...settings]);
      await run('ip', ['netns', 'exec', routerNs, 'nft', '-f', '-'], natRules);
    }
  } catch (error) {
    await close();
    throw labError((error as Error).message);
  }

  const host = (namespace: string, address: string): LabHost => ({
    name: namespace,
    address,
    spawn(command: string, args: readonly string[] = [], options: SpawnOptions = {}) {
      const child = spawnProcess('ip', ['netns', 'exec', namespace, command, ...args], options);
      state.children.add(child);
      child.once('exit', () => state.children.delete(child));
      return child as ChildProcessWithoutNullStreams;
    },
    exec: (command, args = []) => run('ip', ['netns', 'exec', namespace, command, ...args]),
    async vanish() {
      await run('ip', ['netns', 'exec', namespace, 'nft', '-f', '-'], vanishRules);
    },
    async restore() {
      await run('ip', ['netns', 'exec', namespace, 'nft', 'delete', 'table', 'inet', VANISH_TABLE]);
    },
  });

  return {
    client: host(clientNs, `${subnet}.1`),
    server: host(serverNs, `${serverSubnet}.2`),
    ...(nat ? { router: host(routerNs, `${serverSubnet}.1`) } : {}),
    close,
  };
}
