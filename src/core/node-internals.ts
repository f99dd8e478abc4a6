// The one module that touches Node's internals: the private fields of
// net.Socket, tls.TLSSocket, net.Server and http.Agent this library reads or
// writes, the TCP handle's own methods, Node's record of setKeepAlive, and the
// prototype methods the preload wraps. Each assumption is written beside the
// code that makes it; test/node-internals.test.ts checks every one of them on
// Node itself, and CI runs it on Node 20, 22, 24 and 26, so a Node major that
// moves one fails there first, by name.
//
// Bun and Deno run the same API over handles of their own: where they differ
// from Node, the difference is written here too (Bun: ..., Deno: ...), and
// test/fixtures/runtimes/internals.cjs checks it under each of them
// (test/runtimes.test.ts, in CI with the versions .ci/run installs).
import type * as net from 'node:net';
import { Server as NetServer, Socket as NetSocket } from 'node:net';
import type * as http from 'node:http';
import { connectingError, featureUnavailable, invalidArgType, invalidArgValue, socketClosed } from './errors';

/**
 * net.Socket and net.Server, read once: net's exports object is in V8's
 * dictionary mode, so reading a class from it on every call is a hash lookup
 * (a bundle reads an imported name from the module object at each use).
 */
export const Socket: typeof NetSocket = NetSocket;
export type Socket = NetSocket;
export const Server: typeof NetServer = NetServer;
export type Server = NetServer;

// ---------------------------------------------------------------------------
// The runtime

/**
 * Bun sets process.versions.bun and Deno process.versions.deno; both also
 * report a Node version (process.version, process.versions.node), which says
 * nothing about their handles. Read once: a runtime does not change.
 */
export const runtime: { readonly name: 'node' | 'bun' | 'deno'; readonly label: string } =
  typeof process.versions.bun === 'string'
    ? { name: 'bun', label: `Bun ${process.versions.bun}` }
    : typeof process.versions.deno === 'string'
      ? { name: 'deno', label: `Deno ${process.versions.deno}` }
      : { name: 'node', label: `Node ${process.version}` };

/**
 * Why no descriptor can be had from this runtime's sockets, or null where it
 * can (then the addon may serve). Deno's TCP handle (TCPWrap) has no `fd`;
 * its fdForIpc() returns a dup() of the socket on every call and never closes
 * it, which would keep connections open after they are closed: not used.
 */
export function descriptorsUnavailable(): string | null {
  return runtime.name === 'deno' ? `${runtime.label} exposes no socket descriptors` : null;
}

// ---------------------------------------------------------------------------
// Sockets and their TCP handles (lib/net.js, src/tcp_wrap.cc, src/stream_wrap.cc)

/** The parts of Node's TCP handle this library uses. */
export interface TcpHandle {
  /** The descriptor; -1 until the socket is bound or connecting (undefined in Deno: see descriptorsUnavailable). */
  readonly fd: number;
  /**
   * Node and Deno: seconds, and returns 0 or a libuv error; Node 24.19+ and
   * 26.4+ also pass interval (seconds) and count. Bun: milliseconds, and
   * returns a boolean. Called through callHandleSetKeepAlive, which hides that.
   */
  setKeepAlive(enable: boolean, delay: number, ...intervalAndCount: number[]): number | boolean;
}

interface AnyHandle {
  readonly fd?: number;
  /** Set on a TLSWrap: the handle it encrypts (TCP, Pipe or JSStream). */
  readonly _parent?: AnyHandle;
  setKeepAlive?: (enable: boolean, delaySeconds: number) => number;
}

/** The private fields of net.Socket (and tls.TLSSocket) read here. */
interface SocketInternals {
  /** null until the socket has a handle, and again after it closed; absent on objects not made by the constructor. */
  readonly _handle: AnyHandle | null | undefined;
  /** tls.TLSSocket made over an existing socket: that socket. */
  readonly _parent?: unknown;
  /** Set by net.Server's onconnection on the sockets its own handle accepted. */
  readonly server?: unknown;
}

const internals = (socket: net.Socket): SocketInternals => socket as unknown as SocketInternals;

/** Throws ERR_INVALID_ARG_TYPE unless `value` is a net.Socket (TLS sockets and http2 session sockets are). */
export function assertSocket(value: unknown, name = 'socket'): asserts value is net.Socket {
  if (!(value instanceof Socket)) throw invalidArgType(name, 'an instance of net.Socket', value);
}

