// globalSetup of the tarball tests: the tarball to test is
// $TCP_KEEPALIVE_TARBALL (CI packs it once for every Node version), or else
// packed here, once for all the test files, into a directory removed afterwards.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { pack } = require('../helpers/pack');

module.exports = function packOnce() {
  if (process.env.TCP_KEEPALIVE_TARBALL) {
    if (!fs.existsSync(process.env.TCP_KEEPALIVE_TARBALL)) {
      throw new Error(`TCP_KEEPALIVE_TARBALL=${process.env.TCP_KEEPALIVE_TARBALL} does not exist`);
    }
    return;
  }
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-keepalive-tarball-'));
  process.env.TCP_KEEPALIVE_TARBALL = pack(directory).tarball;
  // Read by teardown.js, in this same process.
  process.env.TCP_KEEPALIVE_PACKED_HERE = directory;
};
