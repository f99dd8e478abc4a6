// The package as users load it by name: CommonJS require and ESM import.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const exported = [
  'detectionTime',
  'disableKeepalive',
  'enableKeepalive',
  'getKeepalive',
  'getKeepaliveStatus',
  'getSystemDefaults',
  'keepaliveConnector',
  'middleboxPresets',
  'suggestKeepalive',
];

test('ESM: import { enableKeepalive } from "tcp-keepalive"', () => {
  const out = execFileSync(process.execPath, [path.join(__dirname, 'fixtures/esm-import.mjs')], { encoding: 'utf8' });
  const { settings, defaultExports } = JSON.parse(out);
  expect(settings).toMatchObject({ enabled: true, idle: 3000 });
  expect(defaultExports).toEqual(expect.arrayContaining(exported));
});

test('CommonJS: require("tcp-keepalive") exports exactly the public API', () => {
  const out = execFileSync(process.execPath, ['-p', 'JSON.stringify(Object.keys(require("tcp-keepalive")).sort())'], {
    cwd: path.join(__dirname, '..'),
    encoding: 'utf8',
  });
  expect(JSON.parse(out)).toEqual(exported);
});

test('require("tcp-keepalive") loads two small files (index.js, presets.js); a pure first call loads runtime.js, the first socket call the addon; never the CLI or lab', () => {
  const script = `
    const before = new Set(Object.keys(require.cache));
    const library = require('tcp-keepalive');
    const ours = () => Object.keys(require.cache).filter((file) => !before.has(file)).map((file) => require('node:path').relative(process.cwd(), file));
    const atImport = ours();
    library.detectionTime({ idle: 1000, interval: 1000, count: 1 });
    const afterPureCall = ours();
    const net = require('node:net');
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const socket = net.connect(server.address().port, '127.0.0.1', () => {
        library.enableKeepalive(socket, { idle: 5000 });
        console.log(JSON.stringify({ atImport, afterPureCall, afterEnable: ours() }));
        socket.destroy();
        server.close();
      });
    });`;
  const out = execFileSync(process.execPath, ['-e', script], { cwd: path.join(__dirname, '..'), encoding: 'utf8' });
  const { atImport, afterPureCall, afterEnable } = JSON.parse(out) as Record<string, string[]>;
  expect(atImport).toEqual(['dist/index.js', 'dist/presets.js']);
  expect(afterPureCall).toEqual([...atImport, 'dist/runtime.js']);
  // The addon, through node-gyp-build, on the first call that needs it.
  // (build/Release, or a prebuild where there is no build: the arm64 runs under qemu).
  expect(afterEnable).toEqual(expect.arrayContaining(['dist/index.js', 'dist/presets.js', 'dist/runtime.js']));
  expect(afterEnable.filter((file) => /^(build\/Release|prebuilds\/[\w-]+)\/[\w.-]+\.node$/.test(file))).toHaveLength(1);
  expect(afterEnable.filter((file) => /tools|cli|lab/.test(file))).toEqual([]);
});

test('middleboxPresets: one object, frozen through, whether read from the package or by the code that suggests', () => {
  const script = `
    const library = require('tcp-keepalive');
    const runtime = require('./dist/runtime.js');
    const presets = library.middleboxPresets;
    const entries = Object.values(presets);
    try { presets['aws-nlb'].idleTimeout = 1000; } catch {}
    console.log(JSON.stringify({
      same: presets === runtime.middleboxPresets,
      frozen: Object.isFrozen(presets) && entries.length > 0 && entries.every(Object.isFrozen),
      idle: library.suggestKeepalive({ behind: 'aws-nlb' }).options.idle,
    }));`;
  const out = execFileSync(process.execPath, ['-e', script], { cwd: path.join(__dirname, '..'), encoding: 'utf8' });
  const { same, frozen, idle } = JSON.parse(out) as { same: boolean; frozen: boolean; idle: number };
  expect({ same, frozen }).toEqual({ same: true, frozen: true });
  // Still below AWS's 350 s, not below the 1 s a changed preset would have asked for.
  expect(idle).toBeGreaterThan(100_000);
  expect(idle).toBeLessThan(350_000);
});