const unixSocket = 'a Unix domain socket or named pipe';

/** Handle class names that are not TCP, and what they are (Deno's end in Wrap). */
const handleKinds: Readonly<Record<string, string>> = {
  Pipe: unixSocket,
  PipeWrap: unixSocket,
  JSStream: 'a JavaScript stream, not an operating-system socket',
  unknown: 'a handle of no known class',
};

/** The class name of a TCP handle: Node's TCP (src/tcp_wrap.cc); Deno's TCPWrap (ext/node). */
const tcpClassName = runtime.name === 'deno' ? 'TCPWrap' : 'TCP';

/** The handle that owns the descriptor: the socket's own, or under TLS the one it encrypts; undefined if it has none at all. */
function innerHandle(socket: net.Socket): AnyHandle | null | undefined {
  const handle = internals(socket)._handle;
  if (handle === null || handle === undefined) return handle;
  // Bun's TLS handle owns its descriptor itself and has no _parent.
  return handle._parent ?? handle;
}

/** A handle's class name (TCP, Pipe, JSStream, TLSWrap): Node exports none of these classes. */
const handleClassName = (handle: object): string => (handle.constructor as { name?: string } | undefined)?.name ?? 'unknown';

/**
 * The constructor of the last handle found to be Node's TCP handle; until
 * then a value no constructor is (a handle without one, from an object made
 * with a null prototype, must not pass for TCP). Never set in Bun, whose
 * handles are plain objects (bunHandleKind tells them apart).
 */
let tcpConstructor: unknown = Symbol('no TCP handle seen yet');

function isTcp(handle: AnyHandle): boolean {
  const constructor = (handle as object).constructor;
  // Comparing the constructor is much cheaper than reading its name, and this
  // runs on every call; the name decides only for a constructor not seen yet.
  if (constructor === tcpConstructor) return true;
  if (handleClassName(handle) !== tcpClassName) return false;
  tcpConstructor = constructor;
  return true;
}

/**
 * Bun: a socket's handle is a plain object (its constructor is Object)
 * tagged [object TCPSocket], or [object TLSSocket] under TLS, for TCP and
 * Unix sockets alike. Its `fd` is -1 until connect() has a descriptor, and
 * its `localFamily` (from getsockname) is 'IPv4' or 'IPv6' on TCP, undefined
 * on a Unix socket. Returns 'tcp', 'unix', or 'pending' while that cannot be
 * told yet (no descriptor, or one still connecting without an address).
 */
function bunHandleKind(socket: net.Socket, handle: AnyHandle & { localFamily?: unknown }): 'tcp' | 'unix' | 'pending' {
  if (!((handle.fd ?? -1) >= 0)) return 'pending';
  const family = handle.localFamily;
  if (family === 'IPv4' || family === 'IPv6') return 'tcp';
  return socket.connecting ? 'pending' : 'unix';
}

/**
 * Bun: the sockets Bun's http.Server hands to the program (requests'
 * `socket`, 'connection') are net.Socket subclasses with no handle at all
 * (_handle null, not connecting, yet with a remote address), and their
 * setKeepAlive changes nothing in the kernel. Node's sockets never look like
 * that: without a handle, Node knows no remote address.
 */
const bunUnreachable = (socket: net.Socket): boolean =>
  runtime.name === 'bun' && !socket.connecting && socket.remoteAddress !== undefined;

function unreachableError(): TypeError {
  return featureUnavailable(
    'keepalive on a socket without a handle',
    `${runtime.label}'s http.Server hands its connections to the program without their socket handle, so neither a descriptor nor its setKeepAlive reaches the kernel`,
  );
}

/**
 * The TCP handle under `socket` (through TLS), or null while the socket has
 * no handle (or, in Bun, no descriptor) yet. Throws for a destroyed socket or
 * a handle that is not TCP.
 *
 * It runs on every enableKeepalive: what Node's connected TCP socket needs is
 * here, everything else in handleOfOther, so that V8 can inline this part
 * into its caller (it weighs a callee's whole bytecode, error messages
 * included, against a budget per compiled function: --trace-turbo-inlining
 * on Node 20 showed it inlined after the split, not before).
 */
