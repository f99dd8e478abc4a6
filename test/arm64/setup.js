// globalSetup of the arm64 run: refuses to test anything but the arm64
// prebuild under arm64 Node (a build/ or an x64 Node would pass unnoticed).
const fs = require('node:fs');
const path = require('node:path');
const load = require('node-gyp-build');

module.exports = function checkArm64() {
  const root = path.join(__dirname, '..', '..');
  if (process.arch !== 'arm64') throw new Error(`the arm64 run needs arm64 Node, not ${process.arch}`);
  if (fs.existsSync(path.join(root, 'build'))) throw new Error(`${root}/build exists: the run is for the prebuild alone`);
  const picked = path.relative(root, load.path(root));
  if (picked !== path.join('prebuilds', 'linux-arm64', 'tcp-keepalive.glibc.node')) {
    throw new Error(`node-gyp-build picks ${picked}, not the arm64 glibc prebuild`);
  }
  if (!fs.existsSync(path.join(root, 'dist', 'index.js'))) throw new Error('dist/ missing: the tarball provides it');
  process.stderr.write(`arm64 run: Node ${process.version} (${process.arch}), addon ${picked}\n`);
};
