// Errors shaped like Node's own: same classes, codes and message wording.
import type * as util from 'node:util';

/** node:util, loaded on the first error: importing the package stays cheap. */
let utilModule: typeof util | undefined;
const nodeUtil = (): typeof util => (utilModule ??= require('node:util') as typeof util);
const inspect: typeof util.inspect = ((value: unknown, options?: util.InspectOptions) => nodeUtil().inspect(value, options)) as typeof util.inspect;

/** Every `code` this package's functions throw with, besides system errors (`EINVAL`, `EBADF`, …). */
export type KeepaliveErrorCode =
  | 'ERR_INVALID_ARG_TYPE'
  | 'ERR_INVALID_ARG_VALUE'
  | 'ERR_OUT_OF_RANGE'
  | 'ERR_MISSING_OPTION'
  | 'ERR_SOCKET_CLOSED'
  | 'TCP_KEEPALIVE_SOCKET_CONNECTING'
  | 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM';

type NodeError<E extends Error> = E & { code: KeepaliveErrorCode };

/**
 * Adds `code`, and shows it the way Node's own errors do: the stack (what an
 * uncaught error or console.error prints) starts `TypeError [ERR_…]: …`, and
 * so does String(error), while `name` stays `TypeError`.
 */
function withCode<E extends Error>(error: E, code: KeepaliveErrorCode): NodeError<E> {
  Object.defineProperty(error, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  const { name } = error;
  // V8 writes the stack's first line from `name` when the stack is first read.
  Object.defineProperty(error, 'name', { value: `${name} [${code}]`, configurable: true, writable: true });
  void error.stack;
  delete (error as { name?: string }).name;
  Object.defineProperty(error, 'toString', {
    value: () => `${name} [${code}]: ${error.message}`,
    configurable: true,
    writable: true,
  });
  return error as NodeError<E>;
}

/** How Node describes a received value in its argument errors. */
export function describeReceived(value: unknown): string {
  if (value === null || value === undefined) return `Received ${String(value)}`;
  if (typeof value === 'function') {
    return value.name ? `Received function ${value.name}` : 'Received function';
  }
  if (typeof value === 'object') {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== ''
      ? `Received an instance of ${name}`
      : `Received ${inspect(value, { depth: -1 })}`;
  }
  let shown = inspect(value, { colors: false });
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return `Received type ${typeof value} (${shown})`;
}

function subject(name: string): string {
  return name.includes('.') ? `"${name}" property` : `"${name}" argument`;
}

/** ERR_INVALID_ARG_TYPE: `The "socket" argument must be an instance of net.Socket. Received …` */
export function invalidArgType(name: string, expected: string, actual: unknown): NodeError<TypeError> {
  return withCode(
    new TypeError(`The ${subject(name)} must be ${expected}. ${describeReceived(actual)}`),
    'ERR_INVALID_ARG_TYPE',
  );
}

/** ERR_INVALID_ARG_VALUE: `The property 'options.intervall' is not a keepalive option …. Received 5` */
export function invalidArgValue(name: string, value: unknown, reason: string): NodeError<TypeError> {
  const kind = name.includes('.') ? 'property' : 'argument';
  // Objects (a socket, a server) by their class, never dumped whole; other
  // values inspected and cut at 128 characters, as Node cuts them.
  let received = describeReceived(value);
  if (typeof value !== 'object' || value === null) {
    const shown = inspect(value);
    received = `Received ${shown.length > 128 ? `${shown.slice(0, 128)}...` : shown}`;
  }
  return withCode(new TypeError(`The ${kind} '${name}' ${reason}. ${received}`), 'ERR_INVALID_ARG_VALUE');
}

/** ERR_OUT_OF_RANGE: `The value of "options.count" is out of range. It must be >= 1 && <= 127. Received 0` */
export function outOfRange(name: string, range: string, value: unknown): NodeError<RangeError> {
  let received = inspect(value);
  if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) > 2 ** 32) {
    received = String(value).replace(/\B(?=(\d{3})+$)/g, '_');
  }
  return withCode(
    new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${received}`),
    'ERR_OUT_OF_RANGE',
  );
}

/** ERR_SOCKET_CLOSED, as Node throws it for operations on a closed socket. */
export function socketClosed(): NodeError<Error> {
  return withCode(new Error('Socket is closed'), 'ERR_SOCKET_CLOSED');
}

/**
 * ERR_FEATURE_UNAVAILABLE_ON_PLATFORM, naming every missing feature, then
 * (optionally) why: `The feature TCP_USER_TIMEOUT (options.userTimeout) is unavailable …`
 */
export function featureUnavailable(features: string | readonly string[], reason?: string): NodeError<TypeError> {
  const list = typeof features === 'string' ? [features] : features;
  const named =
    list.length === 1
      ? `feature ${list[0]} is`
      : `features ${list.slice(0, -1).join(', ')} and ${list[list.length - 1]} are`;
  const why = reason === undefined ? '' : `. ${reason}`;
  return withCode(
    new TypeError(`The ${named} unavailable on the current platform, which is being used to run Node.js${why}`),
    'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM',
  );
}

/** ERR_MISSING_OPTION: `options.idle is required …` */
export function missingOption(name: string, reason: string): NodeError<TypeError> {
  return withCode(new TypeError(`${name} is required ${reason}`), 'ERR_MISSING_OPTION');
}

export interface KeepaliveSystemError extends Error {
  code: string;
  errno: number;
  syscall: string;
  /** The socket option whose syscall failed, such as `TCP_KEEPIDLE`. */
  option: string;
}

/**
 * A failed syscall, shaped like Node's system errors:
 * `EINVAL: invalid argument, setsockopt TCP_KEEPIDLE`, with errno (negative, as
 * in Node), code, syscall and option.
 */
export function systemError(errno: number, syscall: string, option: string): KeepaliveSystemError {
  const [code, description] = nodeUtil().getSystemErrorMap().get(-errno) ?? ['UNKNOWN', 'unknown error'];
  const error = new Error(`${code}: ${description}, ${syscall} ${option}`) as KeepaliveSystemError;
  error.errno = -errno;
  error.code = code;
  error.syscall = syscall;
  error.option = option;
  return error;
}

/** TCP_KEEPALIVE_SOCKET_CONNECTING: the socket has no connection (and so no settings) to read yet. */
export function connectingError(): NodeError<Error> {
  return withCode(
    new Error("Socket is still connecting: its keepalive settings can be read once it has emitted 'connect'"),
    'TCP_KEEPALIVE_SOCKET_CONNECTING',
  );
}
