// Where Node keeps a socket's descriptor and its keepalive bookkeeping: the
// private fields of net.Socket, tls.TLSSocket and net.Server read here (and in
// hold.ts, which patches the TCP handle), each assumption written beside it.
import * as net from 'node:net';
import { connectingError, invalidArgType, invalidArgValue, socketClosed } from './errors';

/** The parts of Node's TCP handle (lib/net.js, src/tcp_wrap.cc) this library uses. */
export interface TcpHandle {
  /** The descriptor; -1 until the socket is bound or connecting. */
  readonly fd: number;
  /** Seconds; Node 24.19+ and 26.4+ also pass interval (seconds) and count. */
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

interface ServerInternals {
  /** A TCP or Pipe handle; in a cluster worker under round-robin, a plain object without a descriptor. */
  readonly _handle: { readonly fd?: number; constructor?: { name?: string } } | null;
  /** Node's own server option: setKeepAlive on every accepted socket before 'connection'. */
  readonly keepAlive?: boolean;
}

const internals = (socket: net.Socket): SocketInternals => socket as unknown as SocketInternals;
const serverInternals = (server: net.Server): ServerInternals => server as unknown as ServerInternals;

/** Throws ERR_INVALID_ARG_TYPE unless `value` is a net.Socket (TLS sockets and http2 session sockets are). */
export function assertSocket(value: unknown, name = 'socket'): asserts value is net.Socket {
  if (!(value instanceof net.Socket)) throw invalidArgType(name, 'an instance of net.Socket', value);
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

const kindOf = (handle: object): string => (handle.constructor as { name?: string } | undefined)?.name ?? 'unknown';

/** The constructor of the last handle found to be Node's TCP handle. */
let tcpConstructor: unknown;

function isTcp(handle: AnyHandle): boolean {
  const constructor = (handle as object).constructor;
  // Comparing the constructor is much cheaper than reading its name, and this
  // runs on every call; the name decides only for a constructor not seen yet.
  if (constructor === tcpConstructor) return true;
  if (kindOf(handle) !== 'TCP') return false;
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
    const kind = kindOf(handle);
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
  if (!(stream instanceof net.Socket) || stream.destroyed) return undefined;
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
  for (let parent = internals(inner)._parent; parent instanceof net.Socket; parent = internals(inner)._parent) {
    inner = parent;
  }
  return inner;
}

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
  const name = kindOf(handle);
  if (name === 'Pipe') return { kind: 'other', name };
  if (name !== 'TCP' || isClusterWorker()) return { kind: 'remote' };
  const fd = handle.fd;
  return fd !== undefined && fd >= 0 ? { kind: 'tcp', fd } : { kind: 'remote' };
}
