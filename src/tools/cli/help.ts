// Help texts. Kept apart from the commands so that --help works without
// loading the native addon. The option lines and exit codes are made from
// the tables they describe (core/options.ts, outcome.ts).
import { OPTION_SPECS } from '../../core/options';
import { exitCodeMeanings } from './outcome';

export const commandNames = ['show', 'sysctl', 'check'] as const;
export type CommandName = (typeof commandNames)[number];

const durations = `Durations: 30s, 2m, 1h, 1h30m, 1.5s, 250ms; a bare number is seconds.`;

const exitCodes = `Exit codes:\n${Object.entries(exitCodeMeanings)
  .map(([code, meaning]) => `  ${code}  ${meaning}`)
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
  help [COMMAND]   this text, or a command's (same as COMMAND --help)

Options:
  -h, --help       show help
  -v, --version    print the version

${durations}

${exitCodes}
`;

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
};
