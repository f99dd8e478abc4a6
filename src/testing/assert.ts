// assertKeepalive: one line in any test runner, failing with node:assert's
// AssertionError as assert.deepStrictEqual does.
import { AssertionError } from 'node:assert';
import { checkKeepalive, type KeepaliveAssertionTarget, type KeepaliveCheck } from './check';
import { invalidArgType } from '../core/errors';
import { FIELDS, show, type Compared, type KeepaliveExpectation } from './expectation';

/** node:assert's diff layout (`+ actual - expected`), one line per compared field, in milliseconds. */
function fieldDiff(actual: Compared, expected: Compared): string {
  const lines = ['+ actual - expected', ''];
  for (const field of FIELDS) {
    if (!(field in expected)) continue;
    const held = actual[field];
    const wanted = expected[field];
    if (Object.is(held, wanted)) lines.push(`  ${field}: ${show(held)}`);
    else lines.push(`+ ${field}: ${show(held)}`, `- ${field}: ${show(wanted)}`);
  }
  return lines.join('\n');
}

/** The message of a failed check, in the API's units: what was expected, what the kernel holds, where. */
export function failureMessage(check: KeepaliveCheck): string {
  const { expected, notes } = check.expectation;
  let message: string;
  if (check.problem !== undefined) {
    message = `Cannot check keepalive ${show(expected)} on ${check.subject}: ${check.problem}`;
  } else if (check.kind === 'socket') {
    const [reading] = check.readings;
    message =
      `Expected keepalive ${show(expected)} on ${reading.label}, the kernel holds ${show(reading.actual)}\n` +
      fieldDiff(reading.actual ?? {}, expected);
  } else {
    const differing = check.readings.filter((reading) => reading.differing.length > 0);
    const several = check.readings.length > 1;
    message =
      `Expected keepalive ${show(expected)} on ${several ? 'each of ' : ''}${check.subject}; ` +
      `${several ? `${differing.length} of them differ${differing.length === 1 ? 's' : ''}` : 'it differs'}:` +
      differing.map((reading) => `\n  ${reading.label} holds ${show(reading.actual)}`).join('');
  }
  return notes.length === 0 ? message : `${message}\n(${notes.join('; ')})`;
}

/**
 * Throws an `AssertionError` (node:assert's, `code` ERR_ASSERTION, `operator`
 * 'assertKeepalive') unless the kernel holds the expected keepalive settings
 * for `target`. Works in any test runner (node:test, mocha, jest, vitest…).
 *
 * `target`: a connected socket (a client's or one a server accepted, TLS
 * too); an http.Agent or https.Agent, whose every open socket (in use and
 * pooled) is checked; or an array, Set or other iterable of sockets (such as
 * a server's accepted ones). A net.Server is refused: Node lists no server's
 * connections, so collect them from its 'connection' event.
 *
 * `expected` is in getKeepalive's units (milliseconds). Only the fields given
 * are compared, and `enabled`, expected true unless given (`{ enabled: false }`
 * expects keepalive off). idle and interval are compared as the kernel would
 * hold them: in whole seconds, rounded up as enableKeepalive rounds them (an
 * expected idle of 5500 matches a socket holding 6000, and the message says so).
 *
 * The error's `actual` and `expected` hold the compared fields only (for
 * several sockets, arrays with one entry per socket), so runners that diff
 * them (jest, mocha) show what differs; its message names the socket
 * (`local -> remote`) and shows the difference itself for those that do not.
 * A socket still connecting or closed fails with a message saying so: the
 * check is synchronous, and does not wait for 'connect'.
 *
 * `message`, as in node:assert: a string replaces the message; an Error is thrown instead.
 *
 * @throws {AssertionError} the settings differ, or cannot be read (a socket still connecting or closed, an agent without sockets)
 * @throws {TypeError} `ERR_INVALID_ARG_TYPE` (target not a socket, agent or iterable of sockets; expected not an
 *   object, or a field of the wrong type), `ERR_INVALID_ARG_VALUE` (an unknown field, a net.Server, a socket that is not TCP),
 *   `ERR_FEATURE_UNAVAILABLE_ON_PLATFORM` (no native addon: the settings cannot be read)
 * @throws {RangeError} `ERR_OUT_OF_RANGE` (an expected value no socket can hold: 0 or negative durations, a fractional count)
 */
export function assertKeepalive(
  target: KeepaliveAssertionTarget,
  expected?: KeepaliveExpectation,
  message?: string | Error,
): void {
  const check = checkKeepalive(target, expected, 'target');
  if (message !== undefined && typeof message !== 'string' && !(message instanceof Error)) {
    throw invalidArgType('message', 'of type string or an instance of Error', message);
  }
  if (check.pass) return;
  if (message instanceof Error) throw message;
  throw new AssertionError({
    message: message ?? failureMessage(check),
    actual: check.actual,
    expected: check.expected,
    operator: 'assertKeepalive',
    stackStartFn: assertKeepalive,
  });
}
