// Keepalive for every socket an http.Agent or https.Agent creates.
import type * as http from 'node:http';
import type * as net from 'node:net';
import type { KernelValues } from './options';
import { configureSocket, mergeValues, type Enable } from './apply';
import { mayBeTcp } from './socket';

type CreateConnection = (options: unknown, callback?: (error: Error | null, socket?: net.Socket) => void) => net.Socket | undefined | null;

interface AgentSettings {
  values: KernelValues;
  enable: Enable;
  /** The agent's own createConnection property before ours, if it had one. */
  readonly ownCreateConnection: PropertyDescriptor | undefined;
}

interface AgentInternals {
  createConnection: CreateConnection;
  readonly sockets: NodeJS.ReadOnlyDict<net.Socket[]>;
  readonly freeSockets: NodeJS.ReadOnlyDict<net.Socket[]>;
}

const internals = (agent: http.Agent): AgentInternals => agent as unknown as AgentInternals;

const agents = new WeakMap<http.Agent, AgentSettings>();

/** The agent's open TCP sockets now, in use and pooled (agents with socketPath make Unix ones). */
function tcpSocketsOf(agent: http.Agent): net.Socket[] {
  const { sockets, freeSockets } = internals(agent);
  return [...Object.values(sockets), ...Object.values(freeSockets)]
    .flatMap((list) => list ?? [])
    .filter((socket) => !socket.destroyed && mayBeTcp(socket));
}

/**
 * Agents make sockets in createConnection, returned at once (net, tls) or
 * passed to a callback (custom agents). Either way each gets the settings
 * while still connecting, so they are in place before the first request.
 */
function wrapCreateConnection(agent: http.Agent, settings: AgentSettings): void {
  const original = internals(agent).createConnection;
  const configure = (socket: net.Socket | undefined | null): void => {
    if (socket && !socket.destroyed && mayBeTcp(socket)) configureSocket(socket, settings.values, settings.enable);
  };
  const createConnection: CreateConnection = function (this: unknown, options, callback) {
    let configured: net.Socket | undefined;
    const socket = original.call(
      this,
      options,
      callback &&
        ((error, created) => {
          if (!error && created !== configured) configure(created);
          callback(error, created);
        }),
    );
    if (socket) {
      configured = socket;
      configure(socket);
    }
    return socket;
  };
  Object.defineProperty(agent, 'createConnection', { value: createConnection, configurable: true, writable: true });
}

/** Applies `values` to the agent's current sockets and to every socket it creates from now on. */
export function configureAgent(agent: http.Agent, values: KernelValues, enable: Enable): void {
  for (const socket of tcpSocketsOf(agent)) configureSocket(socket, values, enable);
  const existing = agents.get(agent);
  if (existing) {
    mergeValues(existing.values, values);
    existing.enable = enable;
    return;
  }
  const settings: AgentSettings = {
    values: [...values],
    enable,
    ownCreateConnection: Object.getOwnPropertyDescriptor(agent, 'createConnection'),
  };
  agents.set(agent, settings);
  wrapCreateConnection(agent, settings);
}

/** Turns keepalive off on the agent's current sockets and stops configuring new ones. */
export function releaseAgent(agent: http.Agent, values: KernelValues, enable: Enable): void {
  for (const socket of tcpSocketsOf(agent)) configureSocket(socket, values, enable);
  const settings = agents.get(agent);
  if (settings === undefined) return;
  agents.delete(agent);
  if (settings.ownCreateConnection) Object.defineProperty(agent, 'createConnection', settings.ownCreateConnection);
  else delete (agent as unknown as Partial<AgentInternals>).createConnection;
}
