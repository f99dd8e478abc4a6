// Applying settings to one socket: now if it is connected, on 'connect' if not.
import type * as net from 'node:net';
import { mergeValues, ON, writeToHandle, type Enable } from './backend';
import { forgetInNode, hold } from './hold';
import type { KernelValues } from './options';
import { connectingSocketOf, tcpHandleOf, type TcpHandle } from './socket';

export { mergeValues, ON, OFF, throwIfFailed, untouched, type Enable } from './backend';

/** Writes the values and SO_KEEPALIVE to a connected socket, then holds them through Node's calls. */
export function apply(socket: net.Socket, handle: TcpHandle, values: KernelValues, enable: Enable): void {
  writeToHandle(handle, values, enable);
  hold(socket, handle, values, enable);
}

/** Sockets that forget their settings in Node's record when they close. */
const forgetting = new WeakSet<net.Socket>();

/**
 * apply, for a socket that may be connected again later (socket.connect()
 * after it closed). Node re-applies its recorded setKeepAlive on a new
 * connection, which would give a hybrid of our idle and libuv's interval and
 * count; so the record is cleared on 'close', and a new connection starts
 * with none of the settings, as a new socket does.
 */
function applyUntilClose(socket: net.Socket, handle: TcpHandle, values: KernelValues, enable: Enable): void {
  apply(socket, handle, values, enable);
  if (enable !== ON || forgetting.has(socket)) return;
  forgetting.add(socket);
  socket.once('close', () => {
    forgetting.delete(socket);
    forgetInNode(socket);
  });
}

/** What happens when settings deferred to 'connect' cannot be applied. */
export type DeferredFailure = (socket: net.Socket, error: Error) => void;

/** By default the socket is destroyed with the error: keepalive is never silently missing. */
const destroyWithError: DeferredFailure = (socket, error) => socket.destroy(error);

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
  readonly onConnect: () => void;
  readonly onClose: () => void;
}

const deferred = new WeakMap<net.Socket, Deferred>();

/**
 * Records the settings of a socket without a descriptor yet. They are applied
 * by a 'connect' listener placed before any of the user's; if the socket
 * closes first, both listeners go away and nothing is applied.
 */
function defer(socket: net.Socket, values: KernelValues, enable: Enable, onFailure: DeferredFailure, clearOnClose: boolean): void {
  const target = connectingSocketOf(socket);
  const pending = deferred.get(target);
  if (pending) {
    mergeValues(pending.values, values);
    pending.enable = enable;
    return;
  }
  const entry: Deferred = {
    values: [...values],
    enable,
    onConnect() {
      target.removeListener('close', entry.onClose);
      deferred.delete(target);
      try {
        const handle = tcpHandleOf(socket);
        if (handle === null) return;
        if (clearOnClose) applyUntilClose(socket, handle, entry.values, entry.enable);
        else apply(socket, handle, entry.values, entry.enable);
      } catch (error) {
        onFailure(socket, error as Error);
      }
    },
    onClose() {
      target.removeListener('connect', entry.onConnect);
      deferred.delete(target);
    },
  };
  deferred.set(target, entry);
  target.prependOnceListener('connect', entry.onConnect);
  target.once('close', entry.onClose);
}

/**
 * Applies now to a connected socket, or on 'connect' to one still connecting.
 * Throws on bad sockets. `clearOnClose` false is for the preload, which
 * configures every connection a socket makes anyway.
 */
export function configureSocket(
  socket: net.Socket,
  values: KernelValues,
  enable: Enable,
  onFailure: DeferredFailure = destroyWithError,
  clearOnClose = true,
): void {
  const handle = tcpHandleOf(socket);
  if (handle === null || socket.connecting) defer(socket, values, enable, onFailure, clearOnClose);
  else if (clearOnClose) applyUntilClose(socket, handle, values, enable);
  else apply(socket, handle, values, enable);
}
