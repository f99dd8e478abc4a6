// Applying settings to one socket: now if it is connected, on 'connect' if not.
import type * as net from 'node:net';
import { binding, decodeFailure, NativeOption, UNCHANGED } from './binding';
import { systemError } from './errors';
import { setWithNode } from './fallback';
import type { KernelValues } from './options';
import { connectingSocketOf, descriptorOf, holdSettings, recordDisabled, tcpHandleOf, type TcpHandle } from './socket';

/** SO_KEEPALIVE as the binding takes it. */
export type Enable = 0 | 1;
export const ON: Enable = 1;
export const OFF: Enable = 0;

/** Kernel values that change nothing. */
export const untouched = (): KernelValues => [UNCHANGED, UNCHANGED, UNCHANGED, UNCHANGED];

/** Copies the values that are set in `values` over `into`. */
export function mergeValues(into: KernelValues, values: KernelValues): void {
  for (let i = 0; i < into.length; i++) if (values[i] !== UNCHANGED) into[i] = values[i];
}

/** Throws the Node-shaped system error for a failure status of set/get. */
export function throwIfFailed(status: number, syscall: 'setsockopt' | 'getsockopt'): void {
  if (status === 0) return;
  const { errno, option } = decodeFailure(status);
  throw systemError(errno, syscall, binding?.optionNames[option] ?? `option ${option}`);
}

/** One native call: the values, then SO_KEEPALIVE. */
export function setOnDescriptor(fd: number, values: KernelValues, enable: Enable): void {
  // Callers reach a descriptor only with the addon (apply and server.ts check).
  if (binding === null) throw new Error('setOnDescriptor needs the native addon');
  throwIfFailed(binding.set(fd, values[0], values[1], values[2], values[3], enable), 'setsockopt');
}

/** Makes Node keep what the kernel now holds for this socket (no syscall). */
export function holdApplied(socket: net.Socket, handle: TcpHandle, values: KernelValues, enable: Enable): void {
  if (enable === ON) {
    const idle = values[NativeOption.Idle];
    holdSettings(socket, handle, idle === UNCHANGED ? 0 : idle * 1000);
  } else {
    recordDisabled(socket, handle);
  }
}

/** Sets the values and SO_KEEPALIVE on a connected socket, then makes Node keep them. */
export function apply(socket: net.Socket, handle: TcpHandle, values: KernelValues, enable: Enable): void {
  if (binding === null) setWithNode(handle, values, enable === ON);
  else setOnDescriptor(descriptorOf(handle), values, enable);
  holdApplied(socket, handle, values, enable);
}

/** What happens when settings deferred to 'connect' cannot be applied. */
export type DeferredFailure = (socket: net.Socket, error: Error) => void;

/** By default the socket is destroyed with the error: keepalive is never silently missing. */
const destroyWithError: DeferredFailure = (socket, error) => socket.destroy(error);

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
function defer(socket: net.Socket, values: KernelValues, enable: Enable, onFailure: DeferredFailure): void {
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
        if (handle !== null) apply(socket, handle, entry.values, entry.enable);
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

/** Applies now to a connected socket, or on 'connect' to one still connecting. Throws on bad sockets. */
export function configureSocket(
  socket: net.Socket,
  values: KernelValues,
  enable: Enable,
  onFailure: DeferredFailure = destroyWithError,
): void {
  const handle = tcpHandleOf(socket);
  if (handle === null || socket.connecting) defer(socket, values, enable, onFailure);
  else apply(socket, handle, values, enable);
}
