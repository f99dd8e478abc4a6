// The one module that touches Node's internals: the private fields of
// net.Socket, tls.TLSSocket, net.Server and http.Agent this library reads or
// writes, the TCP handle's own methods, Node's record of setKeepAlive, and the
// prototype methods the preload wraps. Each assumption is written beside the
// code that makes it; test/node-internals.test.ts checks every one of them on
// Node itself, and CI runs it on Node 20, 22, 24 and 26, so a Node major that
// moves one fails there first, by name.
import type * as net from 'node:net';
import { Server, Socket } from 'node:net';
import type * as http from 'node:http';
import { connectingError, invalidArgType, invalidArgValue, socketClosed } from './errors';

// ---------------------------------------------------------------------------
// Sockets and their TCP handles (lib/net.js, src/tcp_wrap.cc, src/stream_wrap.cc)

/** The parts of Node's TCP handle this library uses. */
export interface TcpHandle {
  /** The descriptor; -1 until the socket is bound or connecting. */
  readonly fd: number;
  /** Seconds; Node 24.19+ and 26.4+ also pass interval (seconds) and count. Returns 0 or a libuv error. */
  setKeepAlive(enable: boolean, delaySeconds: number, ...intervalAndCount: number[]): number;
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

const handleKinds: Readonly<Record<string, string>> = {
  Pipe: 'a Unix domain socket or named pipe',
  JSStream: 'a JavaScript stream, not an operating-system socket',
};

/** The handle that owns the descriptor: the socket's own, or under TLS the one it encrypts; undefined if it has none at all. */
function innerHandle(socket: net.Socket): AnyHandle | null | undefined {
  const handle = internals(socket)._handle;
  if (handle === null || handle === undefined) return handle;
  return handle._parent ?? handle;
}

/** A handle's class name (TCP, Pipe, JSStream, TLSWrap): Node exports none of these classes. */
const handleClassName = (handle: object): string => (handle.constructor as { name?: string } | undefined)?.name ?? 'unknown';

/** The constructor of the last handle found to be Node's TCP handle. */
let tcpConstructor: unknown;

function isTcp(handle: AnyHandle): boolean {
  const constructor = (handle as object).constructor;
  // Comparing the constructor is much cheaper than reading its name, and this
  // runs on every call; the name decides only for a constructor not seen yet.
  if (constructor === tcpConstructor) return true;
  if (handleClassName(handle) !== 'TCP') return false;
  tcpConstructor = constructor;
  return true;
}

/**
 * The TCP handle under `socket` (through TLS), or null while the socket has
 * no handle yet. Throws for a destroyed socket or a handle that is not TCP.
 */
export function tcpHandleOf(socket: net.Socket): TcpHandle | null {
  if (socket.destroyed) throw socketClosed();
  const handle = innerHandle(socket);
  // Every socket Node made has _handle (null until it has a descriptor); an
  // object made from Socket.prototype without the constructor has none.
  if (handle === undefined) throw invalidArgValue('socket', socket, 'is not a socket made by the net.Socket constructor');
  if (handle === null) return null;
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
  if (handle === null || handle === undefined) return handle;
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
 */
export const nodeSetsIntervalAndCount = Socket.prototype.setKeepAlive.length >= 4;

/** The class's own setKeepAlive (TCPWrap::SetKeepAlive), whatever own property the handle has. */
export const classSetKeepAlive = (handle: TcpHandle): HandleSetKeepAlive =>
  (Object.getPrototypeOf(handle) as TcpHandle).setKeepAlive;

/**
 * Puts `replacement` on the handle as an own property: Node's
 * socket.setKeepAlive calls `this._handle.setKeepAlive(…)`, so every call of
 * Node's and of the program's reaches it. A plain store (not defineProperty):
 * it runs once per socket on the accept and connect paths, and keeps the
 * handle's fast shape.
 */
export function overrideHandleSetKeepAlive(handle: TcpHandle, replacement: HandleSetKeepAlive): void {
  if (handle.setKeepAlive !== replacement) (handle as { setKeepAlive: HandleSetKeepAlive }).setKeepAlive = replacement;
}

/** Takes the own setKeepAlive away again: the class's is reached as before. */
export function restoreHandleSetKeepAlive(handle: TcpHandle): void {
  if (Object.prototype.hasOwnProperty.call(handle, 'setKeepAlive')) delete (handle as Partial<TcpHandle>).setKeepAlive;
}

/** Node's record of setKeepAlive on a socket: whether on, and the delay in seconds. */
export interface NodeRecord {
  enabled: boolean;
  delaySeconds: number;
}

/**
 * lib/net.js keeps that record on each socket under two symbols
 * (kSetKeepAlive, kSetKeepAliveInitialDelay). It uses it to skip a call that
 * repeats the last one, and replays it on the handle of each new connection.
 * Found once, by description, on the first socket that has them. Undefined
 * until found.
 */
let recordSymbols: { enabled: symbol; delay: symbol } | undefined;

function symbolsOf(socket: net.Socket): typeof recordSymbols {
  if (recordSymbols !== undefined) return recordSymbols;
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
    return { enabled: fields[symbols.enabled] === true, delaySeconds: Number(fields[symbols.delay]) || 0 };
  } catch {
    return undefined;
  }
}

/**
 * Whether Node's record says exactly this, without allocating (this runs on
 * every enableKeepalive); undefined where the record cannot be found.
 */
export function nodeRecordIs(socket: net.Socket, enabled: boolean, delaySeconds: number): boolean | undefined {
  try {
    const symbols = symbolsOf(socket);
    if (symbols === undefined) return undefined;
    const fields = socket as unknown as Record<symbol, unknown>;
    return (fields[symbols.enabled] === true) === enabled && (Number(fields[symbols.delay]) || 0) === delaySeconds;
  } catch {
    return undefined;
  }
}

/**
 * Writes Node's record alone: no handle is called (a new one would get it at
 * connect). Returns false where the record cannot be found.
 */
export function writeNodeRecord(socket: net.Socket, enabled: boolean, delaySeconds: number): boolean {
  try {
    const symbols = symbolsOf(socket);
    if (symbols === undefined) return false;
    const fields = socket as unknown as Record<symbol, unknown>;
    fields[symbols.enabled] = enabled;
    fields[symbols.delay] = delaySeconds;
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
  /** A TCP or Pipe handle; in a cluster worker under round-robin, a plain object without a descriptor. */
  readonly _handle: { readonly fd?: number; constructor?: { name?: string } } | null;
  /** Node's own server option: setKeepAlive on every accepted socket before 'connection'. */
  readonly keepAlive?: boolean;
}

const serverInternals = (server: net.Server): ServerInternals => server as unknown as ServerInternals;

/** Whether `server`'s own handle accepted `socket` (not handed to it with emit('connection')). */
export const acceptedBy = (socket: net.Socket, server: net.Server): boolean => internals(socket).server === server;

/** Whether Node calls setKeepAlive on each accepted socket itself (net.createServer({ keepAlive: true })). */
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
 * workers are treated as having no listener of their own.
 */
export function listenerHandleOf(server: net.Server): ListenerHandle | null {
  const handle = serverInternals(server)._handle;
  if (handle === null) return null;
  const name = handleClassName(handle);
  if (name === 'Pipe') return { kind: 'other', name };
  if (name !== 'TCP' || isClusterWorker()) return { kind: 'remote' };
  const fd = handle.fd;
  return fd !== undefined && fd >= 0 ? { kind: 'tcp', fd } : { kind: 'remote' };
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

/** Marks Socket.prototype once: a second copy of the preload (another install of the package) does nothing. */
export function markPreloadInstalled(): boolean {
  const installed = Symbol.for('tcp-keepalive.register');
  const prototype = Socket.prototype as unknown as Record<symbol, boolean>;
  if (prototype[installed]) return false;
  Object.defineProperty(prototype, installed, { value: true });
  return true;
}
