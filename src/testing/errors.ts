// Node-style errors for the arguments of assertKeepalive and toHaveKeepalive:
// the same classes, codes and wording as the library's own (src/core/errors.ts),
// built here so that the assertions depend on the public API only.
import { inspect } from 'node:util';

type Code = 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE' | 'ERR_OUT_OF_RANGE';

/** Adds `code`, and shows it as Node's own errors do: `TypeError [ERR_…]: …` in the stack and String(error). */
function withCode<E extends Error>(error: E, code: Code): E & { code: Code } {
  Object.defineProperty(error, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  const { name } = error;
  Object.defineProperty(error, 'name', { value: `${name} [${code}]`, configurable: true, writable: true });
  void error.stack;
  delete (error as { name?: string }).name;
  Object.defineProperty(error, 'toString', {
    value: () => `${name} [${code}]: ${error.message}`,
    configurable: true,
    writable: true,
  });
  return error as E & { code: Code };
}

/** How Node describes a received value in its argument errors. */
function received(value: unknown): string {
  if (value === null || value === undefined) return `Received ${String(value)}`;
  if (typeof value === 'function') return value.name ? `Received function ${value.name}` : 'Received function';
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

const subject = (name: string): string => (name.includes('.') ? `"${name}" property` : `"${name}" argument`);

export function invalidArgType(name: string, expected: string, actual: unknown): TypeError & { code: Code } {
  return withCode(new TypeError(`The ${subject(name)} must be ${expected}. ${received(actual)}`), 'ERR_INVALID_ARG_TYPE');
}

export function invalidArgValue(name: string, value: unknown, reason: string): TypeError & { code: Code } {
  const kind = name.includes('.') ? 'property' : 'argument';
  let shown = received(value);
  if (typeof value !== 'object' || value === null) {
    const text = inspect(value);
    shown = `Received ${text.length > 128 ? `${text.slice(0, 128)}...` : text}`;
  }
  return withCode(new TypeError(`The ${kind} '${name}' ${reason}. ${shown}`), 'ERR_INVALID_ARG_VALUE');
}

export function outOfRange(name: string, range: string, value: unknown): RangeError & { code: Code } {
  return withCode(
    new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${inspect(value)}`),
    'ERR_OUT_OF_RANGE',
  );
}
