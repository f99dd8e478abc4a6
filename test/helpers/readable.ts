// Some tests run the package as another user (nobody), to see what a user
// without root gets. That user must be able to reach the package: a clone in a
// directory only its owner may enter (mktemp -d makes them 0700) is copied,
// just what running it needs, to a directory anyone may read.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');

/** Whether every directory from / down to `dir` lets others in. */
function othersCanEnter(dir: string): boolean {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    if ((fs.statSync(current).mode & 0o001) === 0) return false;
    if (current === path.dirname(current)) return true;
  }
}

/**
 * Call at the top of a test file: returns a function giving the package root,
 * or a copy of what runs it (dist, the addon, node-gyp-build) that any user
 * can read (and use as the working directory), removed after the file's tests.
 */
export function packageRootForOthers(): () => string {
  let copy: string | undefined;
  afterAll(() => {
    if (copy !== undefined) fs.rmSync(copy, { recursive: true, force: true });
  });
  return () => {
    if (othersCanEnter(root)) return root;
    if (copy !== undefined) return copy;
    copy = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-keepalive-readable-'));
    fs.chmodSync(copy, 0o755);
    for (const part of ['package.json', 'dist', path.join('build', 'Release'), path.join('node_modules', 'node-gyp-build')]) {
      fs.cpSync(path.join(root, part), path.join(copy, part), { recursive: true });
    }
    return copy;
  };
}
