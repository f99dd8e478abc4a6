// What `ss -tnoi` reports for one connection: the kernel's view through
// netlink, independent of this library.
import { execFileSync } from 'node:child_process';

export interface SsConnection {
  state: string;
  sendQueue: number;
  /** timer:(name,left,retransmits-or-probes), when a timer runs. */
  timer?: { name: string; left: string; count: number };
  /** The key:value fields of the info line (rto, rtt, lastsnd, lastrcv, lastack, unacked, notsent, …). */
  fields: Record<string, string>;
}

/**
 * The live connection between `localPort` and `remotePort` (TIME-WAIT leftovers
 * of earlier connections on the same ports excluded); undefined if ss lists none.
 * `command` prefixes ss, such as ['ip', 'netns', 'exec', name].
 */
export function ssConnection(localPort: number, remotePort: number, command: string[] = []): SsConnection | undefined {
  const filter = ['state', 'connected', 'exclude', 'time-wait', `( sport = :${localPort} and dport = :${remotePort} )`];
  const args = [...command, 'ss', '-tnoiH', ...filter];
  const out = execFileSync(args[0], args.slice(1), { encoding: 'utf8' });
  const [first, ...rest] = out.trim().split('\n');
  if (!first) return undefined;
  const [state, , sendQueue] = first.trim().split(/\s+/);
  const timer = /timer:\((\w+),([^,]+),(\d+)\)/.exec(out);
  const fields: Record<string, string> = {};
  for (const match of rest.join(' ').matchAll(/(\w+):(\S+)/g)) fields[match[1]] = match[2];
  return {
    state,
    sendQueue: Number(sendQueue),
    timer: timer ? { name: timer[1], left: timer[2], count: Number(timer[3]) } : undefined,
    fields,
  };
}
