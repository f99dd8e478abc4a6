// The demo as a newcomer meets it on a clone where the addon could not be built.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

test('without the addon, the demo says in two lines what is missing and how to get it: no stack trace', () => {
  const demo = path.join(__dirname, '..', 'demo', 'demo.mjs');
  const result = spawnSync(process.execPath, [demo], { encoding: 'utf8', timeout: 20000, env: { ...process.env, PREBUILDS_ONLY: '1' } });
  expect(result.status).toBe(1);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(/needs the native addon, and it is not built/);
  expect(lines[1]).toMatch(/C\+\+ compiler, make and python3/);
});
