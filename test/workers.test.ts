// The addon is context-aware and keeps no global state (native/binding.cc sets
// everything up per environment; keepalive.cc holds only constant tables), so
// worker threads, and several instances in one thread, can use it at once.
// Run in a child process: a crash there fails the test instead of jest.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

test('worker threads and the main thread configure their own sockets concurrently and read them back', () => {
  const workers = 4;
  const sockets = 8;
  const rounds = 25;
  const child = spawnSync(
    process.execPath,
    [path.join(__dirname, 'fixtures/workers.js'), String(workers), String(sockets), String(rounds)],
    { encoding: 'utf8', timeout: 60000 },
  );
  expect(child.signal).toBeNull();
  expect(child.stderr).toBe('');
  expect(child.status).toBe(0);
  const result = JSON.parse(child.stdout);
  expect(result.mismatches).toEqual([]);
  expect(result.threads).toBe(workers + 1);
  expect(result.checked).toBe((workers + 1) * sockets * rounds);
  // Two instances in one thread: distinct objects, one kernel.
  expect(result.secondInstance).toEqual({ distinct: true, setBySecond: 0, readByFirst: 0, values: [7, 3, 4, 1234, 1] });
});
