// Keepalive for every socket an http.Agent or https.Agent creates.
import type * as http from 'node:http';
import type * as net from 'node:net';
import type { Enable } from '../core/backend';
import { mergeValues, type KernelValues } from '../core/options';
import { configureSocket, warnOnFailure } from '../core/apply';
import {
  agentCreateConnection,
  agentSockets,
  ownCreateConnection,
  setCreateConnection,
  tcpHandleIfAny,
  type CreateConnection,
} from '../core/node-internals';

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

const agents = new WeakMap<http.Agent, AgentSettings>();

/** Whether `stream` is a TCP socket (connected or connecting); anything else is left alone. */
const isTcp = (stream: unknown): stream is net.Socket => tcpHandleIfAny(stream) !== undefined;

/**
 * The agent's open TCP sockets now, in use and pooled. Agents with socketPath
 * make Unix sockets, and a custom createConnection may return any Duplex.
 */
function tcpSocketsOf(agent: http.Agent): net.Socket[] {
  return agentSockets(agent).filter(isTcp);
}

/**
 * Agents make sockets in createConnection, returned at once (net, tls) or
 * passed to a callback (custom agents). Either way each gets the settings
 * while still connecting, so they are in place before the first request.
 */
function wrapCreateConnection(agent: http.Agent, settings: AgentSettings): void {
  const original = agentCreateConnection(agent);
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
  setCreateConnection(agent, createConnection);
}

/** Applies `values` to the agent's current sockets and to every socket it creates from now on. */
export function configureAgent(agent: http.Agent, values: KernelValues, enable: Enable): void {
  for (const socket of tcpSocketsOf(agent)) configureSocket(socket, values, enable);
  const existing = agents.get(agent);
  if (existing) {
    mergeValues(existing.values, values);
    existing.enable = enable;
    // The program replaced createConnection since: wrap its own.
    if (ownCreateConnection(agent)?.value !== existing.wrapper) wrapCreateConnection(agent, existing);
    return;
  }
  const settings: AgentSettings = {
    values: [...values],
    enable,
    ownCreateConnection: ownCreateConnection(agent),
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
  if (ownCreateConnection(agent)?.value !== settings.wrapper) return;
  setCreateConnection(agent, settings.ownCreateConnection);
}
