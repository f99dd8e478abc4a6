// Keepalive for every connection a server accepts.
//
// On Linux an accepted socket starts as a copy of the listening socket,
// keepalive options included. So the options go on the listening socket once,
// and each accepted connection only needs Node told to keep them (no syscall).
// Where Node itself overrides them (a server created with keepAlive: true calls
// setKeepAlive on every accepted socket before 'connection'), or where
// inheritance is not known, they are applied to each connection.
import * as net from 'node:net';
import { binding } from './binding';
import { invalidArgValue } from './errors';
import type { KernelValues } from './options';
import { apply, holdApplied, mergeValues, setOnDescriptor, type Enable } from './apply';
import { tcpHandleOf } from './socket';

interface ServerSettings {
  values: KernelValues;
  enable: Enable;
  /** Whether accepted sockets hold the settings by inheritance. */
  inherited: boolean;
  readonly onListening: () => void;
  readonly onConnection: (socket: net.Socket) => void;
}

interface ServerInternals {
  readonly _handle: { readonly fd?: number; constructor: { name: string } } | null;
  /** Node's own server option: setKeepAlive on every accepted socket. */
  readonly keepAlive?: boolean;
}

const internals = (server: net.Server): ServerInternals => server as unknown as ServerInternals;

const servers = new WeakMap<net.Server, ServerSettings>();

/**
 * Puts the settings on the listening socket, so that accepted sockets inherit
 * them. Returns whether they do (false: apply them to each connection instead).
 */
function applyToListener(server: net.Server, values: KernelValues, enable: Enable): boolean {
  const handle = internals(server)._handle;
  if (!binding?.acceptInherits || handle === null) return false;
  const kind = handle.constructor.name;
  if (kind !== 'TCP') {
    const what = kind === 'Pipe' ? 'a Unix domain socket or named pipe' : `a ${kind} handle`;
    throw invalidArgValue('target', server, `must listen on TCP, but it listens on ${what}`);
  }
  // A cluster worker's round-robin handle has no descriptor: connections come from the primary.
  const fd = handle.fd;
  if (fd === undefined || fd < 0) return false;
  setOnDescriptor(fd, values, enable);
  return true;
}

function onAccepted(server: net.Server, settings: ServerSettings, socket: net.Socket): void {
  try {
    const handle = tcpHandleOf(socket);
    if (handle === null) return;
    if (settings.inherited && !internals(server).keepAlive) holdApplied(socket, handle, settings.values, settings.enable);
    else apply(socket, handle, settings.values, settings.enable);
  } catch (error) {
    socket.destroy(error as Error);
  }
}

/**
 * Applies `values` to the listening socket and every connection `server`
 * accepts from now on. With `skipNonTcp`, a server found listening on a Unix
 * path when it starts listening is left alone without a warning (the preload
 * configures every server a program makes).
 */
export function configureServer(server: net.Server, values: KernelValues, enable: Enable, skipNonTcp = false): void {
  const existing = servers.get(server);
  const merged: KernelValues = existing ? [...existing.values] : [...values];
  if (existing) mergeValues(merged, values);
  // On a listening server, errors surface here, before anything is recorded.
  const inherited = server.listening ? applyToListener(server, merged, enable) : false;
  if (existing) {
    existing.values = merged;
    existing.enable = enable;
    existing.inherited = inherited;
    return;
  }
  const settings: ServerSettings = {
    values: merged,
    enable,
    inherited,
    onListening() {
      try {
        settings.inherited = applyToListener(server, settings.values, settings.enable);
      } catch (error) {
        // Too late to throw to the caller. A server that is not TCP is left
        // alone; after a failed syscall each connection gets the settings.
        settings.inherited = false;
        const notTcp = (error as { code?: string }).code === 'ERR_INVALID_ARG_VALUE';
        if (notTcp) forget(server);
        if (!(notTcp && skipNonTcp)) process.emitWarning(error as Error);
      }
    },
    onConnection: (socket) => onAccepted(server, settings, socket),
  };
  servers.set(server, settings);
  server.prependListener('listening', settings.onListening);
  server.prependListener('connection', settings.onConnection);
}

function forget(server: net.Server): void {
  const settings = servers.get(server);
  if (settings === undefined) return;
  servers.delete(server);
  server.removeListener('listening', settings.onListening);
  server.removeListener('connection', settings.onConnection);
}

/** Stops configuring new connections; `values`/`enable` go on the listening socket (keepalive off). */
export function releaseServer(server: net.Server, values: KernelValues, enable: Enable): void {
  if (server.listening) applyToListener(server, values, enable);
  forget(server);
}
