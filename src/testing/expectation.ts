// What assertKeepalive and toHaveKeepalive take as the expected settings:
// checked like enableKeepalive's options, and turned into the values the
// kernel would hold for them, field by field.
import { inspect } from 'node:util';
import type { KeepaliveSettings } from '../index';
import { invalidArgType, invalidArgValue, outOfRange } from '../core/errors';

/**
 * The settings a socket is expected to have, in getKeepalive's units
 * (milliseconds). Only the fields given are compared, and `enabled`, which is
 * expected to be true unless given. What getKeepalive returned for another
 * socket may be passed as it is (a `userTimeout` of undefined is not compared).
 */
export interface KeepaliveExpectation {
  /** Whether SO_KEEPALIVE is on; true unless given (`{ enabled: false }` expects keepalive off). */
  enabled?: boolean | undefined;
  /** Milliseconds of idleness before the first probe; compared in whole seconds, rounded up as enableKeepalive rounds. */
  idle?: number | undefined;
  /** Milliseconds between unanswered probes; compared in whole seconds, rounded up as enableKeepalive rounds. */
  interval?: number | undefined;
  /** Unanswered probes before the connection is dropped. */
  count?: number | undefined;
  /** TCP_USER_TIMEOUT in milliseconds (0: the system's behaviour). */
  userTimeout?: number | undefined;
}

/** The fields of getKeepalive's result, in its order. */
export const FIELDS = ['enabled', 'idle', 'interval', 'count', 'userTimeout'] as const;
export type Field = (typeof FIELDS)[number];

/** Some fields of a KeepaliveSettings, always in FIELDS order. */
export type Compared = { -readonly [K in Field]?: KeepaliveSettings[K] };

export interface ParsedExpectation {
  /** The compared fields, in FIELDS order. */
  readonly fields: readonly Field[];
  /** The value each compared field must have: what the kernel would hold for the expectation. */
  readonly expected: Compared;
  /** One sentence per expected value the kernel holds differently (idle 5500 is held as 6000). */
  readonly notes: readonly string[];
}

const isField = (key: string): key is Field => (FIELDS as readonly string[]).includes(key);
const hasOwn = Object.prototype.hasOwnProperty;

/** A duration the kernel keeps in whole seconds, as enableKeepalive sets it: rounded up, at least one second. */
const heldAsSeconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000)) * 1000;

/**
 * Checks `value` (undefined means `{}`: keepalive on, nothing else compared)
 * and returns what to compare. Throws Node-style errors, never an assertion
 * failure: a wrong expectation is a mistake in the test, not in the code under test.
 */
export function parseExpectation(value: unknown, name = 'expected'): ParsedExpectation {
  if (value === undefined) return { fields: ['enabled'], expected: { enabled: true }, notes: [] };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArgType(name, 'of type object', value);
  }
  for (const key in value) {
    if (!isField(key) && hasOwn.call(value, key)) {
      throw invalidArgValue(
        `${name}.${key}`,
        (value as Record<string, unknown>)[key],
        `is not a keepalive setting (expected ${FIELDS.join(', ')})`,
      );
    }
  }
  const given = value as Record<Field, unknown>;
  const expected: Compared = {};
  const notes: string[] = [];
  for (const field of FIELDS) {
    const wanted = given[field];
    if (wanted === undefined) {
      if (field === 'enabled') expected.enabled = true;
      continue;
    }
    const property = `${name}.${field}`;
    if (field === 'enabled') {
      if (typeof wanted !== 'boolean') throw invalidArgType(property, 'of type boolean', wanted);
      expected.enabled = wanted;
      continue;
    }
    if (typeof wanted !== 'number') throw invalidArgType(property, 'of type number', wanted);
    switch (field) {
      case 'idle':
      case 'interval': {
        if (!(wanted > 0 && wanted < Infinity)) throw outOfRange(property, 'a finite number > 0', wanted);
        const held = heldAsSeconds(wanted);
        if (held !== wanted) {
          notes.push(`${field} ${wanted} is compared as ${held}: the kernel keeps it in whole seconds, and enableKeepalive rounds up`);
        }
        expected[field] = held;
        break;
      }
      case 'count':
        if (!Number.isInteger(wanted) || wanted < 1) throw outOfRange(property, 'an integer >= 1', wanted);
        expected.count = wanted;
        break;
      case 'userTimeout':
        if (!Number.isInteger(wanted) || wanted < 0) throw outOfRange(property, 'an integer >= 0', wanted);
        expected.userTimeout = wanted;
        break;
    }
  }
  return { fields: FIELDS.filter((field) => hasOwn.call(expected, field)), expected, notes };
}

/** The compared fields of what getKeepalive read, in FIELDS order. */
export function pick(settings: KeepaliveSettings, fields: readonly Field[]): Compared {
  const picked: Compared = {};
  for (const field of fields) (picked as Record<Field, unknown>)[field] = settings[field];
  return picked;
}

/** The compared fields whose held value differs from the expected one. */
export function differing(actual: Compared, expected: Compared, fields: readonly Field[]): Field[] {
  return fields.filter((field) => !Object.is(actual[field], expected[field]));
}

/** `{ enabled: true, idle: 5000 }`, on one line, as node:assert shows values. */
export const show = (value: unknown): string => inspect(value, { breakLength: Infinity, colors: false, depth: 2 });
