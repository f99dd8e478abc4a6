// Fresh process for bench/import.js: times one require and prints nanoseconds.
// 'tcp-keepalive' resolves to this package itself (its "exports" allow that).
'use strict';
const start = process.hrtime.bigint();
require(process.argv[2]);
const elapsed = process.hrtime.bigint() - start;
process.stdout.write(`${elapsed}\n`);
