// tcp-keepalive/matchers: the toHaveKeepalive matcher for jest's and vitest's
// expect.extend (see testing/matcher.ts). Loads no test runner and declares
// no runner's types: tcp-keepalive/jest and tcp-keepalive/vitest do both.
export { toHaveKeepalive, keepaliveMatchers } from './testing/matcher';
export type { KeepaliveMatcherContext, KeepaliveMatcherResult } from './testing/matcher';
export type { KeepaliveAssertionTarget } from './testing/check';
export type { KeepaliveExpectation } from './testing/expectation';
