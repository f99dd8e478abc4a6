// Keepalive for every socket an http.Agent or https.Agent creates.
import type * as http from 'node:http';
import type * as net from 'node:net';
import type { KernelValues } from '../core/options';
import { configureSocket, mergeValues, warnOnFailure, type Enable } from '../core/apply';
import { tcpHandleIfAny } from '../core/socket';

type CreateConnection = (options: unknown, callback?: (error: Error | null, socket?: unknown) => void) => unknown;

/** A socket of the agent's whose settings fail on connect keeps working; the failure is reported. */
const warnOnly = warnOnFailure('TCP_KEEPALIVE_AGENT', "an agent's socket");

interface AgentSettings {
  values: KernelValues;
  enable: Enable;
  /** The agent's own createConnection property before ours, if it had one. */
  readonly ownCreateConnection: PropertyDescriptor | undefined;
  /** Ours, in its place. */
  wrapper?: CreateConnection;
}

interface AgentInternals {
  createConnection: CreateConnection;
  readonly sockets?: NodeJS.ReadOnlyDict<unknown[]>;
  readonly freeSockets?: NodeJS.ReadOnlyDict<unknown[]>;
}

const internals = (agent: http.Agent): AgentInternals => agent as unknown as AgentInternals;

const agents = new WeakMap<http.Agent, AgentSettings>();

/** Whether `stream` is a TCP socket (connected or connecting); anything else is left alone. */
const isTcp = (stream: unknown): stream is net.Socket => tcpHandleIfAny(stream) !== undefined;

/**
 * The agent's open TCP sockets now, in use and pooled. Agents with socketPath
 * make Unix sockets, and a custom createConnection may return any Duplex.
 */
function tcpSocketsOf(agent: http.Agent): net.Socket[] {
  const { sockets, freeSockets } = internals(agent);
  return [...Object.values(sockets ?? {}), ...Object.values(freeSockets ?? {})]
    .flatMap((list) => (Array.isArray(list) ? (list as unknown[]) : []))
    .filter(isTcp);
}

/**
 * Agents make sockets in createConnection, returned at once (net, tls) or
 * passed to a callback (custom agents). Either way each gets the settings
 * while still connecting, so they are in place before the first request.
 */
function wrapCreateConnection(agent: http.Agent, settings: AgentSettings): void {
  const original = internals(agent).createConnection;
  // Runs inside the agent's (and the callback's) call: never throws.
  const configure = (socket: unknown): void => {
    if (!isTcp(socket)) return;
    try {
      configureSocket(socket, settings.values, settings.enable, warnOnly);
    } catch (error) {
      warnOnly(socket, error as Error);
    }
  };
  const createConnection: CreateConnection = function (this: unknown, options, callback) {
    let configured: unknown;
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
  settings.wrapper = createConnection;
  Object.defineProperty(agent, 'createConnection', { value: createConnection, configurable: true, writable: true });
}

/** Applies `values` to the agent's current sockets and to every socket it creates from now on. */
export function configureAgent(agent: http.Agent, values: KernelValues, enable: Enable): void {
  for (const socket of tcpSocketsOf(agent)) configureSocket(socket, values, enable);
  const existing = agents.get(agent);
  if (existing) {
    mergeValues(existing.values, values);
    existing.enable = enable;
    // The program replaced createConnection since: wrap its own.
    if (Object.getOwnPropertyDescriptor(agent, 'createConnection')?.value !== existing.wrapper) wrapCreateConnection(agent, existing);
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
  // Only our wrapper is taken away: a createConnection the program put there since stays.
  if (Object.getOwnPropertyDescriptor(agent, 'createConnection')?.value !== settings.wrapper) return;
  if (settings.ownCreateConnection) Object.defineProperty(agent, 'createConnection', settings.ownCreateConnection);
  else delete (agent as unknown as Partial<AgentInternals>).createConnection;
}
