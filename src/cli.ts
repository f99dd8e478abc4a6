#!/usr/bin/env node
// The tcp-keepalive command-line tool (package.json "bin"); see src/cli/.
import { main } from './cli/main';

void main(process.argv.slice(2)).then((code) => {
  // exitCode, not exit(): lets stdout drain when it is a pipe.
  process.exitCode = code;
});
