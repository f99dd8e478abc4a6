// Child processes that talk in JSON lines: each command written to their
// stdin is answered by one line on stdout. The tests read the sockets of
// these programs from outside them (programs.ts: ss, then pidfd_getfd).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { establishedSockets, peekOptions } from './programs';

export interface ClientProgram {
  readonly pid: number;
  /** The program's first line (what it printed once connected), parsed. */
  readonly first: Record<string, unknown>;
  /** Writes `command` and waits for the program's answer. */
  send(command: string): Promise<Record<string, unknown>>;
  /** The keepalive options of the program's established socket on `localPort`, read from outside it. */
  optionsAt(localPort: number): Record<string, unknown>;
  /** The local ports of the program's established TCP sockets to `remotePort`. */
  portsTo(remotePort: number): number[];
  /** Whether the program still holds a TCP socket on `localPort`, in any state (CLOSE-WAIT too). */
  holds(localPort: number): boolean;
}

const running = new Set<ChildProcess>();

/** Starts `node ...nodeArgs test/fixtures/drivers/<script> ...args` and waits for its first line. */
export async function startClient(nodeArgs: string[], script: string, args: string[], env: NodeJS.ProcessEnv): Promise<ClientProgram> {
  const child = spawn(process.execPath, [...nodeArgs, path.join(__dirname, '..', 'fixtures', 'drivers', script), ...args], {
    env,
    cwd: path.join(__dirname, '..', '..'),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      reject(new Error(`${script} exited (${code ?? signal}): ${stderr}`));
    }),
  );
  exited.catch(() => {});
  const lines = readline.createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const queue: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  lines.on('line', (line) => {
    const next = waiting.shift();
    if (next) next(line);
    else queue.push(line);
  });
  const nextLine = async (): Promise<Record<string, unknown>> => {
    const line = queue.shift() ?? (await Promise.race([new Promise<string>((resolve) => waiting.push(resolve)), exited]));
    const message = JSON.parse(line) as Record<string, unknown>;
    if (typeof message.error === 'string') throw new Error(`${script}: ${message.error}`);
    return message;
  };
  const pid = child.pid as number;
  const first = await nextLine();
  return {
    pid,
    first,
    send(command) {
      child.stdin?.write(`${command}\n`);
      return nextLine();
    },
    optionsAt(localPort) {
      const socket = establishedSockets(pid).find((candidate) => candidate.localPort === localPort);
      if (socket === undefined) throw new Error(`${script} has no established socket on port ${localPort}`);
      return peekOptions(pid, socket.fd);
    },
    portsTo(remotePort) {
      return establishedSockets(pid)
        .filter((socket) => socket.remotePort === remotePort)
        .map((socket) => socket.localPort);
    },
    holds(localPort) {
      const out = execFileSync('ss', ['-tanpH', `sport = :${localPort}`], { encoding: 'utf8' });
      return out.includes(`pid=${pid},`);
    },
  };
}

/** Kills every client program still running; call from afterEach. */
export function stopClients(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/** Polls `condition` every 20 ms, for at most `ms`; throws with `what` if it never holds. */
export async function until(condition: () => boolean, what: string, ms = 10000): Promise<void> {
  for (const deadline = Date.now() + ms; !condition(); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** An environment without the preload's variables (the tests add them where they want them). */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['KEEPALIVE', 'KEEPIDLE', 'KEEPINTVL', 'KEEPCNT', 'TCP_USER_TIMEOUT', 'NODE_OPTIONS']) delete env[name];
  return { ...env, ...extra };
}
