// Bun and Deno for test/runtimes.test.ts: the binaries CI installs from the
// npm registry (.ci/run: @oven/bun-linux-x64 and @deno/linux-x64-glibc, the
// packages through which the `bun` and `deno` packages deliver them), named
// by TCP_KEEPALIVE_BUN and TCP_KEEPALIVE_DENO, or else the ones on PATH.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export type RuntimeName = 'bun' | 'deno';

const variables: Record<RuntimeName, string> = { bun: 'TCP_KEEPALIVE_BUN', deno: 'TCP_KEEPALIVE_DENO' };

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** The binary and its version, or why there is none. */
export function findRuntime(name: RuntimeName): { file: string; version: string } | { missing: string } {
  const variable = variables[name];
  const file = process.env[variable] || onPath(name);
  if (!file) return { missing: `no ${name} binary: set ${variable} or put ${name} on PATH (CI installs it from the npm registry)` };
  const version = execFileSync(file, ['--version'], { encoding: 'utf8' }).trim().split('\n')[0];
  return { file, version };
}
