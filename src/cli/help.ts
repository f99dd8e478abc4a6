// Help texts. Kept apart from the commands so that --help works without
// loading the native addon.

export const commandNames = ['show', 'sysctl'] as const;
export type CommandName = (typeof commandNames)[number];

const durations = `Durations: 30s, 2m, 1h, 1h30m, 1.5s, 250ms; a bare number is seconds.`;

const exitCodes = `Exit codes:
  0  success
  1  failure: permission denied, unsupported platform, …
  2  bad arguments (one line on stderr naming the argument)`;

export const mainHelp = `Usage: tcp-keepalive <command> [options]

See the system's TCP keepalive defaults and make new ones persistent.

Commands:
  show             the system-wide defaults and how long they take to notice a dead peer
  sysctl           the sysctl.d lines that make given defaults persistent (--apply: set them now)
  help [COMMAND]   this text, or a command's (same as COMMAND --help)

Options:
  -h, --help       show help
  --version        print the version

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

};