export function tcpHandleOf(socket: net.Socket): TcpHandle | null {
  if (socket.destroyed) throw socketClosed();
  const handle = innerHandle(socket);
  if (handle !== null && handle !== undefined && (handle as object).constructor === tcpConstructor) return handle as TcpHandle;
  return handleOfOther(socket, handle);
}

/** tcpHandleOf, for no handle yet, a handle not yet known to be TCP, one that is not, and Bun's. */
function handleOfOther(socket: net.Socket, handle: AnyHandle | null | undefined): TcpHandle | null {
  // Every socket Node made has _handle (null until it has a descriptor); an
  // object made from Socket.prototype without the constructor has none.
  if (handle === undefined) throw invalidArgValue('socket', socket, 'is not a socket made by the net.Socket constructor');
  if (handle === null) {
    if (bunUnreachable(socket)) throw unreachableError();
    return null;
  }
  if (runtime.name === 'bun') {
    const kind = bunHandleKind(socket, handle);
    if (kind === 'unix') throw invalidArgValue('socket', socket, `must be a TCP socket, but it is ${unixSocket}`);
    return kind === 'tcp' ? (handle as TcpHandle) : null;
  }
  if (!isTcp(handle)) {
    const kind = handleClassName(handle);
    throw invalidArgValue('socket', socket, `must be a TCP socket, but it is ${handleKinds[kind] ?? `a ${kind} handle`}`);
  }
  return handle as TcpHandle;
}

/**
 * For code that meets other people's streams (servers, agents, the preload):
 * the TCP handle of a live TCP socket, null for a net.Socket that has no
 * handle yet, undefined for anything else (a Duplex, a Unix socket, TLS over
 * a JS stream, a closed socket). Never throws.
 */
export function tcpHandleIfAny(stream: unknown): TcpHandle | null | undefined {
  if (!(stream instanceof Socket) || stream.destroyed) return undefined;
  const handle = innerHandle(stream);
  if (handle === undefined) return undefined;
  if (handle === null) return bunUnreachable(stream) ? undefined : null;
  if (runtime.name === 'bun') {
    const kind = bunHandleKind(stream, handle);
    return kind === 'tcp' ? (handle as TcpHandle) : kind === 'pending' ? null : undefined;
  }
  return isTcp(handle) ? (handle as TcpHandle) : undefined;
}

/** The descriptor of a connected socket's handle, read now (never cached: numbers get reused). */
export function descriptorOf(handle: TcpHandle): number {
  const fd = handle.fd;
  if (!(fd >= 0)) throw socketClosed();
  return fd;
}

/**
 * The descriptor of a connected TCP socket, for reading its state. Throws the
 * usual errors for non-sockets, closed, non-TCP and still connecting sockets.
 */
export function connectedDescriptorOf(socket: unknown): number {
  assertSocket(socket);
  const handle = tcpHandleOf(socket);
  if (handle === null || socket.connecting) throw connectingError();
  return descriptorOf(handle);
}

/**
 * The socket whose 'connect' event tells that the descriptor exists: the
 * socket itself, or for TLS made over an existing socket, that socket.
 */
export function connectingSocketOf(socket: net.Socket): net.Socket {
  let inner = socket;
  for (let parent = internals(inner)._parent; parent instanceof Socket; parent = internals(inner)._parent) {
    inner = parent;
  }
  return inner;
}

// ---------------------------------------------------------------------------
// The TCP handle's setKeepAlive, and Node's record of it (lib/net.js)

type HandleSetKeepAlive = TcpHandle['setKeepAlive'];

/**
 * Whether Node's setKeepAlive takes interval and count. Node 20 and 22 declare
 * `setKeepAlive(enable, initialDelay)`; Node 24 (from 24.19) and 26 (from
 * 26.4) declare `setKeepAlive(enable, initialDelay, interval, count)` and pass
 * both on to the handle, whose (native) method reports no arity of its own.
 * Bun's declares default parameters (length 0) and Deno's two: neither
 * passes them (their handles would ignore them).
 */
export const nodeSetsIntervalAndCount = Socket.prototype.setKeepAlive.length >= 4;

/** The class's own setKeepAlive (TCPWrap::SetKeepAlive), whatever own property the handle has. */
export const classSetKeepAlive = (handle: TcpHandle): HandleSetKeepAlive =>
  (Object.getPrototypeOf(handle) as TcpHandle).setKeepAlive;

