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
