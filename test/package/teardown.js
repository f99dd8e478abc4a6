// globalTeardown of the tarball tests: removes a tarball that setup.js packed.
const fs = require('node:fs');

module.exports = function removePacked() {
  const directory = process.env.TCP_KEEPALIVE_PACKED_HERE;
  if (directory) fs.rmSync(directory, { recursive: true, force: true });
};
