// Runs the unmodified programs of test/fixtures/programs and reads their
// sockets from outside: ss finds the descriptors, peek-sockopts.py reads the
// options through pidfd_getfd. Nothing here asks the programs themselves.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

export interface Running {
  child: ChildProcess;
  /** The program's first line, parsed. */
  message: Record<string, number>;
}

const running = new Set<ChildProcess>();

export const programPath = (name: string): string => path.join(__dirname, '..', 'fixtures', 'programs', name);

/** Starts `node ...nodeArgs program ...args` and waits for its first JSON line. */
export async function startProgram(
  nodeArgs: string[],
  program: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<Running> {
  const child = spawn(process.execPath, [...nodeArgs, programPath(program), ...args], {
    env,
    cwd: path.join(__dirname, '..', '..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const lines = readline.createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${program} exited with ${code} before reporting: ${stderr}`)));
  });
  return { child, message: JSON.parse(first) };
}

/** Kills every program still running; call from afterAll/afterEach. */
export function stopPrograms(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

export interface PeerSocket {
  localPort: number;
  remotePort: number;
  fd: number;
}

/** The established TCP sockets process `pid` holds, with their descriptor numbers, as ss lists them. */
export function establishedSockets(pid: number): PeerSocket[] {
  const out = execFileSync('ss', ['-tnpH', 'state', 'established'], { encoding: 'utf8' });
  const sockets: PeerSocket[] = [];
  for (const line of out.split('\n')) {
    const ports = /:(\d+)\s+\S*:(\d+)\s/.exec(line);
    if (!ports) continue;
    for (const user of line.matchAll(/pid=(\d+),fd=(\d+)/g)) {
      if (Number(user[1]) === pid) sockets.push({ localPort: Number(ports[1]), remotePort: Number(ports[2]), fd: Number(user[2]) });
    }
  }
  return sockets;
}

/** The keepalive options of descriptor `fd` in process `pid`, read with getsockopt from outside it. */
export function peekOptions(pid: number, fd: number): Record<string, unknown> {
  const script = path.join(__dirname, 'peek-sockopts.py');
  return JSON.parse(execFileSync('python3', [script, String(pid), String(fd)], { encoding: 'utf8' }));
}
