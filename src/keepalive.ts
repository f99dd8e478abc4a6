// enableKeepalive, disableKeepalive, getKeepalive: the public entry points.
import type * as net from 'node:net';
import type * as http from 'node:http';
import { backend, OFF, ON, readUnavailable, type Enable } from './core/backend';
import { invalidArgType } from './core/errors';
import { untouched, type KeepaliveOptions, type KeepaliveSettings, type KernelValues } from './core/options';
import { configureSocket, enableSocket } from './core/apply';
import { connectedDescriptorOf, Server, Socket, unreachableServerError } from './core/node-internals';
import type * as serverModule from './integrations/server';
import type * as agentModule from './integrations/agent';

/** What enableKeepalive and disableKeepalive configure: one socket, a server's connections, an agent's sockets. */
export type KeepaliveTarget = net.Socket | net.Server | http.Agent;

let agentClass: typeof http.Agent | undefined;

/** http is loaded only when a target is neither a socket nor a server, to keep import cheap. */
function isAgent(target: unknown): target is http.Agent {
  agentClass ??= (require('node:http') as typeof http).Agent;
  return target instanceof agentClass;
}

// Servers and agents are configured by their integrations, loaded on first
// use: a program that only configures sockets never loads them.
let servers: typeof serverModule | undefined;
let agents: typeof agentModule | undefined;
const serverIntegration = (): typeof serverModule => (servers ??= require('./integrations/server') as typeof serverModule);
const agentIntegration = (): typeof agentModule => (agents ??= require('./integrations/agent') as typeof agentModule);

type TargetKind = 'socket' | 'server' | 'agent';

/** Checked before the options, as Node checks arguments in order. */
function targetKind(target: unknown): TargetKind {
  if (target instanceof Socket) return 'socket';
  if (target instanceof Server) return 'server';
  if (isAgent(target)) return 'agent';
  // Bun's http.Server: a server, but none whose connections can be reached.
  const unreachable = unreachableServerError(target);
  if (unreachable !== null) throw unreachable;
  throw invalidArgType('target', 'an instance of net.Socket, net.Server or http.Agent', target);
}

function configure(target: KeepaliveTarget, kind: TargetKind, values: KernelValues, enable: Enable): void {
  switch (kind) {
    case 'socket':
      return configureSocket(target as net.Socket, values, enable);
    case 'server':
      return serverIntegration()[enable === ON ? 'configureServer' : 'releaseServer'](target as net.Server, values, enable);
    case 'agent':
      return agentIntegration()[enable === ON ? 'configureAgent' : 'releaseAgent'](target as http.Agent, values, enable);
  }
}

/**
 * Turns SO_KEEPALIVE on and sets the given options (omitted ones keep their
 * values) on a socket, on every connection a server accepts, or on every
 * socket an http/https agent creates.
 *
 * A socket still connecting gets the settings when it connects, before the
 * user's 'connect' listeners run. The fields given then hold through Node's
 * own setKeepAlive calls (which still set the others) until
 * disableKeepalive, or setKeepAlive(false) turns keepalive off.
 *
 * `options` may be what getKeepalive returned for another socket (its
 * `enabled` must then be true: disableKeepalive turns keepalive off).
 *
 * @throws {TypeError} `ERR_INVALID_ARG_TYPE` (target or an option of the wrong type), `ERR_INVALID_ARG_VALUE`
 *   (an unknown option, a socket that is not TCP, a server not on TCP), `ERR_FEATURE_UNAVAILABLE_ON_PLATFORM`
 *   (an option the platform lacks), `ERR_MISSING_OPTION` (without the addon: interval or count without idle)
 * @throws {RangeError} `ERR_OUT_OF_RANGE` (a value outside the kernel's limits)
 * @throws {Error} `ERR_SOCKET_CLOSED`, or a system error (`EINVAL: invalid argument, setsockopt TCP_KEEPIDLE`)
 */
export function enableKeepalive<T extends KeepaliveTarget>(target: T, options?: KeepaliveOptions | KeepaliveSettings): T {
  // A socket, the common target, goes straight to enableSocket.
  if (target instanceof Socket) {
    enableSocket(target, backend().toKernelValues(options));
    return target;
  }
  const kind = targetKind(target);
  configure(target, kind, backend().toKernelValues(options), ON);
  return target;
}

/**
 * Turns SO_KEEPALIVE off, leaving the other options as they are, and ends the
 * hold on Node's setKeepAlive calls. For a server or an agent, also stops
 * configuring its new connections.
 *
 * @throws {TypeError} `ERR_INVALID_ARG_TYPE`, `ERR_INVALID_ARG_VALUE` (as enableKeepalive)
 * @throws {Error} `ERR_SOCKET_CLOSED`, or a system error
 */
export function disableKeepalive<T extends KeepaliveTarget>(target: T): T {
  configure(target, targetKind(target), untouched(), OFF);
  return target;
}

/**
 * The keepalive settings the kernel holds for `socket`, in milliseconds,
 * including system defaults for options never set on it.
 *
 * @throws {TypeError} `ERR_INVALID_ARG_TYPE`, `ERR_INVALID_ARG_VALUE` (not TCP),
 *   `ERR_FEATURE_UNAVAILABLE_ON_PLATFORM` (no addon: Node cannot read them)
 * @throws {Error} `ERR_SOCKET_CLOSED`, `TCP_KEEPALIVE_SOCKET_CONNECTING`, or a system error
 */
export function getKeepalive(socket: net.Socket): KeepaliveSettings {
  const { reader } = backend();
  if (reader === null) throw readUnavailable(socket, 'getKeepalive');
  return reader.get(connectedDescriptorOf(socket));
}
