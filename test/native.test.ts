// The native binding on its own: malformed calls never crash, failures are errno.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { decodeFailure, NativeOption } from '../src/core/binding';
import { linuxOptionMax, OPTION_SPECS } from '../src/core/options';
import { binding } from './helpers/native';
import { closeAll, connectedPair, fdOf } from './helpers/loopback';

afterEach(closeAll);

const { ENOTSOCK, EBADF, EINVAL, EOPNOTSUPP } = os.constants.errno;

test('malformed direct calls return or throw coded errors, and the process lives (child process)', () => {
  const child = spawnSync(process.execPath, [path.join(__dirname, 'fixtures/native-garbage.js')], {
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  expect(child.signal).toBeNull();
  expect(child.stderr).toBe('');
  expect(child.status).toBe(0);
  const outcomes = JSON.parse(child.stdout) as { returned: number; threw: number; statuses: Record<string, number> };
  expect(outcomes.threw).toBeGreaterThan(1000);
  const statuses = Object.keys(outcomes.statuses).map(Number).map(decodeFailure);
  // A file: ENOTSOCK; descriptors not open: EBADF; the Unix socket pairs Node gives a
  // child as stdio take SO_KEEPALIVE but refuse TCP options (EOPNOTSUPP). Nothing else.
  expect(statuses).toEqual(
    expect.arrayContaining([
      { errno: ENOTSOCK, option: NativeOption.Idle },
      { errno: EBADF, option: NativeOption.Idle },
      { errno: EOPNOTSUPP, option: NativeOption.Idle },
    ]),
  );
  expect(statuses.every(({ errno }) => [0, ENOTSOCK, EBADF, EOPNOTSUPP].includes(errno))).toBe(true);
});

test('argument checks throw before any syscall', () => {
  const out = new Int32Array(5);
  expect(() => binding.get(-1, out)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  expect(() => binding.get(1.5, out)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  expect(() => binding.get('3' as unknown as number, out)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  expect(() => binding.get(0, new Int32Array(4))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  expect(() => binding.set(0, -2, -1, -1, -1, 1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  expect(() => (binding.set as (...args: unknown[]) => number)(0, -1, -1)).toThrow(
    expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
  );
});

test('the kernel rejecting a value comes back as -(errno | option << 16), and nothing after it runs', async () => {
  const { client } = await connectedPair();
  const out = new Int32Array(5);
  expect(binding.get(fdOf(client), out)).toBe(0);
  const before = [...out];
  // count 0 passes the binding's type checks, the kernel refuses it.
  const status = binding.set(fdOf(client), 5, -1, 0, 1234, 1);
  expect(decodeFailure(status)).toEqual({ errno: EINVAL, option: NativeOption.Count });
  expect(binding.get(fdOf(client), out)).toBe(0);
  // idle was set before the failing call; userTimeout and SO_KEEPALIVE after it were not.
  expect([...out]).toEqual([5, before[1], before[2], before[3], before[4]]);
});

test('option names come from the system headers and limits from the kernel', () => {
  expect(binding.optionNames[NativeOption.Enable]).toBe('SO_KEEPALIVE');
  expect(binding.optionMax).toEqual([32767, 32767, 127, 2147483647, 1]);
  // The copy used where no addon loads (fallback, the CLI's sysctl) agrees with the headers.
  expect(binding.optionMax).toEqual(linuxOptionMax);
});

test("the TypeScript option table agrees with the addon's, row by row (native index, system name, limit)", () => {
  expect(binding.optionNames).toHaveLength(OPTION_SPECS.length + 1);
  for (const spec of OPTION_SPECS) {
    expect({ key: spec.key, name: binding.optionNames[spec.native], max: binding.optionMax[spec.native] }).toEqual({
      key: spec.key,
      name: spec.socketOption,
      max: spec.linuxMax,
    });
  }
  // Every index is some row's, once.
  expect(OPTION_SPECS.map((spec) => spec.native).sort()).toEqual([0, 1, 2, 3]);
});

test('a failed syscall through the public API is an Error shaped like Node\'s (child process)', () => {
  const child = spawnSync(process.execPath, [path.join(__dirname, 'fixtures/system-error.js')], { encoding: 'utf8' });
  expect(child.status).toBe(0);
  const { fd, reused, errors } = JSON.parse(child.stdout);
  expect(reused).toBe(fd);
  const shape = (syscall: string, option: string) => ({
    name: 'Error',
    message: `ENOTSOCK: socket operation on non-socket, ${syscall} ${option}`,
    errno: -ENOTSOCK,
    code: 'ENOTSOCK',
    syscall,
    option,
  });
  expect(errors).toEqual({
    enableWithOptions: shape('setsockopt', 'TCP_KEEPIDLE'),
    enable: shape('setsockopt', 'SO_KEEPALIVE'),
    disable: shape('setsockopt', 'SO_KEEPALIVE'),
    get: shape('getsockopt', 'TCP_KEEPIDLE'),
  });
});
