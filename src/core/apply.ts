// Applying settings to one socket: now if it is connected, on 'connect' if not.
import type * as net from 'node:net';
import { backend, ON, type Enable } from './backend';
import { handleState, hold, holdAgain, restoreProgramRecord, type HandleState } from './hold';
import { fillValues, mergeValues, type KernelValues } from './options';
import { connectingSocketOf, stateOn, tcpHandleOf, type TcpHandle } from './node-internals';

/** Writes the values and SO_KEEPALIVE to a connected socket, then holds them through Node's calls. */
export function apply(socket: net.Socket, handle: TcpHandle, values: KernelValues, enable: Enable): void {
  backend().set(handle, values, enable);
  hold(socket, handle, values, enable);
}

/** Sockets that put back the program's record of setKeepAlive when they close. */
const restoring = new WeakSet<net.Socket>();

/**
 * apply, for a socket that may be connected again later (socket.connect()
 * after it closed). Node re-applies its record of setKeepAlive on a new
 * connection, which would give a hybrid of our idle and libuv's interval and
 * count; so when the connection closes (before the program's own 'close'
 * listeners, which may connect again), the record goes back to what the
 * program itself had asked Node for, and the new connection starts as it
 * would without this library.
 */
function applyUntilClose(socket: net.Socket, handle: TcpHandle, values: KernelValues, enable: Enable): void {
  apply(socket, handle, values, enable);
  if (enable !== ON) return;
  // The handle remembers the last socket it did this for: no WeakSet lookup on a repeated call.
  // (enableSocket takes that repeated call in a straight line: what is added here for it must go there too.)
  const state = handleState(handle);
  if (state.restoringFor === socket) return;
  state.restoringFor = socket;
  if (restoring.has(socket)) return;
  restoring.add(socket);
  // `this`, the emitter itself: an http2 session's socket is a proxy that
  // throws once the session has ended, as it has by 'close'.
  socket.prependOnceListener('close', function (this: net.Socket) {
    restoring.delete(socket);
    restoreProgramRecord(socket, this);
  });
}

/** What happens when settings deferred to 'connect' cannot be applied. */
export type DeferredFailure = (socket: net.Socket, error: Error) => void;

/**
 * By default the socket is destroyed with the error: keepalive is never
 * silently missing. (An http2 session's socket refuses destroy(): the
 * failure is then a warning.)
 */
const destroyWithError: DeferredFailure = (socket, error) => {
  try {
    socket.destroy(error);
  } catch {
    process.emitWarning(`keepalive could not be set: ${error.message}`, { code: 'TCP_KEEPALIVE_CONNECT' });
  }
};

/**
 * For code that meets other people's sockets (agents, the preload): a socket
 * that turned out not to be TCP is left alone; a failed syscall is reported
 * as a warning with `code`, and the connection goes on.
 */
export function warnOnFailure(code: string, what: string): DeferredFailure {
  return (_socket, error) => {
    if ((error as { code?: unknown }).code === 'ERR_INVALID_ARG_VALUE') return;
    process.emitWarning(`keepalive could not be set on ${what}: ${error.message}`, { code });
  };
}

/** Settings asked for while the socket was connecting, applied on 'connect'. */
interface Deferred {
  values: KernelValues;
  enable: Enable;
  onFailure: DeferredFailure;
  clearOnClose: boolean;
  /** The handle whose connection they wait for; null until the socket has one. */
  handle: TcpHandle | null;
  readonly onConnect: (this: net.Socket) => void;
  readonly onClose: (this: net.Socket) => void;
}

const deferred = new WeakMap<net.Socket, Deferred>();

/** How settings of a later call combine with those waiting: a call of the program's overrides, the preload's only fills gaps. */
export type Precedence = 'override' | 'fill';

/**
 * Records the settings of a socket without a descriptor yet. They are applied
 * by a 'connect' listener placed before any of the user's; if the socket
 * closes first, both listeners go away and nothing is applied. Settings left
 * waiting by an earlier connection attempt (a retry started from the
 * program's own 'close' listener) are dropped, not merged.
 *
 * The listeners reach the socket through `this` (the emitter itself): an
 * http2 session's socket is a proxy that throws once the session has ended.
 */
function defer(socket: net.Socket, handle: TcpHandle | null, values: KernelValues, enable: Enable, onFailure: DeferredFailure, clearOnClose: boolean, precedence: Precedence): void {
  const target = connectingSocketOf(socket);
  const waiting = deferred.get(target);
  if (waiting && (waiting.handle === null || handle === null || waiting.handle === handle)) {
    waiting.handle ??= handle;
    if (precedence === 'fill') {
      fillValues(waiting.values, values);
      return;
    }
    mergeValues(waiting.values, values);
    waiting.enable = enable;
    waiting.onFailure = onFailure;
    waiting.clearOnClose ||= clearOnClose;
    return;
  }
  if (waiting) deferred.delete(target);
  const entry: Deferred = {
    values: [...values],
    enable,
    onFailure,
    clearOnClose,
    handle,
    onConnect() {
      this.removeListener('close', entry.onClose);
      if (deferred.get(target) === entry) deferred.delete(target);
      // The socket asked for, unless it is a proxy of the emitter (http2): then the emitter.
      const configured = socket === target ? this : socket;
      try {
        const connected = tcpHandleOf(configured);
        if (connected === null) return;
        if (entry.clearOnClose) applyUntilClose(configured, connected, entry.values, entry.enable);
        else apply(configured, connected, entry.values, entry.enable);
      } catch (error) {
        entry.onFailure(configured, error as Error);
      }
    },
    onClose() {
      this.removeListener('connect', entry.onConnect);
      if (deferred.get(target) === entry) deferred.delete(target);
    },
  };
  deferred.set(target, entry);
  target.prependOnceListener('connect', entry.onConnect);
  target.once('close', entry.onClose);
}

/**
 * Applies now to a connected socket, or on 'connect' to one still connecting.
 * Throws on bad sockets. The preload passes `clearOnClose` false (it
 * configures every connection a socket makes anyway, and puts the program's
 * record back itself) and `precedence` 'fill' (the program's own calls win).
 */
export function configureSocket(
  socket: net.Socket,
  values: KernelValues,
  enable: Enable,
  onFailure: DeferredFailure = destroyWithError,
  clearOnClose = true,
  precedence: Precedence = 'override',
): void {
  const handle = tcpHandleOf(socket);
  if (handle === null || socket.connecting) defer(socket, handle, values, enable, onFailure, clearOnClose, precedence);
  else if (clearOnClose) applyUntilClose(socket, handle, values, enable);
  else apply(socket, handle, values, enable);
}

/**
 * enableKeepalive on a socket: configureSocket with its defaults. A call
 * that repeats on a connected socket whose handle holds already for this
 * socket (its 'close' hook in place) takes a straight line, doing what
 * applyUntilClose would then do: write, then hold. Any other call goes the
 * general way (which finds the handle again: one property chain, on a first
 * call or a socket still connecting).
 */
export function enableSocket(socket: net.Socket, values: KernelValues): void {
  const handle = tcpHandleOf(socket);
  if (handle !== null && !socket.connecting) {
    const state = stateOn<HandleState>(handle);
    if (state !== undefined && state.restoringFor === socket && state.held !== undefined) {
      backend().set(handle, values, ON);
      holdAgain(socket, handle, state, values);
      return;
    }
  }
  configureSocket(socket, values, ON);
}
