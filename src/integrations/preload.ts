// tcp-keepalive/register: keepalive for every TCP socket of a program that
// does not know about this library, configured from the environment.
//
//   node --require tcp-keepalive/register app.js
//   node --import tcp-keepalive/register app.mjs
//   NODE_OPTIONS="--require tcp-keepalive/register" npm start   (child processes too)
//
// Every socket the program connects (net.connect, new Socket().connect(),
// tls.connect, http/https agents, fetch) and every connection its servers
// accept gets the settings. Worker threads load the preload again through
// their inherited execArgv.
import * as net from 'node:net';
import { configureSocket, OFF, ON, untouched, warnOnFailure } from '../core/apply';
import { EnvironmentError, readEnvironment, type EnvironmentSettings } from './environment';
import { configureServer, serverEmitting } from './server';
import { restoreProgramRecord } from '../core/hold';
import { tcpHandleIfAny } from '../core/socket';

/** Marks the prototypes once, so a second copy of the preload does nothing. */
const installed = Symbol.for('tcp-keepalive.register');

function warn(error: unknown): void {
  process.emitWarning(`keepalive could not be set: ${(error as Error).message}`, { code: 'TCP_KEEPALIVE_REGISTER' });
}

/** A connection whose settings failed on connect keeps going; the program is not ours to break. */
const warnOnly = warnOnFailure('TCP_KEEPALIVE_REGISTER', 'a connection');

function install(settings: EnvironmentSettings): void {
  const { enabled } = settings;
  const values = enabled ? settings.values : untouched();
  const enable = enabled ? ON : OFF;

  const connect = net.Socket.prototype.connect;
  // The overloads of connect all end here; the wrapper passes them through unchanged.
  net.Socket.prototype.connect = function connectWithKeepalive(this: net.Socket, ...args: unknown[]) {
    // Connected again: Node re-applies its record of setKeepAlive on the new
    // connection; it must be the program's, not the one the hold wrote.
    restoreProgramRecord(this);
    const result = (connect as (...a: unknown[]) => net.Socket).apply(this, args);
    try {
      if (tcpHandleIfAny(this) !== undefined) configureSocket(this, values, enable, warnOnly, false, 'fill');
    } catch (error) {
      warn(error);
    }
    return result;
  } as typeof connect;

  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = function listenWithKeepalive(this: net.Server, ...args: unknown[]) {
    try {
      configureServer(this, values, enable, true);
    } catch (error) {
      warn(error);
    }
    return (listen as (...a: unknown[]) => net.Server).apply(this, args);
  } as typeof listen;

  // Servers get the settings from their own emit, not from listeners the
  // program would see in listenerCount() or eventNames(). One comparison per
  // event; arguments pass through untouched.
  const emit = net.Server.prototype.emit;
  net.Server.prototype.emit = function emitWithKeepalive(this: net.Server, event: string | symbol) {
    if (event === 'connection' || event === 'listening') {
      try {
        serverEmitting(this, event, arguments[1]);
      } catch (error) {
        warn(error);
      }
    }
    // eslint-disable-next-line prefer-rest-params
    return emit.apply(this, arguments as unknown as Parameters<typeof emit>);
  } as typeof emit;
}

function register(): void {
  const prototype = net.Socket.prototype as unknown as Record<symbol, boolean>;
  if (prototype[installed]) return;
  let settings: EnvironmentSettings;
  try {
    settings = readEnvironment();
  } catch (error) {
    if (!(error instanceof EnvironmentError)) throw error;
    // A bad value stops the program at start-up: it never runs without the keepalive it was given.
    process.stderr.write(`tcp-keepalive/register: ${error.message}\n`);
    process.exit(9);
  }
  install(settings);
  Object.defineProperty(prototype, installed, { value: true });
}

register();
