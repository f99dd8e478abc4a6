// System defaults at the edge of what the kernel takes, in a network namespace
// of the test's own (sysctls are per namespace; the machine's stay untouched).
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const fixture = path.join(__dirname, 'fixtures/extreme-defaults.js');
// Over 2^31 - 1 milliseconds (~24.8 days). Kernels with HZ up to ~429 accept it.
const idleSeconds = 5_000_000;

test('a tcp_keepalive_time whose milliseconds overflow 32 bits: read exactly by getSystemDefaults and getKeepalive', () => {
  const script = `ip link set lo up && { echo ${idleSeconds} > /proc/sys/net/ipv4/tcp_keepalive_time || echo refused >&2; } && exec "$0" "$1"`;
  const child = spawnSync('unshare', ['-n', 'sh', '-c', script, process.execPath, fixture], { encoding: 'utf8', timeout: 20000 });
  expect(child.status).toBe(0);
  const result = JSON.parse(child.stdout);
  if (child.stderr.includes('refused')) {
    // A kernel with a higher HZ refuses the value itself.
    expect(result.sysctl).not.toBe(String(idleSeconds));
    expect(result.defaults.idle).toBe(Number(result.sysctl) * 1000);
    return;
  }
  expect(child.stderr).toBe('');
  expect(result.sysctl).toBe(String(idleSeconds));
  // Whatever the kernel holds is data to read, not an error.
  expect(result.defaults).toMatchObject({ idle: idleSeconds * 1000 });
  expect(result.defaultsError).toBeUndefined();
  // getKeepalive converts in JavaScript, where the value fits.
  expect(result.socket).toMatchObject({ enabled: false, idle: idleSeconds * 1000 });
});