/** EINVAL as libuv returns it (negative), for Bun's handle, which reports failure only as false. */
const UV_EINVAL = -22;

/**
 * The class's setKeepAlive, called with `idleSeconds` (0: only SO_KEEPALIVE),
 * then interval (seconds) and count as given (only where
 * nodeSetsIntervalAndCount). Returns 0 or a negative errno. Node's and Deno's
 * handles take seconds and return libuv's status. Bun's takes milliseconds
 * and returns true or false (false is EINVAL here: Bun says no more); with 0
 * it only turns SO_KEEPALIVE on.
 */
export function callHandleSetKeepAlive(
  handle: TcpHandle,
  enable: boolean,
  idleSeconds: number,
  ...intervalAndCount: Array<number | undefined>
): number {
  const setKeepAlive = classSetKeepAlive(handle) as (this: TcpHandle, ...args: unknown[]) => number | boolean;
  if (runtime.name === 'bun') return setKeepAlive.call(handle, enable, idleSeconds * 1000) === false ? UV_EINVAL : 0;
  return Number(setKeepAlive.call(handle, enable, idleSeconds, ...intervalAndCount));
}

/**
 * Puts `replacement` on the handle as an own property: Node's
 * socket.setKeepAlive calls `this._handle.setKeepAlive(…)`, so every call of
 * Node's and of the program's reaches it. A plain store (not defineProperty):
 * it runs once per socket on the accept and connect paths, and keeps the
 * handle's fast shape. Bun's and Deno's socket.setKeepAlive call
 * `this._handle.setKeepAlive(…)` the same way, and their handles take own
 * properties (Bun's delay in milliseconds: the replacement passes it on as given).
 */
export function overrideHandleSetKeepAlive(handle: TcpHandle, replacement: HandleSetKeepAlive): void {
  if (handle.setKeepAlive !== replacement) (handle as { setKeepAlive: HandleSetKeepAlive }).setKeepAlive = replacement;
}

/** Takes the own setKeepAlive away again: the class's is reached as before. */
export function restoreHandleSetKeepAlive(handle: TcpHandle): void {
  if (Object.prototype.hasOwnProperty.call(handle, 'setKeepAlive')) delete (handle as Partial<TcpHandle>).setKeepAlive;
}

/** The library's own state on a handle, under a symbol of its own (see stateOn). */
const kState = Symbol('tcp-keepalive.state');

/**
 * The library's state on a handle (what hold.ts keeps: the fields it holds),
 * kept on the handle itself under the library's symbol beside its own
 * setKeepAlive: one property load on every call, where a WeakMap lookup cost
 * more than the rest of the hold. Handles are never proxies (unlike an http2
 * session's socket), and take own properties in Node, Bun and Deno alike.
 */
export const stateOn = <State extends object>(handle: TcpHandle): State | undefined =>
  (handle as unknown as { [kState]?: State })[kState];

/** Puts the library's state on a handle, once: later changes are made to the state object, so the handle keeps its shape. */
export function setStateOn(handle: TcpHandle, state: object): void {
  (handle as unknown as { [kState]?: object })[kState] = state;
}

/** Node's record of setKeepAlive on a socket: whether on, and the delay in milliseconds (as the record can hold it). */
export interface NodeRecord {
  enabled: boolean;
  delayMs: number;
}

/**
 * lib/net.js keeps that record on each socket under two symbols
 * (kSetKeepAlive, kSetKeepAliveInitialDelay). It uses it to skip a call that
 * repeats the last one, and replays it on the handle of each new connection.
 * Found once, by description, on the first socket that has them. Undefined
 * until found. Bun and Deno keep it under the same two descriptions.
 */
let recordSymbols: { enabled: symbol; delay: symbol } | undefined;

/** The record's delay is in ms in Bun (~~ms); Node and Deno keep whole seconds (~~(ms / 1000)). */
const recordedInMs = runtime.name === 'bun';
const recordUnitMs = recordedInMs ? 1 : 1000;

/** The record's symbols, found on the first socket that has them (findRecordSymbols): small enough for V8 to inline. */
const symbolsOf = (socket: net.Socket): typeof recordSymbols => recordSymbols ?? findRecordSymbols(socket);

