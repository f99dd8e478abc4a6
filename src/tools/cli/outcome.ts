// How a command ends: the exit codes scripts rely on, and the two kinds of failure.

/** Exit codes, documented in `tcp-keepalive --help` and the README. */
export const ExitCode = {
  /** Done; for check: stopped with Ctrl-C (SIGINT) or SIGTERM. */
  Ok: 0,
  /** Could not do it: cannot connect, permission denied, unsupported platform, … */
  Failure: 1,
  /** Bad arguments: one line on stderr naming the argument. */
  Usage: 2,
  /** check: the kernel declared the peer dead (keepalive probes or the user timeout ran out). */
  PeerDead: 3,
  /** check: the peer closed (FIN) or reset (RST) the connection; idle-timeout: the server (or a middlebox) ended or kept alive a connection by itself. */
  PeerClosed: 4,
  /** idle-timeout: stopped (Ctrl-C, SIGTERM, its time limit) before the bounds met the precision; the bounds so far are printed. */
  Incomplete: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** What each exit code means, for every command: the help's table (docs/cli.md has the same rows, checked by cli.test.ts). */
export const exitCodeMeanings: Readonly<Record<ExitCode, string>> = {
  [ExitCode.Ok]: 'success (check: stopped with Ctrl-C or SIGTERM)',
  [ExitCode.Failure]: 'failure: cannot connect, permission denied, unsupported platform, …',
  [ExitCode.Usage]: 'bad arguments (one line on stderr naming the argument)',
  [ExitCode.PeerDead]: 'check: the peer was declared dead (keepalive probes or user timeout ran out)',
  [ExitCode.PeerClosed]:
    'check: the peer closed or reset the connection; idle-timeout: the server\n(or a middlebox) ended or kept alive an idle connection by itself',
  [ExitCode.Incomplete]:
    'idle-timeout: stopped (Ctrl-C, SIGTERM, time limit) before the bounds met\nthe precision; the bounds so far are printed',
};

/** Bad arguments: the message names the argument and what is allowed. Exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Something the command could not do (not the user's arguments). Exit 1. */
export class Failure extends Error {
  override name = 'Failure';
}
