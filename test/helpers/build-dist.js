// jest globalSetup: builds dist/ as npm run build does (tsc, then the bundle
// of scripts/bundle.js), so that tests running child processes exercise the
// same build users get, never a stale one.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = function buildDist() {
  const root = path.join(__dirname, '..', '..');
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  execFileSync(process.execPath, [path.join(root, 'scripts', 'bundle.js')], { cwd: root, stdio: 'inherit' });
};
