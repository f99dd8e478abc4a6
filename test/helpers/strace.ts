// Runs a Node fixture under strace and returns the keepalive setsockopt calls
// it made: the kernel-side record of what the library (and Node) really did.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface SetsockoptCall {
  fd: number;
  option: string;
  value: number;
}

/** Whether strace can trace here (it needs ptrace); CI installs it. */
export function straceWorks(): boolean {
  try {
    execFileSync('strace', ['-qq', '-e', 'trace=none', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const keepaliveCall =
  /setsockopt\((\d+), (?:SOL_SOCKET|SOL_TCP), (SO_KEEPALIVE|TCP_KEEPIDLE|TCP_KEEPINTVL|TCP_KEEPCNT|TCP_USER_TIMEOUT), \[(\d+)\]/;

/** Runs `node fixture ...args` under strace; returns its stdout and its keepalive setsockopt calls. */
export function traceKeepaliveCalls(fixture: string, args: string[]): { stdout: string; calls: SetsockoptCall[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-keepalive-strace-'));
  const trace = path.join(dir, 'trace');
  try {
    const stdout = execFileSync(
      'strace',
      ['-f', '-qq', '-e', 'trace=setsockopt', '-o', trace, process.execPath, path.join(__dirname, '..', 'fixtures', fixture), ...args],
      { encoding: 'utf8' },
    );
    const calls = fs
      .readFileSync(trace, 'utf8')
      .split('\n')
      .flatMap((line) => {
        const match = keepaliveCall.exec(line);
        return match ? [{ fd: Number(match[1]), option: match[2], value: Number(match[3]) }] : [];
      });
    return { stdout, calls };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
