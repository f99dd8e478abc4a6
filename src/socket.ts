// Where a Node socket keeps its file descriptor, and how Node's own
// setKeepAlive calls are kept from undoing ours.
import * as net from 'node:net';
import { connectingError, invalidArgType, invalidArgValue, socketClosed } from './errors';

/** The parts of Node's TCP handle (lib/net.js, src/tcp_wrap.cc) this library uses. */
export interface TcpHandle {
  readonly fd: number;
  setKeepAlive(enable: boolean, delaySeconds: number): number;
}

interface AnyHandle {
  readonly fd?: number;
  /** Set on a TLSWrap: the handle it encrypts (TCP, Pipe or JSStream). */
  readonly _parent?: AnyHandle;
  setKeepAlive?: (enable: boolean, delaySeconds: number) => number;
}

/** The private fields of net.Socket (and tls.TLSSocket) read here. */
interface SocketInternals {
  readonly _handle: AnyHandle | null;
  /** tls.TLSSocket made over an existing socket: that socket. */
  readonly _parent?: unknown;
}

const internals = (socket: net.Socket): SocketInternals => socket as unknown as SocketInternals;

/** Throws ERR_INVALID_ARG_TYPE unless `value` is a net.Socket (TLS sockets and http2 session sockets are). */
export function assertSocket(value: unknown, name = 'socket'): asserts value is net.Socket {
  if (!(value instanceof net.Socket)) throw invalidArgType(name, 'an instance of net.Socket', value);
}

const handleKinds: Readonly<Record<string, string>> = {
  Pipe: 'a Unix domain socket or named pipe',
  JSStream: 'a JavaScript stream, not an operating-system socket',
};

/** The handle that owns the descriptor: the socket's own, or under TLS the one it encrypts. */
function innerHandle(socket: net.Socket): AnyHandle | null {
  const handle = internals(socket)._handle;
  // Every socket Node made has _handle (null until it has a descriptor); an
  // object made from Socket.prototype without the constructor has none.
  if (handle === undefined) throw invalidArgValue('socket', socket, 'is not a socket made by the net.Socket constructor');
  if (handle === null) return null;
  return handle._parent ?? handle;
}

const kindOf = (handle: AnyHandle): string => (handle as object).constructor.name;

/** False for a socket that is known not to be TCP (a Unix domain socket, TLS over a JS stream). */
export function mayBeTcp(socket: net.Socket): boolean {
  const handle = innerHandle(socket);
  return handle === null || kindOf(handle) === 'TCP';
}

/** The constructor of the last handle found to be Node's TCP handle. */
let tcpConstructor: unknown;

/**
 * The TCP handle under `socket` (through TLS), or null while the socket has
 * no handle yet. Throws for a destroyed socket or a handle that is not TCP.
 */
export function tcpHandleOf(socket: net.Socket): TcpHandle | null {
  if (socket.destroyed) throw socketClosed();
  const handle = innerHandle(socket);
  if (handle === null) return null;
  const constructor = (handle as object).constructor;
  // Comparing the constructor is much cheaper than reading its name, and this
  // runs on every call; the name decides only for a constructor not seen yet.
  if (constructor !== tcpConstructor) {
    const kind = kindOf(handle);
    if (kind !== 'TCP') {
      const what = handleKinds[kind] ?? `a ${kind} handle`;
      throw invalidArgValue('socket', socket, `must be a TCP socket, but it is ${what}`);
    }
    tcpConstructor = constructor;
  }
  return handle as TcpHandle;
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

/**
 * Replaces the handle's setKeepAlive while our settings hold. Node calls it on
 * connect, on accepted sockets and (through http.Agent) whenever a socket
 * returns to the pool; each real call would reset idle, interval (1 s) and
 * count (10). Turning keepalive on again is a no-op: our values are in place.
 * Turning it off goes through and ends the override.
 */
function stickySetKeepAlive(this: TcpHandle, enable: boolean, delaySeconds: number): number {
  if (enable) return 0;
  releaseSettings(this);
  return this.setKeepAlive(false, delaySeconds);
}

const nodeSetKeepAlive = net.Socket.prototype.setKeepAlive;
const keepHandleSettings = (): number => 0;

/**
 * Brings Node's own record of the keepalive state (which it uses to skip
 * repeated setKeepAlive calls) in line with the kernel, without a syscall.
 */
function recordInNode(socket: net.Socket, handle: TcpHandle, enabled: boolean, idleMs: number): void {
  const own = Object.getOwnPropertyDescriptor(handle, 'setKeepAlive');
  Object.defineProperty(handle, 'setKeepAlive', { value: keepHandleSettings, configurable: true, writable: true });
  try {
    nodeSetKeepAlive.call(socket, enabled, idleMs);
  } catch {
    // Only Node's bookkeeping: the kernel already holds the settings.
  } finally {
    if (own) Object.defineProperty(handle, 'setKeepAlive', own);
    else delete (handle as Partial<TcpHandle>).setKeepAlive;
  }
}

/** Makes the settings just applied to `handle` survive Node's setKeepAlive calls. */
export function holdSettings(socket: net.Socket, handle: TcpHandle, idleMs: number): void {
  // Already held: Node's record says on (only setKeepAlive(false) could change
  // that, and it ends the hold), so there is nothing to do on this hot path.
  if (handle.setKeepAlive === stickySetKeepAlive) return;
  // A plain store (not defineProperty): it runs once per socket, on the accept
  // and connect paths, and a store is the cheaper way to add the property.
  (handle as { setKeepAlive: TcpHandle['setKeepAlive'] }).setKeepAlive = stickySetKeepAlive;
  // Node's record now says on. Its call reaches stickySetKeepAlive, which makes
  // no syscall for "on"; no property is deleted from the handle, so it keeps
  // its fast shape for the socket's I/O (a delete would make it a dictionary).
  try {
    nodeSetKeepAlive.call(socket, true, idleMs);
  } catch {
    // Only Node's bookkeeping: the kernel already holds the settings.
  }
}

/** Ends holdSettings: Node's setKeepAlive calls reach the kernel again. */
export function releaseSettings(handle: TcpHandle): void {
  if (Object.prototype.hasOwnProperty.call(handle, 'setKeepAlive')) {
    delete (handle as Partial<TcpHandle>).setKeepAlive;
  }
}

/** Records in Node that keepalive is off, after disableKeepalive turned it off. */
export function recordDisabled(socket: net.Socket, handle: TcpHandle): void {
  releaseSettings(handle);
  recordInNode(socket, handle, false, 0);
}
