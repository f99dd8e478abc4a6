// The assertions as users run them: the tarball installed beside real jest,
// or real vitest, in projects of their own (each with one runner only), the
// matcher set up through tcp-keepalive/jest or tcp-keepalive/vitest as the
// docs say, suites with passing and deliberately failing tests run by the
// runner, and the failure messages read from its report. tsc --strict checks
// test files against each runner's types. The runners do not depend on the
// Node version: CI runs this file once (node-test.test.ts runs on every one).
import path from 'node:path';
import { node, repoVersion, tarball, type Project, type Run } from './project';
import { byTitle, describeRun, outcomes, plain, runnerEnv, runnerProject, statusesAsNamed, writeDocExample } from './runner-projects';

/** A failure without its stack, and with loopback sockets named <socket>. */
const normalized = (failure: string): string =>
  plain(failure)
    .split('\n')
    .filter((line) => !/^\s+at /.test(line))
    .join('\n')
    .replace(/127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+/g, '<socket>')
    .trimEnd();

const strictTsc = ['--noEmit', '--strict', '--exactOptionalPropertyTypes', '--target', 'es2022'];
const nodeNext = ['--module', 'nodenext', '--moduleResolution', 'nodenext'];
const bundler = ['--module', 'esnext', '--moduleResolution', 'bundler'];
const typescriptAndNode = [`typescript@${repoVersion('typescript')}`, `@types/node@${repoVersion('@types/node')}`];

/** A run that failed as a run with failing tests does (exit 1), with its output shown if not. */
function expectFailedRun(run: Run): void {
  expect({ status: run.status, output: run.status === 1 ? '' : describeRun(run) }).toEqual({ status: 1, output: '' });
}

/** tsc's errors, one per line. */
const tscErrors = (run: Run): string[] => run.stdout.split('\n').filter((line) => line.includes('error TS'));

