// Every fenced code block of README.md and docs/*.md, run as written against
// the packed tarball installed in a project as a user installs it. One test
// per block, named after the doc and the line of its fence.
//
// - js and mjs blocks are written to a file (named by a first-line comment such
//   as `// lab-example.mjs`, else after the doc and line) and run with node;
//   ts blocks are type-checked with tsc --strict against the installed types.
// - sh blocks run line by line, console transcripts command by command (`$`
//   and root's `#` prompts), in one bash, with the project's
//   node_modules/.bin on PATH as npx has it. Every command must exit 0, or
//   with the code the doc gives it (a transcript's `echo $?`, an annotation).
// - text blocks are output shown in the docs: nothing to run, reported as skipped.
// - A doc-test annotation (an HTML comment right before the block; the
//   clauses are in docs.ts) gives what an example needs from its
//   surroundings: a peer at an address, a Ctrl-C, a fresh project. A block
//   that is deliberately not run says why there, and is reported as skipped
//   with that reason.
//
// Each run happens in a sandbox of its own (unshare: mount, pid and network
// namespaces; a user namespace too when not root): a network namespace with
// only loopback, so the system defaults are the kernel's, the ports are free,
// `sysctl --apply` changes that namespace alone, and the names the examples
// connect to (db.internal) resolve to the peers the annotation asks for,
// through an /etc/hosts mounted there. Blocks that install from the npm
// registry run in the machine's network namespace instead. When the run's
// deadline passes, the sandbox is killed with everything in it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createProject, npm, repoRoot, repoVersion, tarball, userEnv, type Project } from './project';
import {
  commandsOf,
  docFiles,
  expectedExitCodes,
  namedFile,
  normalizedLines,
  readBlocks,
  type Block,
  type Command,
} from './docs';

const fixtures = path.join(__dirname, 'docs-fixtures');
const inCI = process.env.CI === 'true';
const isRoot = process.getuid?.() === 0;
const blocks = docFiles(repoRoot).flatMap((doc) => readBlocks(repoRoot, doc));

/** unshare's arguments for a sandbox, with a network namespace of its own or not. */
function sandbox(ownNetwork: boolean): string[] {
  return [...(isRoot ? [] : ['--user', '--map-root-user']), '--mount', ...(ownNetwork ? ['--net'] : []), '--pid', '--fork', '--kill-child'];
}

const sbinPath = `${process.env.PATH}:/usr/sbin:/sbin`;

/** Why no sandbox can be made here, or undefined. */
function sandboxProblem(): string | undefined {
  const probe = spawnSync('unshare', [...sandbox(true), 'sh', '-c', 'ip link set lo up && mount --bind /etc/hosts /etc/hosts'], {
    encoding: 'utf8',
    timeout: 10000,
    env: { ...process.env, PATH: sbinPath },
  });
  if (probe.error) return `unshare cannot run: ${probe.error.message}`;
  if (probe.status !== 0) return `unshare cannot make the sandbox: ${probe.stderr.trim() || `exit ${probe.status}`}`;
  return undefined;
}
const noSandbox = sandboxProblem();

/** Why node-gyp would have to download Node's headers here, or undefined. */
function headersProblem(): string | undefined {
  const nodedir = npm(['config', 'get', 'nodedir'], os.tmpdir()).stdout.trim();
  const candidates = [
    ...(nodedir && nodedir !== 'undefined' && nodedir !== 'null' ? [path.join(nodedir, 'include', 'node', 'node_api.h')] : []),
    path.join(os.homedir(), '.cache', 'node-gyp', process.versions.node, 'include', 'node', 'node_api.h'),
  ];
  if (candidates.some((file) => fs.existsSync(file))) return undefined;
  return `node-gyp would download Node ${process.version}'s headers (no npm nodedir, none in ~/.cache/node-gyp)`;
}

const quote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

/** The doc's own files that its blocks name (`// server.js: …`), to write next to every example of that doc. */
function docFilesNamed(doc: string): Block[] {
  return blocks.filter((block) => block.doc === doc && namedFile(block) !== undefined);
}

let shared: Project | undefined;

/** One project for the examples that need no fresh one: the package, typescript and @types/node, installed as a user does. */
function sharedProject(): Project {
  if (shared) return shared;
  const project = createProject('docs');
  const install = npm(
    [
      'install',
      tarball(),
      `typescript@${repoVersion('typescript')}`,
      `@types/node@${repoVersion('@types/node')}`,
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
    ],
    project.dir,
  );
  if (install.status !== 0) throw new Error(`npm install failed:\n${install.stderr}`);
  shared = project;
  return project;
}

const fresh: Project[] = [];
afterAll(() => {
  shared?.remove();
  fresh.forEach((project) => project.remove());
});

/**
 * A project as it is before its first `npm install tcp-keepalive`: its
 * package.json already names the tarball under test for tcp-keepalive, so that
 * install takes it (npm keeps a spec package.json gives) rather than the
 * registry's.
 */
