// The tcp-keepalive command: picks the command, prints help, and turns what
// happened into an exit code and, on failure, one line on stderr.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { commandHelp, commandNames, mainHelp, type CommandName } from './help';
import { ExitCode, UsageError } from './outcome';

type Command = (args: string[]) => Promise<ExitCode>;

const isCommand = (name: string): name is CommandName => (commandNames as readonly string[]).includes(name);
const expected = 'expected show, sysctl, check, idle-timeout, suggest or help';

/** Commands load the native addon, so they are loaded only when run (help works without it). */
async function load(name: CommandName): Promise<Command> {
  switch (name) {
    case 'show':
      return (await import('./show')).show;
    case 'sysctl':
      return (await import('./sysctl')).sysctl;
    case 'check':
      return (await import('./check')).check;
    case 'idle-timeout':
      return (await import('./idle-timeout')).idleTimeout;
    case 'suggest':
      return (await import('./suggest')).suggest;
  }
}

/** Whether the command line asks for help: -h or --help anywhere before a "--". */
function wantsHelp(args: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}

function version(): string {
  // dist/tools/cli/ as tsc writes it, or dist/ for the bundle of scripts/bundle.js.
  for (const up of [['..'], ['..', '..', '..']]) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(__dirname, ...up, 'package.json'), 'utf8')) as { name?: string; version: string };
      if (manifest.name === 'tcp-keepalive') return manifest.version;
    } catch {
      // Not here: one more level up.
    }
  }
  return 'unknown';
}

function helpFor(topics: string[]): string {
  if (topics.length > 1) throw new UsageError(`help takes one command, got ${topics.length} arguments`);
  const [topic] = topics;
  if (topic === undefined) return mainHelp;
  if (!isCommand(topic)) throw new UsageError(`unknown command '${topic}' (${expected})`);
  return commandHelp[topic];
}

/** Runs the command line `args` (without node and the script) and returns the exit code. */
export async function main(args: string[]): Promise<ExitCode> {
  const [first, ...rest] = args;
  let context = 'tcp-keepalive';
  try {
    if (first === undefined) {
      // As Unix tools do: the usage, on stderr, and the exit code of a usage error.
      process.stderr.write(mainHelp);
      return ExitCode.Usage;
    }
    if (first === '--help' || first === '-h') {
      process.stdout.write(mainHelp);
      return ExitCode.Ok;
    }
    if (first === '--version' || first === '-v') {
      process.stdout.write(`${version()}\n`);
      return ExitCode.Ok;
    }
    if (first === 'help') {
      process.stdout.write(helpFor(rest));
      return ExitCode.Ok;
    }
    if (first.startsWith('-')) throw new UsageError(`unknown option ${first} (${expected} first)`);
    if (!isCommand(first)) throw new UsageError(`unknown command '${first}' (${expected})`);
    context = `tcp-keepalive ${first}`;
    if (wantsHelp(rest)) {
      process.stdout.write(commandHelp[first]);
      return ExitCode.Ok;
    }
    const command = await load(first);
    return await command(rest);
  } catch (error) {
    const usage = error instanceof UsageError;
    const message = error instanceof Error ? error.message : String(error);
    // One line, whatever the error's message holds.
    process.stderr.write(`${context}: ${message.split('\n')[0]}\n`);
    return usage ? ExitCode.Usage : ExitCode.Failure;
  }
}
