// tcp-keepalive/vitest: adds toHaveKeepalive to vitest's expect, and to its types.
//
//   // vitest.config.ts
//   test: { setupFiles: ['tcp-keepalive/vitest'] }
//
// An ES module, as vitest must be imported (it refuses require). Types: the
// declarations below reach TypeScript wherever this module is imported, or
// named in tsconfig's "types" (or `/// <reference types="tcp-keepalive/vitest" />`);
// the reference brings vitest's own into the program, as an augmentation needs.
/// <reference types="vitest" preserve="true" />
import { expect } from 'vitest';
import { keepaliveMatchers } from './matchers.js';
import type { KeepaliveExpectation } from './testing/expectation.js';

expect.extend(keepaliveMatchers);

declare module 'vitest' {
  interface Assertion<T = any> {
    /** Passes when the kernel holds the expected keepalive settings (ms) for the socket, agent or sockets: see tcp-keepalive/matchers. */
    toHaveKeepalive(expected?: KeepaliveExpectation): void;
  }
  interface AsymmetricMatchersContaining {
    /** Matches a socket (or agent, or sockets) whose keepalive settings are the expected ones. */
    toHaveKeepalive(expected?: KeepaliveExpectation): unknown;
  }
}
