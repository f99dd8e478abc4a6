// Help texts. Kept apart from the commands so that --help works without
// loading the native addon. The option lines and exit codes are made from
// the tables they describe (core/options.ts, outcome.ts).
import { formatDuration } from '../../core/duration';
import { OPTION_SPECS } from '../../core/options';
import { middleboxPresets } from '../../core/suggest';
import { ExitCode, exitCodeMeanings } from './outcome';

export const commandNames = ['show', 'sysctl', 'check', 'idle-timeout', 'suggest'] as const;
export type CommandName = (typeof commandNames)[number];

const durations = `Durations: 30s, 2m, 1h, 1h30m, 1.5s, 250ms; a bare number is seconds.`;

const exitCodes = `Exit codes:\n${Object.entries(exitCodeMeanings)
  .map(([code, meaning]) => `  ${code}  ${meaning.replace(/\n/g, '\n     ')}`)
  .join('\n')}`;

/** Notes under an option's line in check's help. */
const optionNotes: Readonly<Record<string, string>> = {
  userTimeout: `(Linux; 0 = system behaviour); on an idle
connection it replaces count. Needs a unit
(30s, 500ms): the preload's TCP_USER_TIMEOUT=30
means 30 ms`,
};

/** "  --idle DURATION             idle time before the first probe", one per option, as check takes them. */
const keepaliveOptionLines = OPTION_SPECS.map((spec) => {
  const head = `  ${spec.flag} ${spec.kernelUnit === 'probes' ? 'N' : 'DURATION'}`.padEnd(30);
  const notes = optionNotes[spec.key]?.split('\n').map((line) => `\n${' '.repeat(30)}${line}`).join('') ?? '';
  return `${head}${spec.meaning}${notes}`;
}).join('\n');

export const mainHelp = `Usage: tcp-keepalive <command> [options]

See the system's TCP keepalive defaults, make new ones persistent, and watch
keepalive at work on a real connection.

Commands:
  show             the system-wide defaults and how long they take to notice a dead peer
  sysctl           the sysctl.d lines that make given defaults persistent (--apply: set them now)
  check HOST:PORT  connect, apply keepalive options, and watch the connection live
  idle-timeout HOST:PORT
                   measure how long the path to HOST:PORT keeps an idle
                   connection (NAT, firewall, load balancer), with keepalive
                   probes alone, and suggest a keepalive idle below it
  suggest          keepalive settings for a detection target (--detect-within 30s)
                   and/or a middlebox (--behind aws-nlb, --idle-timeout 350s)
  help [COMMAND]   this text, or a command's (same as COMMAND --help)

Options:
  -h, --help       show help
  -v, --version    print the version

${durations}

${exitCodes}
`;

/** "  aws-nlb            350s   AWS Network Load Balancer", one per preset. */
const presetLines = Object.entries(middleboxPresets)
  .map(([preset, box]) => `  ${preset.padEnd(18)} ${formatDuration(box.idleTimeout).padEnd(6)} ${box.name}`)
  .join('\n');

