#!/usr/bin/env node
// The tcp-keepalive command-line tool (package.json "bin"); see tools/cli/.
import { main } from './tools/cli/main';

// A reader that goes away (`tcp-keepalive check … | head -1`) ends the command
// quietly, as it ends other Unix tools, with no EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    process.exit(error.code === 'EPIPE' ? (process.exitCode ?? 0) : 1);
  });
}

void main(process.argv.slice(2)).then((code) => {
  // exitCode, not exit(): lets stdout drain when it is a pipe.
  process.exitCode = code;
});
