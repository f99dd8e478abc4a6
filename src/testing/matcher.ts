// toHaveKeepalive: a matcher for expect.extend, the same function for jest and
// vitest. It uses only what both give a matcher (this.isNot, this.promise,
// this.utils' matcherHint, printExpected, printReceived and diff), so its
// messages read like their built-in matchers', with .not and all.
import { checkKeepalive, type KeepaliveCheck, type Reading } from './check';
import { show, type Compared, type KeepaliveExpectation } from './expectation';

/** The part of jest's and vitest's matcher context toHaveKeepalive uses. */
export interface KeepaliveMatcherContext {
  readonly isNot?: boolean | undefined;
  readonly promise?: string | undefined;
  readonly expand?: boolean | undefined;
  readonly utils?: {
    matcherHint(matcherName: string, received?: string, expected?: string, options?: { isNot?: boolean; promise?: string }): string;
    printExpected(value: unknown): string;
    printReceived(value: unknown): string;
    diff(expected: unknown, received: unknown, options?: { expand?: boolean }): string | null | undefined;
  };
}

/** What a matcher returns to jest and vitest. */
export interface KeepaliveMatcherResult {
  pass: boolean;
  message: () => string;
}

interface Words {
  hint: string;
  expected: (value: unknown) => string;
  received: (value: unknown) => string;
  diff: (expected: Compared, received: Compared | undefined) => string;
}

function wordsFor(context: KeepaliveMatcherContext | undefined, withExpected: boolean): Words {
  const isNot = context?.isNot === true;
  const utils = context?.utils;
  const expectedLabel = withExpected ? 'expected' : '';
  if (utils === undefined) {
    // Called without a runner's context (directly, or by a runner that gives none): plain text.
    return {
      hint: `expect(received)${isNot ? '.not' : ''}.toHaveKeepalive(${expectedLabel})`,
      expected: show,
      received: show,
      diff: (expected, received) => `Expected: ${show(expected)}\nReceived: ${show(received)}`,
    };
  }
  const options: { isNot: boolean; promise?: string } = { isNot };
  if (typeof context?.promise === 'string') options.promise = context.promise;
  const printExpected = (value: unknown): string => utils.printExpected(value);
  const printReceived = (value: unknown): string => utils.printReceived(value);
  return {
    hint: utils.matcherHint('toHaveKeepalive', undefined, expectedLabel, options),
    expected: printExpected,
    received: printReceived,
    diff: (expected, received) =>
      utils.diff(expected, received, { expand: context?.expand === true }) ??
      `Expected: ${printExpected(expected)}\nReceived: ${printReceived(received)}`,
  };
}

const heading = (reading: Reading): string => `Keepalive of ${reading.label}, as the kernel holds it (ms):`;

/** Why the matcher failed, in the runner's words. */
function failure(check: KeepaliveCheck, words: Words, isNot: boolean): string {
  const { expected } = check.expectation;
  const several = check.kind !== 'socket';
  const parts = [words.hint];
  if (check.problem !== undefined) {
    parts.push(`Cannot check keepalive on ${check.subject}: ${check.problem}`, `Expected: ${isNot ? 'not ' : ''}${words.expected(expected)}`);
  } else if (!isNot && !several) {
    const [reading] = check.readings;
    parts.push(heading(reading), words.diff(expected, reading.actual));
  } else if (!isNot) {
    const differing = check.readings.filter((reading) => reading.differing.length > 0);
    parts.push(
      `Expected each of ${check.subject} to have: ${words.expected(expected)}\n` +
        `${differing.length} of them ${differing.length === 1 ? 'differs' : 'differ'}:`,
      ...differing.map((reading) => `${heading(reading)}\n\n${words.diff(expected, reading.actual)}`),
    );
  } else if (!several) {
    const [reading] = check.readings;
    parts.push(heading(reading), `Expected: not ${words.expected(expected)}\nReceived:     ${words.received(reading.actual)}`);
  } else {
    parts.push(
      `Expected at least one of ${check.subject} not to have: ${words.expected(expected)}\n` +
        `Every one holds it:${check.readings.map((reading) => `\n  ${reading.label}`).join('')}`,
    );
  }
  if (check.expectation.notes.length > 0) parts.push(check.expectation.notes.map((note) => `(${note})`).join('\n'));
  return parts.join('\n\n');
}

/**
 * `expect(target).toHaveKeepalive(expected?)`: passes when the kernel holds
 * the expected keepalive settings for the target, as assertKeepalive checks
 * them (same targets, same expectation, same rounding to whole seconds).
 *
 * `.not` is its negation: it passes when some compared field differs (for an
 * agent or several sockets, on at least one socket). A target that cannot be
 * checked (a socket still connecting or closed, an agent without sockets)
 * fails both ways. `expect(socket).toHaveKeepalive()` checks only that
 * keepalive is on, `.not.toHaveKeepalive()` that it is off.
 *
 * Bad arguments (not a socket, agent or iterable of sockets; an unknown or
 * mistyped field) throw the library's Node-style errors, not a failure.
 */
export function toHaveKeepalive(
  this: KeepaliveMatcherContext | undefined,
  received: unknown,
  expected?: KeepaliveExpectation,
): KeepaliveMatcherResult {
  const check = checkKeepalive(received, expected, 'received');
  const isNot = this?.isNot === true;
  const words = wordsFor(this, expected !== undefined);
  // A check that could not be made fails whether or not .not is used.
  const pass = check.problem !== undefined ? isNot : check.pass;
  return { pass, message: () => failure(check, words, isNot) };
}

/** The matchers to give `expect.extend`, in jest and in vitest alike. */
export const keepaliveMatchers = { toHaveKeepalive };