export const commandHelp: Readonly<Record<CommandName, string>> = {
  show: `Usage: tcp-keepalive show [--json]

Prints the system-wide keepalive defaults (Linux: net.ipv4.tcp_keepalive_* of
this network namespace; macOS, FreeBSD: net.inet.tcp.keep*) and the time they
take to notice an idle dead peer: idle + count × interval. They apply to
sockets that turn keepalive on without values of their own.

Options:
  --json      print {"idle", "interval", "count", "detectionTime"} in milliseconds
  -h, --help  show this help

Exit codes: 0 done, 1 the defaults cannot be read, 2 bad arguments.
`,

  sysctl: `Usage: tcp-keepalive sysctl [--idle DURATION] [--interval DURATION] [--count N] [--apply]

Prints the lines of a sysctl.d file that makes these keepalive defaults
persistent: save them as /etc/sysctl.d/60-tcp-keepalive.conf and load them with
\`sysctl --system\` (which also runs at boot). At least one option is needed;
the others stay as they are.

Options:
  --idle DURATION      idle time before the first probe (net.ipv4.tcp_keepalive_time)
  --interval DURATION  time between unanswered probes (net.ipv4.tcp_keepalive_intvl)
  --count N            unanswered probes before the connection is dropped
                       (net.ipv4.tcp_keepalive_probes)
  --apply              also write them to /proc/sys now (Linux, as root), for the
                       current network namespace, and print old and new values
  -h, --help           show this help

Sysctls hold whole seconds: 1.5s is refused. Limits are those of the socket
options: idle and interval up to 32767s, count 1 to 127 (Linux).
${durations}

Exit codes: 0 done, 1 --apply failed (not root, read-only /proc/sys, not Linux),
2 bad arguments.
`,

  check: `Usage: tcp-keepalive check HOST:PORT [options]

Connects to HOST:PORT (IPv6: [::1]:443), turns keepalive on with the given
options, prints the values the kernel holds and how long a dead peer would go
unnoticed, then prints the connection's state every tick: TCP state,
unanswered probes, time since the peer last acknowledged anything,
unacknowledged bytes. Runs until the kernel declares the peer dead, the peer
closes the connection, or you press Ctrl-C. Options left out keep the system
defaults.

Options:
${keepaliveOptionLines}
  --tls                       connect with TLS (certificate verified)
  --insecure                  with --tls: do not verify the certificate
  --every DURATION            time between status lines (default 1s)
  --connect-timeout DURATION  give up connecting after this long (default 30s)
  --once                      print the settings and one status line, then exit 0
  --for DURATION              watch this long, then print the summary and exit 0
  --json                      one JSON object per line instead of text: an
                              "event" of "connected" (settings, detectionMs),
                              "status" (each tick) and "end" (reason, exitCode);
                              times in ms
  -h, --help                  show this help

${durations}

Exit codes:
  0  stopped with Ctrl-C (SIGINT) or SIGTERM, or at the end of --once or --for,
     with a summary (through npx, Ctrl-C gives 130: npm's own doing)
  1  cannot connect (refused, unreachable, timeout, TLS failure), or interrupted
     before the connection was established
  2  bad arguments
  3  the peer was declared dead: keepalive probes (or the user timeout) ran out
  4  the peer closed (FIN) or reset (RST) the connection
`,

  'idle-timeout': `Usage: tcp-keepalive idle-timeout HOST:PORT [options]

Measures how long a connection to HOST:PORT may stay idle before something on
the path (a NAT, a firewall, a load balancer) forgets it, without sending a
byte of application data. Holds several connections, each probed by
keepalive once after a chosen idle time: a probe answered proves the path
kept the connection that long; one unanswered (or answered by a reset) that
the path had forgotten it. The idle times narrow in (a bisection over
parallel connections) until the bounds are within the precision; then the
bounds are printed, with a keepalive idle below them. Linux only.

Options:
  --max DURATION              the longest idle probed (whole seconds, default
                              15m): a path that keeps connections longer is
                              reported as keeping them at least that long
  --precision DURATION|N%     how close the bounds must come (default: the
                              larger of 2s and 10% of the timeout); keepalive's
                              idle is whole seconds, so 1s at best
  --connections N             most connections open at once (1 to 16, default 8)
  --connect-timeout DURATION  give up connecting after this long (default 10s)
  --json                      print one JSON object at the end: lowerMs and
                              upperMs (the timeout lies between; upperMs null:
                              at least --max), suggestedIdleMs, elapsedMs,
                              connectionsUsed, …; progress goes to stderr
  -h, --help                  show this help

It ends by itself: as soon as the bounds meet the precision, or after
4 × --max + 1m at the latest. Progress lines show the time, the bounds so
far, the connections open, and each probe's outcome. The server keeps the
connections the path forgot until its own keepalive or timeout ends them.

${durations}

Exit codes:
  0  the bounds, within the precision (or as close as whole seconds allow), or
     the path keeps idle connections at least --max
  1  cannot connect (refused, unreachable, timeout), not Linux, or no native
     addon (it reads TCP_INFO)
  2  bad arguments
  4  the server or a middlebox ended an idle connection by itself (FIN or RST
     with no probe outstanding: an application timeout, say), or kept it busy
     (its own keepalive, or data): the bounds so far are printed
  5  stopped (Ctrl-C, SIGTERM, the time limit) before the bounds met the
     precision: the bounds so far are printed
`,

  suggest: `Usage: tcp-keepalive suggest [--detect-within DURATION]
         [--behind PRESET | --idle-timeout DURATION] [--in-flight] [--json]

Prints keepalive settings for what you want rather than three numbers: a dead
peer of an idle connection noticed within --detect-within, and/or the
middlebox on the path (a load balancer, a NAT) kept from forgetting an idle
connection. Then the detection time they give, the line for enableKeepalive,
the preload's variables and the sysctl lines. Whole seconds, count 3 (fewer
only for targets under 4.6s). The target holds even with kernel timers firing
late (up to 1/8); the first probe, and its repeat should it be lost, leave 2s
before the middlebox's timeout, late timers included.

Options:
  --detect-within DURATION  notice a dead peer within this (at least 2.294s)
  --behind PRESET           the middlebox, by its documented idle timeout:
${presetLines.replace(/^/gm, '    ')}
  --idle-timeout DURATION   the middlebox's idle timeout, if you know it
                            (tcp-keepalive idle-timeout measures it: give
                            the lower bound it prints)
  --in-flight               also bound the wait while sent data is not
                            acknowledged: adds userTimeout (Linux). A live
                            peer that stops reading for that long is cut
                            off too (zero window): only where peers always read
  --json                    print one object: options (idle, interval, count,
                            userTimeout where set; ms), detectionMs,
                            latestDetectionMs, middlebox, notes, preload,
                            sysctl
  -h, --help                show this help

TCP keepalive does not keep layer-7 proxies (AWS Application and Classic Load
Balancers, Cloudflare's HTTP proxy): they count only data, and are refused.
${durations}

Exit codes: ${ExitCode.Ok} done, ${ExitCode.Failure} an option the platform cannot set (--in-flight
outside Linux; no native addon, on a Node that sets no interval and count),
${ExitCode.Usage} bad arguments, or a target or timeout that keepalive cannot meet.
`,
};
