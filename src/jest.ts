// tcp-keepalive/jest: adds toHaveKeepalive to jest's expect, and to its types.
//
//   // jest.config.js
//   setupFilesAfterEnv: ['tcp-keepalive/jest']
//
// Types: the declarations below reach TypeScript wherever this module is
// imported, or named in tsconfig's "types" (or `/// <reference types="tcp-keepalive/jest" />`).
// They extend both jest typings: the `expect` module's, which @jest/globals
// uses, and @types/jest's global `jest` namespace; the reference brings the
// former into the program, as an augmentation needs.
/// <reference types="expect" preserve="true" />
import { keepaliveMatchers } from './matchers';
import type { KeepaliveExpectation } from './testing/expectation';

interface Extendable {
  extend(matchers: typeof keepaliveMatchers): void;
}

/** jest's expect: the global one, or @jest/globals' where jest injects no globals (injectGlobals: false). */
function jestExpect(): Extendable {
  const global = (globalThis as { expect?: Partial<Extendable> }).expect;
  if (typeof global?.extend === 'function') return global as Extendable;
  try {
    return (require('@jest/globals') as { expect: Extendable }).expect;
  } catch (error) {
    throw new Error(
      "tcp-keepalive/jest adds a matcher to jest's expect: list it in jest's setupFilesAfterEnv, or import it in a test file",
      { cause: error },
    );
  }
}

jestExpect().extend(keepaliveMatchers);

declare global {
  namespace jest {
    interface Matchers<R, T = {}> {
      /** Passes when the kernel holds the expected keepalive settings (ms) for the socket, agent or sockets: see tcp-keepalive/matchers. */
      toHaveKeepalive(expected?: KeepaliveExpectation): R;
    }
    interface Expect {
      /** Matches a socket (or agent, or sockets) whose keepalive settings are the expected ones. */
      toHaveKeepalive(expected?: KeepaliveExpectation): unknown;
    }
    interface InverseAsymmetricMatchers {
      /** Matches a socket (or agent, or sockets) whose keepalive settings are not the expected ones. */
      toHaveKeepalive(expected?: KeepaliveExpectation): unknown;
    }
  }
}

declare module 'expect' {
  interface Matchers<R extends void | Promise<void>, T = unknown> {
    /** Passes when the kernel holds the expected keepalive settings (ms) for the socket, agent or sockets: see tcp-keepalive/matchers. */
    toHaveKeepalive(expected?: KeepaliveExpectation): R;
  }
  interface AsymmetricMatchers {
    /** Matches a socket (or agent, or sockets) whose keepalive settings are the expected ones. */
    toHaveKeepalive(expected?: KeepaliveExpectation): void;
  }
}

export {};
