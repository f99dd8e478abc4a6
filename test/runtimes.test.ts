// Bun and Deno: the behaviour suite and the contract with their internals
// (test/fixtures/runtimes/suite.cjs, internals.cjs) run under each, on the
// package built in dist/, every value read from outside the process; and the
// preload, under each runtime's own preload flag. Under CI=true both runtimes
// must be there (.ci/run installs them); elsewhere a missing one is skipped,
// saying why.
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { localhostCertificate } from './helpers/certificate';
import { establishedSockets, peekOptions } from './helpers/programs';
import { findRuntime, type RuntimeName } from './helpers/runtimes';

const fixtures = path.join(__dirname, 'fixtures', 'runtimes');
const register = path.join(__dirname, '..', 'dist', 'register.js');

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `file` with `args`, without blocking the event loop (jest's timers keep working). */
function spawnRun(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: fixtures, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

/** The environment of every run: this one's, less what would change the library's choices, plus the TLS key. */
function environment(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('TCP_KEEPALIVE_') && !/^KEEP|^TCP_USER_TIMEOUT$/.test(key)) env[key] = value;
  }
  const { key, cert } = localhostCertificate();
  return { ...env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', TCP_KEEPALIVE_TEST_KEY: key, TCP_KEEPALIVE_TEST_CERT: cert, ...extra };
}

/** The names of a fixture's tests for `runtime`, listed by Node (--list runs nothing). */
const testsOf = (fixture: string, runtime: RuntimeName): string[] =>
  execFileSync(process.execPath, [path.join(fixtures, fixture), `--list=${runtime}`], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { test: string }).test);

/** How each runtime runs a script: `deno run` needs its permissions (net, read, run for ss and python3, env). */
const command: Record<RuntimeName, (script: string, preload?: string) => string[]> = {
  bun: (script, preload) => [...(preload ? ['--preload', preload] : []), script],
  deno: (script, preload) => ['run', '-A', ...(preload ? ['--require', preload] : []), script],
};

const runs: Array<{ label: string; runtime: RuntimeName; env: NodeJS.ProcessEnv; fixture: string }> = [
  { label: 'Bun, with the addon: behaviour suite', runtime: 'bun', env: {}, fixture: 'suite.cjs' },
  { label: 'Bun, TCP_KEEPALIVE_BACKEND=node: behaviour suite', runtime: 'bun', env: { TCP_KEEPALIVE_BACKEND: 'node' }, fixture: 'suite.cjs' },
  { label: "Bun: the contract with Bun's internals", runtime: 'bun', env: {}, fixture: 'internals.cjs' },
  { label: 'Deno: behaviour suite', runtime: 'deno', env: {}, fixture: 'suite.cjs' },
  { label: "Deno: the contract with Deno's internals", runtime: 'deno', env: {}, fixture: 'internals.cjs' },
];

const found = { bun: findRuntime('bun'), deno: findRuntime('deno') };
const ci = process.env.CI === 'true';

/** A missing runtime fails under CI, and is skipped with its reason elsewhere. */
function describeRuntime(runtime: RuntimeName, label: string, body: (file: string) => void): void {
  const binary = found[runtime];
  if ('file' in binary) {
    describe(`${label} (${binary.version})`, () => body(binary.file));
  } else if (ci) {
    test(`${label}`, () => {
      throw new Error(binary.missing);
    });
  } else {
    test.skip(`${label}: skipped, ${binary.missing}`, () => undefined);
  }
}

for (const { label, runtime, env, fixture } of runs) {
  describeRuntime(runtime, label, (file) => {
    const results = new Map<string, { ok: boolean; error?: string }>();
    let run: Run;
    beforeAll(async () => {
      run = await spawnRun(file, command[runtime](fixture), environment(env));
      for (const line of run.stdout.split('\n')) {
        if (line.startsWith('{"test"')) {
          const { test: name, ...result } = JSON.parse(line) as { test: string; ok: boolean; error?: string };
          results.set(name, result);
        }
      }
    }, 130000);

    test.each(testsOf(fixture, runtime))('%s', (name) => {
      const result = results.get(name) ?? { ok: false, error: `no result (exit ${run.status ?? run.signal}):\n${run.stderr}` };
      // The error in full where it failed.
      expect(result).toEqual({ ok: true });
    });
  });
}

