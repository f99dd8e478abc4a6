// assertKeepalive under node:test, as users run it: the tarball installed in a
// project of its own (node:test needs nothing more), a suite with passing and
// deliberately failing tests, the failures read from the spec reporter a user
// sees and, with the AssertionError's own fields, from a JSON reporter.
// node:test is part of Node: CI runs this file on every Node version.
import fs from 'node:fs';
import path from 'node:path';
import { node, tarball, type Project } from './project';
import { describeRun, plain, runnerEnv, runnerProject, statusesAsNamed, writeDocExample } from './runner-projects';

let project: Project;

beforeAll(() => {
  project = runnerProject('node-test', [tarball()], 'node-test');
});
afterAll(() => project?.remove());

interface NodeTestOutcome {
  title: string;
  status: string;
  error?: { name: string; code: string; message: string; actual: unknown; expected: unknown; operator: string };
}

const LOOPBACK = /127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+/g;

test('passing tests pass; failing ones throw AssertionErrors whose message, actual and expected are in milliseconds', () => {
  const run = node(
    [
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=./json-reporter.mjs',
      '--test-reporter-destination=report.json',
      'keepalive.test.mjs',
    ],
    project.dir,
    runnerEnv(),
  );
  expect({ status: run.status, output: run.status === 1 ? '' : describeRun(run) }).toEqual({ status: 1, output: '' });
  const tests = JSON.parse(fs.readFileSync(path.join(project.dir, 'report.json'), 'utf8')) as NodeTestOutcome[];
  expect(tests).toHaveLength(4);
  expect(Object.fromEntries(tests.map(({ title, status }) => [title, status]))).toEqual(statusesAsNamed(tests));
  const failures = Object.fromEntries(
    tests
      .filter((outcome) => outcome.error)
      .map(({ title, error }) => [title, { ...error, message: error?.message.replace(LOOPBACK, '<socket>') }]),
  );

  const differ = [
    'Expected keepalive { enabled: true, idle: 7000, count: 3 } on <socket>, the kernel holds { enabled: true, idle: 5000, count: 4 }',
    '+ actual - expected',
    '',
    '  enabled: true',
    '+ idle: 5000',
    '- idle: 7000',
    '+ count: 4',
    '- count: 3',
  ];
  expect(failures['fails: assertKeepalive, idle and count differ']).toEqual({
    name: 'AssertionError',
    code: 'ERR_ASSERTION',
    operator: 'assertKeepalive',
    message: differ.join('\n'),
    actual: { enabled: true, idle: 5000, count: 4 },
    expected: { enabled: true, idle: 7000, count: 3 },
  });
  expect(failures['fails: assertKeepalive, keepalive is off']).toEqual({
    name: 'AssertionError',
    code: 'ERR_ASSERTION',
    operator: 'assertKeepalive',
    message: [
      'Expected keepalive { enabled: true, idle: 5000 } on <socket>, the kernel holds { enabled: false, idle: 7200000 }',
      '+ actual - expected',
      '',
      '+ enabled: false',
      '- enabled: true',
      '+ idle: 7200000',
      '- idle: 5000',
    ].join('\n'),
    actual: { enabled: false, idle: 7200000 },
    expected: { enabled: true, idle: 5000 },
  });
  expect(failures['fails: a socket still connecting']).toEqual({
    name: 'AssertionError',
    code: 'ERR_ASSERTION',
    operator: 'assertKeepalive',
    message:
      "Cannot check keepalive { enabled: true, idle: 5000 } on a socket still connecting: it is still connecting, and its settings can be read once it has emitted 'connect' (the check is synchronous: await once(socket, 'connect') first)",
    expected: { enabled: true, idle: 5000 },
  });

  // What a user reads: the spec reporter shows the message, diff and all (indented under the test's name).
  const spec = plain(run.stdout)
    .replace(LOOPBACK, '<socket>')
    .split('\n')
    .map((line) => line.trim())
    .join('\n');
  expect(spec).toContain(
    `✖ fails: assertKeepalive, idle and count differ`,
  );
  expect(spec).toContain(`AssertionError [ERR_ASSERTION]: ${differ.map((line) => line.trim()).join('\n')}\n`);
  expect(spec).toMatch(/✔ passes: the settings enableKeepalive set, on both ends/);
});

test('the example of docs/testing.md runs as written, under node --test', () => {
  writeDocExample(project, '.', 'connection.test.mjs');
  const run = node(['--test', '--test-reporter=spec', 'connection.test.mjs'], project.dir, runnerEnv());
  expect({ status: run.status, output: run.status === 0 ? '' : describeRun(run) }).toEqual({ status: 0, output: '' });
  expect(plain(run.stdout)).toMatch(/✔ a vanished server is noticed within 8 s/);
});
