// Several thousand concurrent loopback connections, each end configured with
// its own values (clients while connecting), all read back correctly. Runs in
// a child process with the descriptor limit raised, and bounded in time.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const connections = 5000;

test(`${connections} concurrent connections, both ends configured, all read back`, () => {
  const fixture = path.join(__dirname, 'fixtures/many-sockets.js');
  // 2 descriptors per connection, plus the server and Node's own.
  const child = spawnSync(
    'bash',
    ['-c', `ulimit -n ${2 * connections + 1024} && exec "$0" "$1" "$2"`, process.execPath, fixture, String(connections)],
    { encoding: 'utf8', timeout: 90000 },
  );
  expect(child.stderr).toBe('');
  expect(child.status).toBe(0);
  expect(JSON.parse(child.stdout)).toEqual({ connected: connections, accepted: connections, descriptors: 2 * connections, mismatches: [] });
}, 100000);