function freshProject(): Project {
  const project = createProject('docs-fresh');
  fresh.push(project);
  const manifest = JSON.parse(fs.readFileSync(path.join(project.dir, 'package.json'), 'utf8')) as Record<string, unknown>;
  manifest.dependencies = { 'tcp-keepalive': `file:${tarball()}` };
  fs.writeFileSync(path.join(project.dir, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  return project;
}

const extension: Record<string, string> = { js: 'js', mjs: 'mjs', ts: 'ts' };

/** The bash script that sets the sandbox up and runs `commands`, each one's output and exit code kept in `out`. */
function script(block: Block, commands: Command[], out: string, hosts: string | undefined): string {
  const { annotation } = block;
  const lines = ['# generated by test/package/docs-examples.test.ts'];
  if (!annotation.registry) {
    lines.push(`ip link set lo up || { echo 'doc-test: cannot bring loopback up' >&2; exit 90; }`);
  }
  if (hosts) lines.push(`mount --bind ${quote(hosts)} /etc/hosts || { echo 'doc-test: cannot mount /etc/hosts' >&2; exit 91; }`);
  annotation.peers.forEach((peer, k) => {
    const log = quote(path.join(out, `peer-${k}.log`));
    const address = /^[\d.]+$/.test(peer.host) ? peer.host : '127.0.0.1';
    lines.push(
      `node ${quote(path.join(fixtures, 'peer.js'))} ${address} ${peer.port} ${peer.silentAfterMs} ${log} </dev/null >>${log} 2>&1 &`,
      `for _ in $(seq 200); do grep -qx listening ${log} 2>/dev/null && break; sleep 0.05; done`,
      `grep -qx listening ${log} || { echo "doc-test: the peer at ${peer.host}:${peer.port} did not start: $(cat ${log})" >&2; exit 92; }`,
    );
  });
  lines.push(`: >${quote(path.join(out, 'statuses'))}`, '(exit 0)');
  commands.forEach((command, k) => {
    const output = quote(path.join(out, `${k}.out`));
    const record = `__doc_s=$?; echo "$__doc_s" >>${quote(path.join(out, 'statuses'))}; (exit "$__doc_s")`;
    if (annotation.interruptAfterMs !== undefined && k === commands.length - 1) {
      // As a terminal's Ctrl-C: SIGINT to the command's own process group.
      lines.push(
        'set -m',
        `{ ${command.text}\n} >${output} 2>&1 </dev/null &`,
        '__doc_job=$!',
        `( sleep ${annotation.interruptAfterMs / 1000}; kill -INT -- "-$__doc_job" 2>/dev/null ) &`,
        '__doc_timer=$!',
        'wait "$__doc_job"',
        `__doc_s=$?; kill "$__doc_timer" 2>/dev/null; set +m; (exit "$__doc_s")`,
        record,
      );
    } else {
      lines.push(`{ ${command.text}\n} >${output} 2>&1 </dev/null`, record);
    }
  });
  lines.push('exit 0');
  return lines.join('\n') + '\n';
}

/** Runs one block in its sandbox and throws, saying what went wrong, unless it did what the doc says. */
function runBlock(block: Block): void {
  const { annotation } = block;
  const project = annotation.freshProject ? freshProject() : sharedProject();
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-keepalive-doc-run-'));
  try {
    // The doc's named files (lab-example.mjs's server.js and client.js), the user's programs it runs, then the block itself.
    for (const named of docFilesNamed(block.doc)) fs.writeFileSync(path.join(project.dir, namedFile(named)!), named.body + '\n');
    for (const given of annotation.given) fs.copyFileSync(path.join(fixtures, given), path.join(project.dir, given));
    const file = namedFile(block) ?? `${block.doc.replace(/[/.]/g, '-')}-${block.line}.${extension[block.language] ?? 'txt'}`;
    if (block.language in extension) fs.writeFileSync(path.join(project.dir, file), block.body + '\n');

    const commands = commandsOf(block, file);
    const expected = expectedExitCodes(block, commands);
    if (expected.length !== commands.length) {
      throw new Error(`the annotation gives ${expected.length} exit codes for ${commands.length} commands`);
    }
    let hosts: string | undefined;
    const names = annotation.peers.map((peer) => peer.host).filter((host) => !/^[\d.]+$/.test(host));
    if (names.length > 0) {
      hosts = path.join(out, 'hosts');
      fs.writeFileSync(hosts, `${fs.readFileSync('/etc/hosts', 'utf8')}\n${names.map((name) => `127.0.0.1 ${name}`).join('\n')}\n`);
    }
    const runner = path.join(out, 'run.sh');
    fs.writeFileSync(runner, script(block, commands, out, hosts));

    const env = userEnv({ PATH: [path.dirname(process.execPath), path.join(project.dir, 'node_modules', '.bin'), sbinPath].join(path.delimiter) });
    const begun = Date.now();
    const run = spawnSync('unshare', [...sandbox(!annotation.registry), 'bash', runner], {
      cwd: project.dir,
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: annotation.withinMs,
      killSignal: 'SIGKILL',
      maxBuffer: 16 << 20,
    });
    const seconds = ((Date.now() - begun) / 1000).toFixed(1);

    const statuses = fs.existsSync(path.join(out, 'statuses'))
      ? fs.readFileSync(path.join(out, 'statuses'), 'utf8').split('\n').filter(Boolean).map(Number)
      : [];
    const outputs = commands.map((_, k) => (fs.existsSync(path.join(out, `${k}.out`)) ? fs.readFileSync(path.join(out, `${k}.out`), 'utf8') : ''));
    const problems: string[] = [];
    if (run.error || run.signal) problems.push(`the run did not finish within ${annotation.withinMs / 1000} s (${run.error?.message ?? run.signal})`);
    else if (run.status !== 0) problems.push(`the sandbox failed (exit ${run.status}): ${run.stderr.trim()}`);
    commands.forEach((command, k) => {
      if (statuses[k] !== undefined && statuses[k] !== expected[k]) {
        problems.push(`line ${command.line}: \`${command.text}\` exited ${statuses[k]}, expected ${expected[k]}`);
      }
      if (block.language === 'console' && (annotation.outputAsShown || command.text.trim() === 'echo $?')) {
        const shown = normalizedLines(command.shown);
        const got = normalizedLines(outputs[k]);
        if (JSON.stringify(shown) !== JSON.stringify(got)) {
          problems.push(`line ${command.line}: \`${command.text}\` printed otherwise than shown:\n  shown: ${shown.join('\n         ')}\n  got:   ${got.join('\n         ')}`);
        }
      }
    });
    if (statuses.length < commands.length && problems.length === 0) problems.push(`only ${statuses.length} of ${commands.length} commands ran`);
    const all = outputs.join('\n');
    for (const text of annotation.prints) if (!all.includes(text)) problems.push(`the output does not contain '${text}'`);
    annotation.peers.forEach((peer, k) => {
      const log = fs.existsSync(path.join(out, `peer-${k}.log`)) ? fs.readFileSync(path.join(out, `peer-${k}.log`), 'utf8') : '';
      if (!/^accepted /m.test(log)) problems.push(`the peer at ${peer.host}:${peer.port} saw no connection`);
      if (peer.silentAfterMs > 0 && !/^silent$/m.test(log)) problems.push(`the peer at ${peer.host}:${peer.port} did not fall silent: ${log.trim()}`);
    });
    if (problems.length > 0) {
      const transcript = commands
        .map((command, k) => `$ ${command.text}   [line ${command.line}, exit ${statuses[k] ?? 'not run'}]\n${outputs[k].trimEnd()}`)
        .join('\n');
      throw new Error(`${block.doc}:${block.line}: ${problems.join('\n')}\n\nafter ${seconds} s:\n${transcript}`);
    }
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

const headers = blocks.some((block) => block.annotation.needsHeaders) ? headersProblem() : undefined;

describe.each(docFiles(repoRoot))('%s', (doc) => {
  for (const block of blocks.filter((b) => b.doc === doc)) {
    const title = `${block.doc}:${block.line} ${block.language || '(no language)'}`;
    const { annotation } = block;
    if (block.problems.length > 0) {
      test(title, () => {
        throw new Error(`${block.doc}:${block.line}: ${block.problems.join('; ')}`);
      });
    } else if (block.language === 'text') {
      test.skip(`${title}: output shown, nothing to run`, () => {});
    } else if (annotation.notRun !== undefined) {
      test.skip(`${title}: not run: ${annotation.notRun}`, () => {});
    } else if (annotation.fileFor !== undefined) {
      const file = namedFile(block);
      test(`${title}: ${file}, run by ${annotation.fileFor}; syntax checked here`, () => {
        expect(file).toBeDefined();
        expect(blocks.filter((b) => b.doc === doc).map(namedFile)).toContain(annotation.fileFor);
        const checked = spawnSync(process.execPath, ['--check', '-'], { input: block.body, encoding: 'utf8', timeout: 10000 });
        expect(checked.stderr).toBe('');
        expect(checked.status).toBe(0);
      });
    } else {
      // What keeps the block from running here; on CI only root may be missing (CI runs as root).
      const cannot =
        (noSandbox && !inCI && `no sandbox: ${noSandbox}`) ||
        (annotation.needsRoot && !isRoot && 'needs root') ||
        (annotation.needsHeaders && headers) ||
        undefined;
      if (cannot) test.skip(`${title}: not run here: ${cannot}`, () => {});
      else {
        test(title, () => {
          if (noSandbox) throw new Error(noSandbox);
          runBlock(block);
        }, annotation.withinMs + 120000);
      }
    }
  }
});

test('the docs have code blocks, and the test reads them all', () => {
  const fences = docFiles(repoRoot).reduce(
    (count, doc) => count + fs.readFileSync(path.join(repoRoot, doc), 'utf8').split('\n').filter((line) => /^(```|~~~)/.test(line)).length,
    0,
  );
  expect(blocks.filter((block) => !block.stray).length).toBeGreaterThan(10);
  // Every fence opens or closes a block the test saw.
  expect(fences).toBe(2 * blocks.filter((block) => !block.stray).length);
});
