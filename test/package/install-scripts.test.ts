// The tarball installed with its install script running (npm's default):
// the prebuild is used as it is, --build-from-source compiles, a platform
// without a matching prebuild compiles, and a failed build still leaves a
// package that loads (and says so). Compiles with the system's toolchain;
// CI runs this file once.
import fs from 'node:fs';
import path from 'node:path';
import {
  buildTools,
  createProject,
  mappedAddons,
  node,
  npm,
  reachable,
  tarball,
  userEnv,
  withoutBuildTools,
  type Project,
  type Run,
} from './project';

const projects: Project[] = [];
afterAll(() => projects.forEach((project) => project.remove()));

function installed(args: string[] = [], env = userEnv()): { project: Project; install: Run; packageDir: string } {
  const project = createProject('scripts');
  projects.push(project);
  const install = npm(
    ['install', tarball(), '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts', ...args],
    project.dir,
    env,
  );
  if (install.status !== 0) throw new Error(`npm install failed:\n${install.stdout}\n${install.stderr}`);
  fs.copyFileSync(path.join(__dirname, 'fixtures', 'roundtrip.cjs'), path.join(project.dir, 'roundtrip.cjs'));
  return { project, install, packageDir: path.join(project.dir, 'node_modules', 'tcp-keepalive') };
}

/** Runs the CommonJS round trip in the project; returns the addon files it mapped. */
function loadedAddons(project: Project): string[] {
  const result = node(['roundtrip.cjs'], project.dir);
  if (result.status !== 0) throw new Error(result.stderr);
  const { settings, maps } = JSON.parse(result.stdout) as { settings: unknown; maps: string };
  expect(settings).toEqual({ enabled: true, idle: 4000, interval: 2000, count: 5, userTimeout: 9000 });
  return mappedAddons(maps);
}

const prebuildOf = (packageDir: string): string =>
  path.join(packageDir, 'prebuilds', `${process.platform}-${process.arch}`, 'tcp-keepalive.glibc.node');
const buildOf = (packageDir: string): string => path.join(packageDir, 'build', 'Release', 'tcp_keepalive.node');

test('with the install script: the prebuild loads, so nothing is compiled', () => {
  const { project, install, packageDir } = installed();
  expect(install.stdout + install.stderr).not.toContain('CXX(target)');
  expect(fs.existsSync(path.join(packageDir, 'build'))).toBe(false);
  expect(loadedAddons(project)).toEqual([fs.realpathSync(prebuildOf(packageDir))]);
});

test('npm install --build-from-source compiles build/Release and loads it over the prebuild', () => {
  const { project, install, packageDir } = installed(['--build-from-source']);
  expect(install.stdout).toContain('CXX(target) Release/obj.target/tcp_keepalive/native/keepalive.o');
  expect(fs.existsSync(buildOf(packageDir))).toBe(true);
  expect(fs.existsSync(prebuildOf(packageDir))).toBe(true);
  expect(loadedAddons(project)).toEqual([fs.realpathSync(buildOf(packageDir))]);
});

test('no prebuild for the platform: the install script compiles from source', () => {
  const { project, packageDir } = installed(['--ignore-scripts']);
  // The platform's prebuild gone, as on one the tarball has none for; npm rebuild runs the install script.
  fs.rmSync(path.join(packageDir, 'prebuilds'), { recursive: true });
  const rebuild = npm(['rebuild', 'tcp-keepalive', '--foreground-scripts'], project.dir);
  expect(rebuild.status).toBe(0);
  expect(rebuild.stdout).toContain('CXX(target) Release/obj.target/tcp_keepalive/native/keepalive.o');
  expect(loadedAddons(project)).toEqual([fs.realpathSync(buildOf(packageDir))]);
});

test('no prebuild and no build tools: the failed build is reported, the install succeeds, the package loads', () => {
  const { project, packageDir } = installed(['--ignore-scripts']);
  fs.rmSync(path.join(packageDir, 'prebuilds'), { recursive: true });
  const pathValue = withoutBuildTools(project);
  expect(reachable(buildTools, pathValue)).toEqual([]);
  const rebuild = npm(['rebuild', 'tcp-keepalive', '--foreground-scripts'], project.dir, userEnv({ PATH: pathValue }));
  expect(rebuild.status).toBe(0);
  expect(rebuild.stderr).toContain('gyp ERR! find Python');
  expect(rebuild.stderr).toContain(
    'tcp-keepalive: no prebuilt addon matches and the build from source failed: enableKeepalive falls back to socket.setKeepAlive',
  );
  expect(fs.existsSync(buildOf(packageDir))).toBe(false);
  const script = [
    "const net = require('node:net');",
    "const { enableKeepalive, getKeepalive } = require('tcp-keepalive');",
    "const server = net.createServer().listen(0, '127.0.0.1', () => {",
    "  const socket = net.connect(server.address().port, '127.0.0.1', () => {",
    '    enableKeepalive(socket, { idle: 3000 });',
    '    let code = null;',
    '    try { getKeepalive(socket); } catch (error) { code = error.code; }',
    '    console.log(code);',
    '    socket.destroy();',
    '    server.close();',
    '  });',
    '});',
  ].join('\n');
  const used = node(['-e', script], project.dir, userEnv({ PATH: pathValue }));
  expect(used.stderr).toBe('');
  expect(used.stdout.trim()).toBe('ERR_FEATURE_UNAVAILABLE_ON_PLATFORM');
});
