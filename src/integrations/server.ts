// Keepalive for every connection a server accepts.
//
// On Linux an accepted socket starts as a copy of the listening socket,
// keepalive options included. So the options go on the listening socket once,
// and each connection the server's own handle accepts later only needs the
// hold (no syscall). Everything else gets the settings written to it:
// connections that were already waiting in the accept queue when the
// listening socket was configured (they were copied before), sockets handed
// to the server with emit('connection', socket), connections of servers made
// with Node's keepAlive option (Node overwrites them before 'connection'), and
// every connection where inheritance is not known (no addon, another
// platform, a cluster worker). Streams that are not TCP pass through untouched.
import type * as net from 'node:net';
import { backend, type Enable } from '../core/backend';
import { invalidArgValue } from '../core/errors';
import { fillValues, mergeValues, type KernelValues } from '../core/options';
import { apply } from '../core/apply';
import { hold } from '../core/hold';
import { acceptedBy, listenerHandleOf, serverSetsKeepAlive, tcpHandleIfAny } from '../core/node-internals';

interface ServerSettings {
  values: KernelValues;
  enable: Enable;
  /** Whether connections the server's handle accepts from now on hold the settings by inheritance. */
  inherited: boolean;
  /** Connections accepted from now on that were queued before the listening socket was configured. */
  queued: number;
  /** Error codes already reported, so a failing server warns once per cause, not per connection. */
  readonly reported: Set<string>;
  /** Made by the preload: run from its patched emit, not from listeners. */
  readonly viaEmit: boolean;
  /** disableKeepalive was called: only the queued connections are still to be turned off, then the server is forgotten. */
  releasing?: boolean;
  readonly onListening: () => void;
  readonly onConnection: (socket: unknown) => void;
}

const servers = new WeakMap<net.Server, ServerSettings>();

/** A listening socket accepted sockets do not inherit from (or none yet). */
const notInherited = (): { inherited: boolean; queued: number } => ({ inherited: false, queued: 0 });

/**
 * Puts the settings on the listening socket, so that accepted sockets inherit
 * them. Returns whether they do, and how many queued connections do not.
 */
function applyToListener(server: net.Server, values: KernelValues, enable: Enable): { inherited: boolean; queued: number } {
  const listener = listenerHandleOf(server);
  if (listener?.kind === 'other') {
    throw invalidArgValue('target', server, 'must listen on TCP, but it listens on a Unix domain socket or named pipe');
  }
  const writer = backend().listener;
  if (writer === null || listener === null || listener.kind !== 'tcp') return notInherited();
  writer.set(listener.fd, values, enable);
  const queued = writer.acceptQueueLength(listener.fd);
  return queued === undefined ? notInherited() : { inherited: true, queued };
}

function report(settings: ServerSettings, error: Error): void {
  const code = (error as { code?: string }).code ?? error.message;
  if (settings.reported.has(code)) return;
  settings.reported.add(code);
  process.emitWarning(`keepalive could not be set on an accepted connection: ${error.message}`, {
    code: 'TCP_KEEPALIVE_SERVER',
  });
}

/** Runs inside the server's 'connection' emit: never throws, never destroys. */
function onAccepted(server: net.Server, settings: ServerSettings, stream: unknown): void {
  const handle = tcpHandleIfAny(stream);
  if (!handle) return;
  const socket = stream as net.Socket;
  try {
    const ownAccept = acceptedBy(socket, server);
    if (settings.releasing) {
      if (!ownAccept || settings.queued === 0) return;
      if (--settings.queued === 0) forget(server);
    } else if (ownAccept && settings.queued > 0) settings.queued--;
    else if (ownAccept && settings.inherited && !serverSetsKeepAlive(server)) {
      hold(socket, handle, settings.values, settings.enable);
      return;
    }
    apply(socket, handle, settings.values, settings.enable);
  } catch (error) {
    report(settings, error as Error);
  }
}

/**
 * Applies `values` to the listening socket and every connection `server`
 * accepts from now on, through 'listening' and 'connection' listeners placed
 * before the program's. With `byPreload`, no listener is added (a program may
 * count its listeners): the preload's patched emit calls serverEmitting, and
 * a server found listening on a Unix path is left alone without a warning.
 */
export function configureServer(server: net.Server, values: KernelValues, enable: Enable, byPreload = false): void {
  const existing = servers.get(server);
  const merged: KernelValues = existing ? [...existing.values] : [...values];
  // The program's own calls win over the preload's environment, whatever the order.
  if (existing && byPreload) {
    fillValues(merged, values);
    enable = existing.enable;
  } else if (existing) mergeValues(merged, values);
  // On a listening server, errors surface here, before anything is recorded.
  const listener = server.listening ? applyToListener(server, merged, enable) : notInherited();
  if (existing) {
    // Configured again while a disable was turning off queued connections: configuring wins.
    Object.assign(existing, { values: merged, enable, releasing: false, ...listener });
    return;
  }
  const settings: ServerSettings = {
    values: merged,
    enable,
    ...listener,
    reported: new Set(),
    viaEmit: byPreload,
    onListening() {
      try {
        Object.assign(settings, applyToListener(server, settings.values, settings.enable));
      } catch (error) {
        // Too late to throw to the caller. A server that is not TCP is left
        // alone; after a failed syscall each connection gets the settings.
        settings.inherited = false;
        const notTcp = (error as { code?: string }).code === 'ERR_INVALID_ARG_VALUE';
        if (notTcp) forget(server);
        if (!(notTcp && byPreload)) {
          process.emitWarning(`keepalive is not set on this server: ${(error as Error).message}`, { code: 'TCP_KEEPALIVE_SERVER' });
        }
      }
    },
    onConnection: (socket) => onAccepted(server, settings, socket),
  };
  servers.set(server, settings);
  if (byPreload) return;
  server.prependListener('listening', settings.onListening);
  server.prependListener('connection', settings.onConnection);
}

/** For the preload's emit: what the listeners of configureServer would do, before the program's listeners run. */
export function serverEmitting(server: net.Server, event: unknown, argument: unknown): void {
  const settings = servers.get(server);
  // A server the program configured itself has listeners doing this.
  if (settings === undefined || !settings.viaEmit) return;
  if (event === 'connection') settings.onConnection(argument);
  else if (event === 'listening') settings.onListening();
}

function forget(server: net.Server): void {
  const settings = servers.get(server);
  if (settings === undefined) return;
  servers.delete(server);
  // Harmless where the preload added none.
  server.removeListener('listening', settings.onListening);
  server.removeListener('connection', settings.onConnection);
}

/** Stops configuring new connections; `values`/`enable` go on the listening socket (keepalive off). */
export function releaseServer(server: net.Server, values: KernelValues, enable: Enable): void {
  const listener = server.listening ? applyToListener(server, values, enable) : notInherited();
  const settings = servers.get(server);
  // Connections already queued were copied with keepalive on: they are turned
  // off as they are accepted, and then the server is forgotten.
  if (settings !== undefined && listener.queued > 0) {
    Object.assign(settings, { values, enable, queued: listener.queued, releasing: true });
    return;
  }
  forget(server);
}