function findRecordSymbols(socket: net.Socket): typeof recordSymbols {
  let enabled: symbol | undefined;
  let delay: symbol | undefined;
  for (const symbol of Object.getOwnPropertySymbols(socket)) {
    if (symbol.description === 'kSetKeepAlive') enabled = symbol;
    else if (symbol.description === 'kSetKeepAliveInitialDelay') delay = symbol;
  }
  if (enabled !== undefined && delay !== undefined) recordSymbols = { enabled, delay };
  return recordSymbols;
}

/**
 * Node's record now, or undefined where it cannot be found (a Node that keeps
 * it elsewhere). An http2 session's socket that is no longer bound throws on
 * any access: that is undefined too.
 */
export function readNodeRecord(socket: net.Socket): NodeRecord | undefined {
  try {
    const symbols = symbolsOf(socket);
    if (symbols === undefined) return undefined;
    const fields = socket as unknown as Record<symbol, unknown>;
    return { enabled: fields[symbols.enabled] === true, delayMs: (Number(fields[symbols.delay]) || 0) * recordUnitMs };
  } catch {
    return undefined;
  }
}

/**
 * Whether Node's record says exactly this (`delayMs` a whole number of the
 * record's unit, as readNodeRecord gives it), without allocating (this runs
 * on every enableKeepalive); undefined where the record cannot be found.
 */
export function nodeRecordIs(socket: net.Socket, enabled: boolean, delayMs: number): boolean | undefined {
  try {
    const symbols = symbolsOf(socket);
    if (symbols === undefined) return undefined;
    const fields = socket as unknown as Record<symbol, unknown>;
    return (fields[symbols.enabled] === true) === enabled && (Number(fields[symbols.delay]) || 0) * recordUnitMs === delayMs;
  } catch {
    return undefined;
  }
}

/**
 * nodeRecordIs, then writeNodeRecord where the record differs, in one step:
 * 'same', 'written', or 'not found' (as those two say). A repeated
 * enableKeepalive does this on every call.
 */
export function updateNodeRecord(socket: net.Socket, enabled: boolean, delayMs: number): 'same' | 'written' | 'not found' {
  try {
    const symbols = symbolsOf(socket);
    if (symbols === undefined) return 'not found';
    const fields = socket as unknown as Record<symbol, unknown>;
    const delay = recordedInMs ? Math.trunc(delayMs) : Math.trunc(delayMs / 1000);
    if ((fields[symbols.enabled] === true) === enabled && (Number(fields[symbols.delay]) || 0) === delay) return 'same';
    fields[symbols.enabled] = enabled;
    fields[symbols.delay] = delay;
    return 'written';
  } catch {
    return 'not found';
  }
}

/**
 * Writes Node's record alone: no handle is called (a new one would get it at
 * connect). Returns false where the record cannot be found. `delayMs` is
 * truncated to the record's unit, as setKeepAlive truncates it.
 */
export function writeNodeRecord(socket: net.Socket, enabled: boolean, delayMs: number): boolean {
  try {
    const symbols = symbolsOf(socket);
    if (symbols === undefined) return false;
    const fields = socket as unknown as Record<symbol, unknown>;
    fields[symbols.enabled] = enabled;
    fields[symbols.delay] = recordedInMs ? Math.trunc(delayMs) : Math.trunc(delayMs / 1000);
    return true;
  } catch {
    // An http2 session's socket that is no longer bound.
    return false;
  }
}

const nodeSetKeepAlive = Socket.prototype.setKeepAlive;

/**
 * Node's own socket.setKeepAlive, which updates its record and (unless the
 * call repeats the record) calls the handle's setKeepAlive. Errors of an
 * unbound http2 socket are swallowed: only bookkeeping is at stake.
 */
export function callNodeSetKeepAlive(socket: net.Socket, enabled: boolean, delayMs: number): void {
  try {
    nodeSetKeepAlive.call(socket, enabled, delayMs);
  } catch {
    // As above.
  }
}

// ---------------------------------------------------------------------------
// Servers (lib/net.js: Server, onconnection; lib/internal/cluster)

interface ServerInternals {
  /**
   * A TCP or Pipe handle; in a cluster worker under round-robin, a plain
   * object without a descriptor. Bun: a plain object tagged [object Listener]
   * with `fd`, and `unix` (the path of a Unix socket, else undefined).
   */
  readonly _handle: { readonly fd?: number; readonly unix?: unknown; constructor?: { name?: string } } | null;
  /** Node's own server option: setKeepAlive on every accepted socket before 'connection'. */
  readonly keepAlive?: boolean;
}

