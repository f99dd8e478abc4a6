// Reads the settings of the sockets an assertion is about and compares them
// with the expectation. Shared by assertKeepalive and toHaveKeepalive, which
// only word the outcome; nothing here knows a test runner.
import * as net from 'node:net';
import type * as http from 'node:http';
import { getKeepalive, type KeepaliveSettings } from '../index';
import { invalidArgType, invalidArgValue } from '../core/errors';
import { differing, parseExpectation, pick, type Compared, type Field, type ParsedExpectation } from './expectation';

/**
 * What the assertions check: a socket (a client's, or one a server accepted,
 * plain or TLS), every open socket of an http.Agent or https.Agent (in use and
 * pooled), or each socket of an array, Set or other iterable (a server's
 * accepted sockets, collected from its 'connection' event).
 */
export type KeepaliveAssertionTarget = net.Socket | http.Agent | Iterable<net.Socket>;

export interface Reading {
  /** `127.0.0.1:41234 -> 127.0.0.1:5432` (local -> remote), or what is known of a socket without a connection. */
  readonly label: string;
  /** The compared fields as the kernel holds them; absent when the socket has none to read. */
  readonly actual?: Compared;
  /** The compared fields whose held value is not the expected one. */
  readonly differing: readonly Field[];
  /** Why the socket has no settings to read: `it is still connecting, …`, `it is closed, …`. */
  readonly problem?: string;
}

export interface KeepaliveCheck {
  readonly kind: 'socket' | 'agent' | 'sockets';
  /** What the sockets are, for messages: `127.0.0.1:41234 -> 127.0.0.1:5432`, `the http.Agent's 2 sockets`. */
  readonly subject: string;
  readonly expectation: ParsedExpectation;
  readonly readings: readonly Reading[];
  /**
   * Why nothing can be said either way, following "Cannot check keepalive on
   * <subject>: " (no socket to check, a socket still connecting or closed):
   * the assertion fails, and so does its negation.
   */
  readonly problem?: string;
  /** Every socket was read and holds the expected values (and there was at least one). */
  readonly pass: boolean;
  /**
   * What the kernel holds, for runners' diffs: one object for a socket, an
   * array for several; undefined for a socket whose settings cannot be read.
   */
  readonly actual: Compared | undefined | (Compared | undefined)[];
  /** What was expected, in the same shape as `actual`. */
  readonly expected: Compared | Compared[];
}

let agentClass: typeof http.Agent | undefined;

/** http is loaded only for a target that is not a socket, as enableKeepalive does. */
function isAgent(value: unknown): value is http.Agent {
  agentClass ??= (require('node:http') as typeof http).Agent;
  return value instanceof agentClass;
}

const isIterable = (value: unknown): value is Iterable<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function';

function address(host: string | undefined, port: number | undefined): string | undefined {
  if (!host) return undefined;
  return `${host.includes(':') ? `[${host}]` : host}:${port ?? '?'}`;
}

/** `local -> remote` from the socket's public getters, or its state where it has no addresses. */
export function describeSocket(socket: net.Socket): string {
  const local = address(socket.localAddress, socket.localPort);
  const remote = address(socket.remoteAddress, socket.remotePort);
  if (local !== undefined && remote !== undefined) return `${local} -> ${remote}`;
  // Node forgets a closed socket's local address, but remembers a peer's it was asked for.
  if (socket.destroyed) return remote === undefined ? 'a closed socket' : `a closed socket (peer ${remote})`;
  if (socket.connecting) return 'a socket still connecting';
  return 'a socket without a connection';
}

const CONNECTING =
  "it is still connecting, and its settings can be read once it has emitted 'connect' (the check is synchronous: await once(socket, 'connect') first)";
const CLOSED = 'it has been destroyed, and has no settings to read any more';
const UNCONNECTED = 'it has no connection: it was never connected';

interface Target {
  kind: KeepaliveCheck['kind'];
  sockets: net.Socket[];
  subject: (count: number) => string;
}