describe('jest (with @types/jest), tcp-keepalive/jest in setupFilesAfterEnv', () => {
  let project: Project;
  const inProject = (args: string[]): Run => node(args, project.dir, runnerEnv());
  const tsc = (args: string[]): Run => inProject([path.join('node_modules', 'typescript', 'bin', 'tsc'), ...strictTsc, ...args]);

  beforeAll(() => {
    project = runnerProject(
      'jest',
      [tarball(), `jest@${repoVersion('jest')}`, `@types/jest@${repoVersion('@types/jest')}`, ...typescriptAndNode],
      'jest',
    );
  });
  afterAll(() => project?.remove());

  test('passing tests pass, and failing ones fail with messages like jest’s own', () => {
    const run = inProject([path.join('node_modules', 'jest', 'bin', 'jest.js'), '--ci', '--json', '--outputFile=report.json', 'keepalive.test.js']);
    expectFailedRun(run);
    const tests = outcomes(path.join(project.dir, 'report.json'));
    expect(tests).toHaveLength(6);
    expect(Object.fromEntries(tests.map(({ title, status }) => [title, status]))).toEqual(statusesAsNamed(tests));

    expect(normalized(byTitle(tests, 'fails: toHaveKeepalive, idle differs').failure)).toBe(
      [
        'Error: expect(received).toHaveKeepalive(expected)',
        '',
        'Keepalive of <socket>, as the kernel holds it (ms):',
        '',
        '- Expected',
        '+ Received',
        '',
        '  Object {',
        '    "enabled": true,',
        '-   "idle": 7000,',
        '+   "idle": 5000,',
        '  }',
      ].join('\n'),
    );
    expect(normalized(byTitle(tests, 'fails: .not.toHaveKeepalive, the settings match').failure)).toBe(
      [
        'Error: expect(received).not.toHaveKeepalive(expected)',
        '',
        'Keepalive of <socket>, as the kernel holds it (ms):',
        '',
        'Expected: not {"count": 3, "enabled": true}',
        'Received:     {"count": 3, "enabled": true}',
      ].join('\n'),
    );
    // jest shows node:assert's AssertionError with its own diff of actual and expected, after the message.
    expect(normalized(byTitle(tests, 'fails: assertKeepalive, count differs').failure)).toBe(
      [
        'assert.assertKeepalive(received, expected)',
        '',
        'Expected value assertKeepalive to:',
        '  {"count": 3, "enabled": true, "idle": 5000}',
        'Received:',
        '  {"count": 4, "enabled": true, "idle": 5000}',
        '',
        'Message:',
        '  Expected keepalive { enabled: true, idle: 5000, count: 3 } on <socket>, the kernel holds { enabled: true, idle: 5000, count: 4 }',
        '+ actual - expected',
        '',
        '  enabled: true',
        '  idle: 5000',
        '+ count: 4',
        '- count: 3',
        '',
        'Difference:',
        '',
        '- Expected',
        '+ Received',
        '',
        '  Object {',
        '-   "count": 3,',
        '+   "count": 4,',
        '    "enabled": true,',
        '    "idle": 5000,',
        '  }',
      ].join('\n'),
    );
    expect(normalized(byTitle(tests, 'fails: a socket still connecting').failure)).toBe(
      [
        'Error: expect(received).not.toHaveKeepalive()',
        '',
        "Cannot check keepalive on a socket still connecting: it is still connecting, and its settings can be read once it has emitted 'connect' (the check is synchronous: await once(socket, 'connect') first)",
        '',
        'Expected: not {"enabled": true}',
      ].join('\n'),
    );
  });

  // A full check (skipLibCheck off) reads every declaration file, @types/node's and jest's (some
  // 20 s): it is made once, where both jest typings meet tcp-keepalive/jest's (a mismatch between
  // their declarations is reported in those files only). Elsewhere the test files' own errors count.
  test('tsc --strict: jest’s globals and @jest/globals’ expect know the matcher, with "types": ["node", "jest", "tcp-keepalive/jest"]', () => {
    const run = tsc([...nodeNext, '--types', 'node,jest,tcp-keepalive/jest', 'typed-globals.ts', 'typed-jest-globals.ts']);
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  test('tsc --strict: @jest/globals’ expect knows it through a reference, without @types/jest', () => {
    for (const resolution of [nodeNext, bundler]) {
      const run = tsc([...resolution, '--skipLibCheck', '--types', 'node', 'typed-jest-globals.ts']);
      expect(run.stdout + run.stderr).toBe('');
      expect(run.status).toBe(0);
    }
  });

  test('tsc --strict: without tcp-keepalive/jest, neither the main entry nor tcp-keepalive/matchers adds the matcher to jest’s types', () => {
    const run = tsc([...nodeNext, '--skipLibCheck', '--types', 'node,jest', 'typed-without.ts']);
    expect(tscErrors(run)).toEqual([
      expect.stringMatching(/^typed-without\.ts\(10,\d+\): error TS2339: Property 'toHaveKeepalive' does not exist on type/),
    ]);
  });

  test('the main entry, tcp-keepalive/assert and tcp-keepalive/matchers load no test runner', () => {
    for (const specifier of ['tcp-keepalive', 'tcp-keepalive/assert', 'tcp-keepalive/matchers']) {
      const run = inProject(['loaded.cjs', specifier]);
      expect(run.status).toBe(0);
      const loaded = JSON.parse(run.stdout) as string[];
      const packages = [...new Set(loaded.map((file) => /node_modules\/((@[^/]+\/)?[^/]+)/.exec(file)?.[1]))];
      // The package, and node-gyp-build if it loads the addon at once: nothing else, jest least of all.
      const others = packages.filter((name) => name !== 'tcp-keepalive' && name !== 'node-gyp-build');
      expect({ specifier, others }).toEqual({ specifier, others: [] });
      expect(packages).toContain('tcp-keepalive');
      if (specifier === 'tcp-keepalive') {
        // None of the testing bundles either.
        expect(loaded.filter((file) => /\/dist\/(assert|matchers|jest)\.js$/.test(file))).toEqual([]);
      }
    }
  });

  test('the example of docs/testing.md runs as written, with its jest.config.js', () => {
    writeDocExample(project, 'docs-example', 'jest.config.js');
    writeDocExample(project, 'docs-example', 'pool.test.js');
    const run = inProject([path.join('node_modules', 'jest', 'bin', 'jest.js'), '--ci', '--config', path.join('docs-example', 'jest.config.js')]);
    expect({ status: run.status, output: run.status === 0 ? '' : describeRun(run) }).toEqual({ status: 0, output: '' });
    expect(run.stderr).toMatch(/Tests: +1 passed, 1 total/);
  });

  test('tcp-keepalive/jest outside jest says where it belongs', () => {
    const run = inProject(['-e', "require('tcp-keepalive/jest')"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      "Error: tcp-keepalive/jest adds a matcher to jest's expect: list it in jest's setupFilesAfterEnv, or import it in a test file",
    );
  });
});

describe('vitest, tcp-keepalive/vitest in setupFiles', () => {
  let project: Project;
  const inProject = (args: string[]): Run => node(args, project.dir, runnerEnv());
  const tsc = (args: string[]): Run => inProject([path.join('node_modules', 'typescript', 'bin', 'tsc'), ...strictTsc, ...args]);

  beforeAll(() => {
    project = runnerProject(
      'vitest',
      [tarball(), `vitest@${repoVersion('vitest')}`, `vite@${repoVersion('vite')}`, ...typescriptAndNode],
      'vitest',
    );
  });
  afterAll(() => project?.remove());

  test('passing tests pass, and failing ones fail with messages like vitest’s own', () => {
    const run = inProject([
      path.join('node_modules', 'vitest', 'vitest.mjs'),
      'run',
      'keepalive.spec.ts',
      '--reporter=default',
      '--reporter=json',
      '--outputFile.json=report.json',
    ]);
    expectFailedRun(run);
    const tests = outcomes(path.join(project.dir, 'report.json'));
    expect(tests).toHaveLength(6);
    expect(Object.fromEntries(tests.map(({ title, status }) => [title, status]))).toEqual(statusesAsNamed(tests));

    const idle = [
      'Error: expect(received).toHaveKeepalive(expected)',
      '',
      'Keepalive of <socket>, as the kernel holds it (ms):',
      '',
      '- Expected',
      '+ Received',
      '',
      '  {',
      '    "enabled": true,',
      '-   "idle": 7000,',
      '+   "idle": 5000,',
      '  }',
    ].join('\n');
    expect(normalized(byTitle(tests, 'fails: toHaveKeepalive, idle differs').failure)).toBe(idle);
    // What a user reads in the terminal (vitest writes the failures' details to stderr).
    expect(normalized(run.stderr)).toContain(` FAIL  keepalive.spec.ts > fails: toHaveKeepalive, idle differs\n${idle}`);
    expect(normalized(byTitle(tests, 'fails: .not.toHaveKeepalive, the settings match').failure)).toBe(
      [
        'Error: expect(received).not.toHaveKeepalive(expected)',
        '',
        'Keepalive of <socket>, as the kernel holds it (ms):',
        '',
        'Expected: not Object {',
        '  "count": 3,',
        '  "enabled": true,',
        '}',
        'Received:     Object {',
        '  "count": 3,',
        '  "enabled": true,',
        '}',
      ].join('\n'),
    );
    expect(normalized(byTitle(tests, 'fails: assertKeepalive, count differs').failure)).toBe(
      [
        'AssertionError [ERR_ASSERTION]: Expected keepalive { enabled: true, idle: 5000, count: 3 } on <socket>, the kernel holds { enabled: true, idle: 5000, count: 4 }',
        '+ actual - expected',
        '',
        '  enabled: true',
        '  idle: 5000',
        '+ count: 4',
        '- count: 3',
      ].join('\n'),
    );
    expect(normalized(byTitle(tests, 'fails: a socket still connecting').failure)).toBe(
      [
        'Error: expect(received).not.toHaveKeepalive()',
        '',
        "Cannot check keepalive on a socket still connecting: it is still connecting, and its settings can be read once it has emitted 'connect' (the check is synchronous: await once(socket, 'connect') first)",
        '',
        'Expected: not Object {',
        '  "enabled": true,',
        '}',
      ].join('\n'),
    );
  });

  test('tsc --strict: vitest’s expect knows the matcher through tcp-keepalive/vitest, with no jest types installed', () => {
    // A full check (skipLibCheck off, some 25 s) once; for bundlers, the test files' own errors.
    const run = tsc([...nodeNext, '--types', 'node', 'keepalive.spec.ts', 'typed.ts']);
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
    const forBundlers = tsc([...bundler, '--skipLibCheck', '--types', 'node', 'keepalive.spec.ts', 'typed.ts']);
    expect(forBundlers.stdout + forBundlers.stderr).toBe('');
  });

  test('the example of docs/testing.md runs as written, with its vitest.config.mjs, and type-checks with its "types"', () => {
    writeDocExample(project, 'docs-example', 'vitest.config.mjs');
    writeDocExample(project, 'docs-example', 'server.test.ts');
    const run = inProject([path.join('node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', 'docs-example']);
    expect({ status: run.status, output: run.status === 0 ? '' : describeRun(run) }).toEqual({ status: 0, output: '' });
    expect(plain(run.stdout)).toMatch(/Tests +1 passed \(1\)/);
    const types = tsc([...nodeNext, '--skipLibCheck', '--types', 'node,tcp-keepalive/vitest', path.join('docs-example', 'server.test.ts')]);
    expect(types.stdout + types.stderr).toBe('');
    expect(types.status).toBe(0);
  });
});