const serverInternals = (server: net.Server): ServerInternals => server as unknown as ServerInternals;

/** Whether `server`'s own handle accepted `socket` (not handed to it with emit('connection')). Bun and Deno set it too. */
export const acceptedBy = (socket: net.Socket, server: net.Server): boolean => internals(socket).server === server;

/** Whether Node calls setKeepAlive on each accepted socket itself (net.createServer({ keepAlive: true })); Bun and Deno likewise. */
export const serverSetsKeepAlive = (server: net.Server): boolean => serverInternals(server).keepAlive === true;

/** What a listening server's handle is: TCP with its descriptor, another kind (a Pipe), or none of its own. */
export type ListenerHandle = { kind: 'tcp'; fd: number } | { kind: 'other'; name: string } | { kind: 'remote' };

let clusterWorker: boolean | undefined;

/** Node deletes NODE_UNIQUE_ID before user code runs: cluster itself is asked (loaded once, on the first listen). */
function isClusterWorker(): boolean {
  clusterWorker ??= (require('node:cluster') as { isWorker: boolean }).isWorker;
  return clusterWorker;
}

/**
 * A cluster worker's server under round-robin holds a plain object without a
 * descriptor: the primary accepts and sends each connection over. A worker
 * under the "none" policy holds the listening socket it shares with every
 * other worker; setting options there would configure its siblings too, so
 * workers are treated as having no listener of their own. Deno's listening
 * handle (TCPWrap, PipeWrap) has no descriptor: each connection is written.
 */
export function listenerHandleOf(server: net.Server): ListenerHandle | null {
  const handle = serverInternals(server)._handle;
  if (handle === null) return null;
  const name = runtime.name === 'bun' ? Object.prototype.toString.call(handle).slice(8, -1) : handleClassName(handle);
  if (runtime.name === 'bun' && name === 'Listener') {
    if (handle.unix !== undefined) return { kind: 'other', name: 'Unix' };
  } else if (handleKinds[name] === unixSocket) return { kind: 'other', name };
  else if (name !== tcpClassName) return { kind: 'remote' };
  if (isClusterWorker()) return { kind: 'remote' };
  const fd = handle.fd;
  return fd !== undefined && fd >= 0 ? { kind: 'tcp', fd } : { kind: 'remote' };
}

/**
 * Bun's http.Server (and https.Server) is not a net.Server: Bun accepts its
 * connections itself and hands the program sockets without a handle (see
 * bunUnreachable). Returns the error for `target` if it is one, else null.
 * Node's and Deno's http.Server are net.Servers and never get here.
 */
export function unreachableServerError(target: unknown): TypeError | null {
  if (runtime.name !== 'bun' || typeof target !== 'object' || target === null) return null;
  const { Server: HttpServer } = require('node:http') as typeof http;
  if (!(target instanceof HttpServer) || target instanceof Server) return null;
  return featureUnavailable(
    "keepalive on the connections of an http.Server",
    `${runtime.label}'s http.Server is not a net.Server: it accepts connections itself and gives the program no socket handle or descriptor for them`,
  );
}

// ---------------------------------------------------------------------------
// Agents (lib/_http_agent.js)

/** What an agent calls to make each socket: returns it, or passes it to the callback (custom agents). */
export type CreateConnection = (options: unknown, callback?: (error: Error | null, socket?: unknown) => void) => unknown;

interface AgentInternals {
  /** On Agent.prototype (net.createConnection; https: tls.connect), unless the program set its own. */
  createConnection: CreateConnection;
  /** Sockets in use and pooled, by origin: documented, but their lists' shape is Node's. */
  readonly sockets?: NodeJS.ReadOnlyDict<unknown[]>;
  readonly freeSockets?: NodeJS.ReadOnlyDict<unknown[]>;
}

const agentInternals = (agent: http.Agent): AgentInternals => agent as unknown as AgentInternals;

/** Every socket the agent holds now, in use and pooled (any kind of stream). */
export function agentSockets(agent: http.Agent): unknown[] {
  const { sockets, freeSockets } = agentInternals(agent);
  return [...Object.values(sockets ?? {}), ...Object.values(freeSockets ?? {})].flatMap((list) =>
    Array.isArray(list) ? (list as unknown[]) : [],
  );
}