/** Throws the library's kind of errors for what is not a target, before anything is read. */
function resolveTarget(target: unknown, name: string): Target {
  if (target instanceof net.Socket) return { kind: 'socket', sockets: [target], subject: () => describeSocket(target) };
  if (target instanceof net.Server) {
    throw invalidArgValue(
      name,
      target,
      "is a net.Server, whose connections Node does not list: pass the sockets its 'connection' event gives (one, or an array or Set of them)",
    );
  }
  if (isAgent(target)) {
    const agent = target as http.Agent;
    const lists = [...Object.values(agent.sockets), ...Object.values(agent.freeSockets)];
    // Destroyed sockets are on their way out of the agent's lists.
    const sockets = lists
      .flatMap((list) => list ?? [])
      .filter((socket): socket is net.Socket => socket instanceof net.Socket && !socket.destroyed);
    const agentName = `${String((agent as { protocol?: unknown }).protocol ?? 'http:').replace(/:$/, '')}.Agent`;
    return {
      kind: 'agent',
      sockets,
      subject: (count) => (count === 0 ? `the ${agentName}` : `the ${agentName}'s ${count === 1 ? 'socket' : `${count} sockets`}`),
    };
  }
  if (isIterable(target)) {
    const sockets = [...target];
    sockets.forEach((socket, index) => {
      if (!(socket instanceof net.Socket)) throw invalidArgType(`${name}[${index}]`, 'an instance of net.Socket', socket);
    });
    return {
      kind: 'sockets',
      sockets: sockets as net.Socket[],
      subject: (count) => (count === 0 ? 'an empty list of sockets' : count === 1 ? 'the 1 socket given' : `the ${count} sockets given`),
    };
  }
  throw invalidArgType(name, 'an instance of net.Socket or http.Agent, or an iterable of net.Socket', target);
}

const codeOf = (error: unknown): unknown => (error as { code?: unknown } | null)?.code;

/** The socket's settings, or why it has none; undefined for a socket to leave out (an agent's non-TCP socket). */
function read(socket: net.Socket, expectation: ParsedExpectation, skipNonTcp: boolean): Reading | undefined {
  const label = describeSocket(socket);
  // The socket's state, from its public properties: a failure of the code under test.
  if (socket.destroyed) return { label, differing: [], problem: CLOSED };
  if (socket.connecting) return { label, differing: [], problem: CONNECTING };
  if (socket.pending) return { label, differing: [], problem: UNCONNECTED };
  let settings: KeepaliveSettings;
  try {
    settings = getKeepalive(socket);
  } catch (error) {
    // Anything else (not TCP, no addon) is the library's error, thrown as it is.
    switch (codeOf(error)) {
      case 'ERR_SOCKET_CLOSED':
        return { label, differing: [], problem: CLOSED };
      case 'ERR_INVALID_ARG_VALUE':
        if (skipNonTcp) return undefined;
    }
    throw error;
  }
  const actual = pick(settings, expectation.fields);
  return { label, actual, differing: differing(actual, expectation.expected, expectation.fields) };
}

/**
 * Validates the arguments (Node-style errors), reads every socket of the
 * target, and compares. `name` is the target's argument name in errors.
 */
export function checkKeepalive(target: unknown, expectedArgument: unknown, name = 'target'): KeepaliveCheck {
  const resolved = resolveTarget(target, name);
  const expectation = parseExpectation(expectedArgument);
  const readings = resolved.sockets
    .map((socket) => read(socket, expectation, resolved.kind === 'agent'))
    .filter((reading): reading is Reading => reading !== undefined);
  const subject = resolved.subject(readings.length);
  let problem: string | undefined;
  const unreadable = readings.filter((reading) => reading.problem !== undefined);
  if (readings.length === 0) {
    problem =
      resolved.kind === 'agent'
        ? 'it has no open TCP socket: make a request first (an agent with keepAlive keeps its sockets between requests, in freeSockets)'
        : 'there is no socket in it';
  } else if (resolved.kind === 'socket') {
    problem = unreadable[0]?.problem;
  } else if (unreadable.length > 0) {
    problem = unreadable.map((reading) => `\n  ${reading.label}: ${reading.problem}`).join('');
  }
  const pass = problem === undefined && readings.every((reading) => reading.differing.length === 0);
  const single = resolved.kind === 'socket';
  return {
    kind: resolved.kind,
    subject,
    expectation,
    readings,
    ...(problem === undefined ? {} : { problem }),
    pass,
    actual: single ? readings[0]?.actual : readings.map((reading) => reading.actual),
    expected: single ? expectation.expected : readings.map(() => expectation.expected),
  };
}
