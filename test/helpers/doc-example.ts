// The examples of docs/*.md, run as written: a ```js block whose first line
// is `// NAME: node NAME ...` is an ES module, run from the package root (so
// it imports 'tcp-keepalive' and the driver packages as a user's program
// would) with process.argv as `node NAME ...args` gives it.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');

/** The code of the ```js block of docs/`doc` that starts with `// name:`. */
export function docExample(doc: string, name: string): string {
  const text = fs.readFileSync(path.join(root, 'docs', doc), 'utf8');
  for (const match of text.matchAll(/^```js\n([\s\S]*?)^```$/gm)) {
    if (match[1].startsWith(`// ${name}:`)) return match[1];
  }
  throw new Error(`docs/${doc} has no js example starting with // ${name}:`);
}

export interface DocRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the example; resolves with how it ended (never rejects on a failed run). */
export function runDocExample(doc: string, name: string, args: string[], env: NodeJS.ProcessEnv): Promise<DocRun> {
  const code = docExample(doc, name);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', code, name, ...args],
      { cwd: root, env, encoding: 'utf8', timeout: 30000 },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: unknown }).code as number | null) ?? 1 : 0, stdout, stderr }),
    );
  });
}
