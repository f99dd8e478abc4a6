// Consumer projects for the assertion entry points: the tarball installed
// with a test runner, fixtures copied in from fixtures/runners/<name>, and the
// results of a runner's run, test by test.
import fs from 'node:fs';
import path from 'node:path';
import { createProject, npm, repoRoot, userEnv, type Project, type Run } from './project';

/** A user's shell without colours, and without the variables of the jest running this suite. */
export function runnerEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = userEnv({ FORCE_COLOR: '0', NO_COLOR: '1', ...extra });
  for (const key of Object.keys(env)) if (key.startsWith('JEST_')) delete env[key];
  return env;
}

/** A new project with `packages` installed from npm's cache where it can, and the fixtures of `fixtures`. */
export function runnerProject(label: string, packages: string[], fixtures: string): Project {
  const project = createProject(label);
  const install = npm(['install', ...packages, '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], project.dir, runnerEnv());
  if (install.status !== 0) {
    project.remove();
    throw new Error(`npm install ${packages.join(' ')} failed:\n${install.stderr}`);
  }
  const from = path.join(__dirname, 'fixtures', 'runners', fixtures);
  for (const file of fs.readdirSync(from)) fs.copyFileSync(path.join(from, file), path.join(project.dir, file));
  return project;
}

export interface TestOutcome {
  title: string;
  status: string;
  /** The failure as the runner reported it (message and stack), without colours. */
  failure: string;
}

export const plain = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, '');

/** The tests of a jest-format JSON report (jest --json, vitest's json reporter). */
export function outcomes(reportFile: string): TestOutcome[] {
  const report = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as {
    testResults: { assertionResults: { title: string; status: string; failureMessages: string[] }[] }[];
  };
  return report.testResults.flatMap((file) =>
    file.assertionResults.map(({ title, status, failureMessages }) => ({
      title,
      status,
      failure: plain(failureMessages.join('\n')),
    })),
  );
}

/** Each test named "passes: …" passed and each named "fails: …" failed. */
export function statusesAsNamed(tests: { title: string; status: string }[]): Record<string, string> {
  return Object.fromEntries(tests.map(({ title }) => [title, title.startsWith('passes:') ? 'passed' : 'failed']));
}

export const byTitle = (tests: TestOutcome[], title: string): TestOutcome => {
  const found = tests.find((test) => test.title === title);
  if (!found) throw new Error(`no test named ${title} in ${tests.map((test) => test.title).join(', ')}`);
  return found;
};

export const describeRun = (run: Run): string => `exit ${run.status}\n${run.stdout}\n${run.stderr}`;

/** 127.0.0.1:<port> -> 127.0.0.1:<port>, as the messages name a loopback socket. */
export const LOOPBACK = String.raw`127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+`;

/**
 * The code block of docs/testing.md that names itself `file` on its first line
 * (`// pool.test.js`), written into `dir` of the project as that file.
 */
export function writeDocExample(project: Project, dir: string, file: string): void {
  const text = fs.readFileSync(path.join(repoRoot, 'docs', 'testing.md'), 'utf8');
  const block = [...text.matchAll(/^```\w*\n([\s\S]*?)^```$/gm)].find(([, body]) => body.startsWith(`// ${file}\n`) || body.startsWith(`// ${file}:`));
  if (!block) throw new Error(`docs/testing.md has no code block named ${file}`);
  fs.mkdirSync(path.join(project.dir, dir), { recursive: true });
  fs.writeFileSync(path.join(project.dir, dir, file), block[1]);
}
