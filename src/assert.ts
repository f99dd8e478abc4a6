// tcp-keepalive/assert: assertKeepalive, a one-line check of a socket's
// keepalive settings that throws node:assert's AssertionError, for any test
// runner (see testing/assert.ts). Loads no test runner.
export { assertKeepalive } from './testing/assert';
export type { KeepaliveAssertionTarget } from './testing/check';
export type { KeepaliveExpectation } from './testing/expectation';
