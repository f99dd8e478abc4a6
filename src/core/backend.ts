// Writing settings to the kernel: through the native addon where it loaded,
// through Node's own setKeepAlive (fallback.ts) where it did not. Chosen once, here.
import { binding, decodeFailure, UNCHANGED } from './binding';
import { systemError } from './errors';
import { setWithNode } from './fallback';
import type { KernelValues } from './options';
import { descriptorOf, type TcpHandle } from './socket';

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

/** Copies the values that are set in `values` to the fields of `into` that are not set. */
export function fillValues(into: KernelValues, values: KernelValues): void {
  for (let i = 0; i < into.length; i++) if (into[i] === UNCHANGED) into[i] = values[i];
}

/** Throws the Node-shaped system error for a failure status of set/get. */
export function throwIfFailed(status: number, syscall: 'setsockopt' | 'getsockopt'): void {
  if (status === 0) return;
  const { errno, option } = decodeFailure(status);
  throw systemError(errno, syscall, binding?.optionNames[option] ?? `option ${option}`);
}

/** One native call: the values, then SO_KEEPALIVE. Only where the addon loaded (listenerInherits says so). */
export function writeToDescriptor(fd: number, values: KernelValues, enable: Enable): void {
  if (binding === null) throw new Error('writeToDescriptor needs the native addon');
  throwIfFailed(binding.set(fd, values[0], values[1], values[2], values[3], enable), 'setsockopt');
}

/** Sets the values, then SO_KEEPALIVE, on a connected socket's handle. Throws a system error on failure. */
export const writeToHandle: (handle: TcpHandle, values: KernelValues, enable: Enable) => void =
  binding === null
    ? (handle, values, enable) => setWithNode(handle, values, enable === ON)
    : (handle, values, enable) => writeToDescriptor(descriptorOf(handle), values, enable);

/** Whether accepted sockets inherit what is set on the listening socket (the addon on Linux). */
export const listenerInherits = binding?.acceptInherits === true;
