// Fresh process for bench/import.js: times one require (and, with a third
// argument, the package's first call after it) and prints nanoseconds.
// 'tcp-keepalive' resolves to this package itself (its "exports" allow that).
'use strict';
const start = process.hrtime.bigint();
const loaded = require(process.argv[2]);
// getSystemDefaults: the first call loads the package's code and the addon.
if (process.argv[3] === 'first-call') loaded.getSystemDefaults();
const elapsed = process.hrtime.bigint() - start;
process.stdout.write(`${elapsed}\n`);