/** The createConnection the agent calls now (its own property, or the class's). */
export const agentCreateConnection = (agent: http.Agent): CreateConnection => agentInternals(agent).createConnection;

/** The agent's own createConnection property, if it has one (to put back later). */
export const ownCreateConnection = (agent: http.Agent): PropertyDescriptor | undefined =>
  Object.getOwnPropertyDescriptor(agent, 'createConnection');

/** Puts `createConnection` on the agent as its own property; `previous` (from ownCreateConnection) puts that back, undefined removes ours. */
export function setCreateConnection(agent: http.Agent, createConnection: CreateConnection | PropertyDescriptor | undefined): void {
  if (typeof createConnection === 'function') {
    Object.defineProperty(agent, 'createConnection', { value: createConnection, configurable: true, writable: true });
  } else if (createConnection !== undefined) Object.defineProperty(agent, 'createConnection', createConnection);
  else delete (agent as unknown as Partial<AgentInternals>).createConnection;
}

// ---------------------------------------------------------------------------
// The methods the preload wraps

/**
 * Wraps Socket.prototype.connect: every way of connecting (net.connect,
 * new Socket().connect(), tls.connect, http agents, and fetch through
 * undici's net.connect) ends in it, with its overloads' arguments as given.
 * `before` runs first, `after` once connect returned (the socket then has its
 * handle, connecting).
 */
export function wrapSocketConnect(before: (socket: net.Socket) => void, after: (socket: net.Socket) => void): void {
  const connect = Socket.prototype.connect as (this: net.Socket, ...args: unknown[]) => net.Socket;
  Socket.prototype.connect = function connectWithKeepalive(this: net.Socket, ...args: unknown[]) {
    before(this);
    const result = connect.apply(this, args);
    after(this);
    return result;
  } as typeof Socket.prototype.connect;
}

/** Wraps Server.prototype.listen (every server class inherits it): `before` runs first. */
export function wrapServerListen(before: (server: net.Server) => void): void {
  const listen = Server.prototype.listen as (this: net.Server, ...args: unknown[]) => net.Server;
  Server.prototype.listen = function listenWithKeepalive(this: net.Server, ...args: unknown[]) {
    before(this);
    return listen.apply(this, args);
  } as typeof Server.prototype.listen;
}

/**
 * Wraps Server.prototype.emit: Node emits 'listening' and 'connection'
 * (onconnection, and emit('connection', socket) of code handing sockets over)
 * through it, and no listener shows in listenerCount() or eventNames().
 * `hook` sees those two events before the listeners; arguments pass through.
 */
export function wrapServerEmit(hook: (server: net.Server, event: 'connection' | 'listening', argument: unknown) => void): void {
  const emit = Server.prototype.emit;
  Server.prototype.emit = function emitWithKeepalive(this: net.Server, event: string | symbol) {
    // eslint-disable-next-line prefer-rest-params
    if (event === 'connection' || event === 'listening') hook(this, event, arguments[1]);
    // eslint-disable-next-line prefer-rest-params
    return emit.apply(this, arguments as unknown as Parameters<typeof emit>);
  } as typeof emit;
}

/**
 * Bun only: wraps http.Server.prototype.listen (Bun's own; https.Server
 * inherits it), whose connections no wrapper of net's can reach (see
 * unreachableServerError): `warn` gets that error on each listen.
 */
export function wrapUnreachableServerListen(warn: (error: TypeError) => void): void {
  if (runtime.name !== 'bun') return;
  const prototype = (require('node:http') as typeof http).Server.prototype as unknown as { listen: (...args: unknown[]) => unknown };
  const listen = prototype.listen;
  prototype.listen = function listenWithWarning(this: unknown, ...args: unknown[]) {
    const error = unreachableServerError(this);
    if (error !== null) warn(error);
    return listen.apply(this, args);
  };
}

/** Marks Socket.prototype once: a second copy of the preload (another install of the package) does nothing. */
export function markPreloadInstalled(): boolean {
  const installed = Symbol.for('tcp-keepalive.register');
  const prototype = Socket.prototype as unknown as Record<symbol, boolean>;
  if (prototype[installed]) return false;
  Object.defineProperty(prototype, installed, { value: true });
  return true;
}
