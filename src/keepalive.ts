// enableKeepalive, disableKeepalive, getKeepalive for single sockets.
import type net from 'node:net';
import { binding, decodeFailure, NATIVE_OPTION_COUNT, NativeOption, UNCHANGED } from './binding';
import { systemError } from './errors';
import { fromKernelValues, toKernelValues, type KeepaliveOptions, type KeepaliveSettings, type KernelValues } from './options';
import {
  assertSocket,
  connectedDescriptorOf,
  connectingSocketOf,
  descriptorOf,
  holdSettings,
  recordDisabled,
  tcpHandleOf,
  type TcpHandle,
} from './socket';

const ON = 1;
const OFF = 0;

function throwIfFailed(status: number, syscall: 'setsockopt' | 'getsockopt'): void {
  if (status === 0) return;
  const { errno, option } = decodeFailure(status);
  throw systemError(errno, syscall, binding.optionNames[option] ?? `option ${option}`);
}

/** Sets the values and SO_KEEPALIVE in one native call, then makes Node keep them. */
function apply(socket: net.Socket, handle: TcpHandle, values: KernelValues, enable: number): void {
  const fd = descriptorOf(handle);
  throwIfFailed(binding.set(fd, values[0], values[1], values[2], values[3], enable), 'setsockopt');
  if (enable === ON) {
    const idle = values[NativeOption.Idle];
    holdSettings(socket, handle, idle === UNCHANGED ? 0 : idle * 1000);
  } else {
    recordDisabled(socket, handle);
  }
}

/** Settings asked for while the socket was connecting, applied on 'connect'. */
interface Deferred {
  values: KernelValues;
  enable: number;
  readonly onConnect: () => void;
  readonly onClose: () => void;
}

const deferred = new WeakMap<net.Socket, Deferred>();

function merge(into: KernelValues, values: KernelValues): void {
  for (let i = 0; i < into.length; i++) if (values[i] !== UNCHANGED) into[i] = values[i];
}

/**
 * Records the settings of a socket without a descriptor yet. They are applied
 * by a 'connect' listener placed before any of the user's; if the socket
 * closes first, both listeners go away and nothing is applied.
 */
function defer(socket: net.Socket, values: KernelValues, enable: number): void {
  const target = connectingSocketOf(socket);
  const pending = deferred.get(target);
  if (pending) {
    merge(pending.values, values);
    pending.enable = enable;
    return;
  }
  const entry: Deferred = {
    values,
    enable,
    onConnect() {
      target.removeListener('close', entry.onClose);
      deferred.delete(target);
      try {
        const handle = tcpHandleOf(socket);
        if (handle === null) return;
        apply(socket, handle, entry.values, entry.enable);
      } catch (error) {
        socket.destroy(error as Error);
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

function configure(socket: net.Socket, values: KernelValues, enable: number): void {
  const handle = tcpHandleOf(socket);
  if (handle === null || socket.connecting) defer(socket, values, enable);
  else apply(socket, handle, values, enable);
}

/**
 * Turns SO_KEEPALIVE on for `socket` and sets the given options; omitted
 * options keep their current values. On a socket still connecting, the
 * settings are applied when it connects, before the user's 'connect'
 * listeners run. The settings then hold through Node's own setKeepAlive
 * calls until enableKeepalive or disableKeepalive is called again, or
 * setKeepAlive(false) turns keepalive off.
 */
export function enableKeepalive<S extends net.Socket>(socket: S, options?: KeepaliveOptions): S {
  assertSocket(socket);
  configure(socket, toKernelValues(options), ON);
  return socket;
}

const untouched: KernelValues = [UNCHANGED, UNCHANGED, UNCHANGED, UNCHANGED];

/** Turns SO_KEEPALIVE off for `socket`, leaving the other options as they are. */
export function disableKeepalive<S extends net.Socket>(socket: S): S {
  assertSocket(socket);
  configure(socket, [...untouched], OFF);
  return socket;
}

/** Where the binding writes what it reads; calls are synchronous, so one buffer serves all. */
const readBuffer = new Int32Array(NATIVE_OPTION_COUNT);

/**
 * The keepalive settings the kernel holds for `socket`, in milliseconds,
 * including system defaults for options never set on it.
 */
export function getKeepalive(socket: net.Socket): KeepaliveSettings {
  throwIfFailed(binding.get(connectedDescriptorOf(socket), readBuffer), 'getsockopt');
  return fromKernelValues(readBuffer);
}
