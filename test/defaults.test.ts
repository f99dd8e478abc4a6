// getSystemDefaults and detectionTime.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { detectionTime, enableKeepalive, getKeepalive, getSystemDefaults } from '../src';
import { closeAll, connectedPair, systemDefaults } from './helpers/loopback';
import { namespaceTest } from './helpers/namespaces';

afterEach(closeAll);

describe('getSystemDefaults', () => {
  test('reads /proc/sys/net/ipv4/tcp_keepalive_* in milliseconds', () => {
    expect(getSystemDefaults()).toEqual(systemDefaults());
  });

  test('equals what a fresh socket reports', async () => {
    const { client } = await connectedPair();
    const { enabled: _, userTimeout: __, ...fresh } = getKeepalive(client);
    expect(getSystemDefaults()).toEqual(fresh);
  });

  namespaceTest("reads the caller's network namespace (values changed only in a new one)", () => {
    const script =
      'echo 30 > /proc/sys/net/ipv4/tcp_keepalive_time && echo 4 > /proc/sys/net/ipv4/tcp_keepalive_intvl && ' +
      'echo 5 > /proc/sys/net/ipv4/tcp_keepalive_probes && exec "$0" "$1"';
    const out = execFileSync('unshare', ['-n', 'sh', '-c', script, process.execPath, path.join(__dirname, 'fixtures/system-defaults.js')], {
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual({ defaults: { idle: 30000, interval: 4000, count: 5 }, detection: 50000 });
    // The host's values did not move.
    expect(getSystemDefaults()).toEqual(systemDefaults());
  });
});

describe('detectionTime', () => {
  test('idle + interval × count', () => {
    expect(detectionTime({ idle: 5000, interval: 1000, count: 3 })).toBe(8000);
    expect(detectionTime({ idle: 7200000, interval: 75000, count: 9 })).toBe(7875000);
  });

  test('system defaults fill what is left out', () => {
    const system = systemDefaults();
    expect(detectionTime()).toBe(system.idle + system.interval * system.count);
    expect(detectionTime({ idle: 10000 })).toBe(10000 + system.interval * system.count);
    expect(detectionTime({ count: 2 })).toBe(system.idle + system.interval * 2);
  });

  test('idle and interval are rounded up to whole seconds, as the kernel keeps them', () => {
    expect(detectionTime({ idle: 4500, interval: 1001, count: 3 })).toBe(5000 + 3 * 2000);
  });

  test('with userTimeout the kernel ignores count: first probe time ≥ userTimeout, after at least one probe', () => {
    // Probes at 5, 6, 7, … s after the last packet; 7.5 s passed at the probe time 8 s.
    expect(detectionTime({ idle: 5000, interval: 1000, count: 9, userTimeout: 7500 })).toBe(8000);
    // A user timeout shorter than idle still waits for one probe and one interval.
    expect(detectionTime({ idle: 5000, interval: 1000, count: 9, userTimeout: 1000 })).toBe(6000);
    // Longer than idle + interval × count: more probes than count are sent.
    expect(detectionTime({ idle: 5000, interval: 1000, count: 3, userTimeout: 20000 })).toBe(20000);
    // 0 means no user timeout.
    expect(detectionTime({ idle: 5000, interval: 1000, count: 3, userTimeout: 0 })).toBe(8000);
  });

  test('takes what getKeepalive returns; keepalive off is never', async () => {
    const { client } = await connectedPair();
    expect(detectionTime(getKeepalive(client))).toBe(Infinity);
    enableKeepalive(client, { idle: 2000, interval: 1000, count: 4 });
    expect(detectionTime(getKeepalive(client))).toBe(6000);
  });

  test('values are data: anything the kernel may report is used, not checked against per-socket limits', () => {
    // Above TCP_KEEPIDLE's 32767 s and TCP_KEEPCNT's 127, as system defaults may be.
    expect(detectionTime({ idle: 86400000, interval: 75000, count: 200 })).toBe(86400000 + 75000 * 200);
    expect(detectionTime({ idle: 0, interval: 1000, count: 0 })).toBe(0);
  });

  test('bad options get errors with Node codes', () => {
    expect(() => detectionTime({ count: -1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => detectionTime({ count: 1.5 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => detectionTime({ idle: NaN })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => detectionTime({ idle: '5s' } as unknown as object)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => detectionTime({ intervall: 1 } as object)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => detectionTime(null as unknown as object)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => detectionTime({ enabled: 'yes' } as unknown as object)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"options.enabled" property') }),
    );
  });
});
