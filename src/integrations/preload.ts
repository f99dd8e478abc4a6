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
import { OFF, ON } from '../core/backend';
import { configureSocket, warnOnFailure } from '../core/apply';
import { untouched } from '../core/options';
import { restoreProgramRecord } from '../core/hold';
import {
  markPreloadInstalled,
  tcpHandleIfAny,
  wrapServerEmit,
  wrapServerListen,
  wrapSocketConnect,
  wrapUnreachableServerListen,
} from '../core/node-internals';
import { EnvironmentError, readEnvironment, type EnvironmentSettings } from './environment';
import { configureServer, serverEmitting } from './server';

function warn(error: unknown): void {
  process.emitWarning(`keepalive could not be set: ${(error as Error).message}`, { code: 'TCP_KEEPALIVE_REGISTER' });
}

/** A connection whose settings failed on connect keeps going; the program is not ours to break. */
const warnOnly = warnOnFailure('TCP_KEEPALIVE_REGISTER', 'a connection');

function install(settings: EnvironmentSettings): void {
  const { enabled } = settings;
  const values = enabled ? settings.values : untouched();
  const enable = enabled ? ON : OFF;

  wrapSocketConnect(
    // Connected again: Node re-applies its record of setKeepAlive on the new
    // connection; it must be the program's, not the one the hold wrote.
    (socket) => restoreProgramRecord(socket),
    (socket) => {
      try {
        if (tcpHandleIfAny(socket) !== undefined) configureSocket(socket, values, enable, warnOnly, false, 'fill');
      } catch (error) {
        warn(error);
      }
    },
  );

  wrapServerListen((server) => {
    try {
      configureServer(server, values, enable, true);
    } catch (error) {
      warn(error);
    }
  });

  // Servers get the settings from their own emit, not from listeners the
  // program would see in listenerCount() or eventNames().
  wrapServerEmit((server, event, argument) => {
    try {
      serverEmitting(server, event, argument);
    } catch (error) {
      warn(error);
    }
  });

  // Bun's http.Server is no net.Server: its connections cannot be reached,
  // and each of its listen() calls says so, rather than leaving them unset unsaid.
  if (enabled) wrapUnreachableServerListen(warn);
}

/** Reads the environment and wraps Node's methods, once per process (src/register.ts calls it on import). */
export function register(): void {
  let settings: EnvironmentSettings;
  try {
    settings = readEnvironment();
  } catch (error) {
    if (!(error instanceof EnvironmentError)) throw error;
    // A bad value stops the program at start-up: it never runs without the keepalive it was given.
    process.stderr.write(`tcp-keepalive/register: ${error.message}\n`);
    process.exit(9);
  }
  // A second copy of the preload (another install of the package) does nothing.
  if (markPreloadInstalled()) install(settings);
}