/** What the preloaded program prints: each socket as read from outside. */
interface Preloaded {
  client: Record<string, unknown>;
  accepted: Record<string, unknown>;
  agent: Record<string, unknown>;
}

describeRuntime('bun', 'Bun: the preload (bun --preload tcp-keepalive/register)', (file) => {
  test("every option from the environment, on a connected socket, a server's connection and an agent's socket, read from outside", async () => {
    const run = await spawnRun(
      file,
      command.bun('preloaded.cjs', register),
      environment({ KEEPIDLE: '5', KEEPINTVL: '1', KEEPCNT: '3', TCP_USER_TIMEOUT: '9000' }),
    );
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    const full = { enabled: true, idle: 5000, interval: 1000, count: 3, userTimeout: 9000 };
    expect(JSON.parse(run.stdout) as Preloaded).toEqual({ client: full, accepted: full, agent: full });
  });

  test("Bun's http.Server, whose connections cannot be reached, gets a warning on listen instead of nothing", async () => {
    const run = await spawnRun(file, command.bun('preloaded.cjs', register).concat('http-server'), environment({ KEEPIDLE: '5' }));
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(
      /\[TCP_KEEPALIVE_REGISTER\] Warning: keepalive could not be set: The feature keepalive on the connections of an http\.Server is unavailable .*Bun [\d.]+'s http\.Server is not a net\.Server/,
    );
  });
});

describeRuntime('deno', 'Deno: the preload (deno run --require tcp-keepalive/register)', (file) => {
  test('KEEPIDLE on every socket, read from outside; interval and count stay the system\'s', async () => {
    const run = await spawnRun(file, command.deno('preloaded.cjs', register), environment({ KEEPIDLE: '5' }));
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    const seen = JSON.parse(run.stdout) as Preloaded;
    for (const socket of [seen.client, seen.accepted, seen.agent]) {
      expect(socket).toMatchObject({ enabled: true, idle: 5000, userTimeout: 0 });
      expect(socket).toEqual(seen.client);
    }
  });

  test('KEEPCNT, which Deno cannot set: one line naming it and why, exit 9, program not run', async () => {
    const run = await spawnRun(file, command.deno('preloaded.cjs', register), environment({ KEEPIDLE: '5', KEEPCNT: '3' }));
    expect(run.status).toBe(9);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /^tcp-keepalive\/register: KEEPCNT is set, but tcp-keepalive's native addon is not used \(Deno [\d.]+ exposes no socket descriptors\), and Deno [\d.]+'s setKeepAlive sets only on\/off and idle\n$/,
    );
  });
});

describeRuntime('deno', 'Deno without --allow-env', (file) => {
  test('the package loads and sets idle, read from outside: the environment it cannot read counts as unset', async () => {
    const child = spawn(file, ['run', '--no-prompt', '--allow-net', '--allow-read', 'idle.cjs'], {
      cwd: fixtures,
      env: environment(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      const line = await new Promise<string>((resolve, reject) => {
        readline.createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`idle.cjs exited with ${code}: ${stderr}`)));
      });
      const reported = JSON.parse(line) as { localPort?: number; remotePort?: number; error?: string };
      expect(reported.error).toBeUndefined();
      const socket = establishedSockets(child.pid as number).find((entry) => entry.localPort === reported.localPort);
      expect(socket).toBeDefined();
      expect(peekOptions(child.pid as number, socket?.fd as number)).toMatchObject({ enabled: true, idle: 5000 });
    } finally {
      child.kill('SIGKILL');
    }
  });
});
