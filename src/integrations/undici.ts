// keepaliveConnector: the settings on every connection an undici Agent, Pool
// or Client opens (and so fetch, through setGlobalDispatcher or a dispatcher).
//
// undici is not a dependency: the program passes the connector it would have
// given undici (buildConnector's result, or its own), and this wraps it. That
// also keeps the choice of undici (the npm one; Node's bundled one, which
// global fetch runs on, exposes no Agent) with the program.
//
// undici's connector calls socket.setKeepAlive(true, 60000) (or the
// keepAliveInitialDelay it was given) while the socket is still connecting,
// and Node applies it again at connect: that sets idle and, on libuv 1.49+
// (also Node 20.20), interval 1 s and count 10. enableKeepalive on the
// connecting socket applies the settings on 'connect', after that, and holds
// them through any later setKeepAlive call.
import { enableKeepalive } from '../keepalive';
import { backend } from '../core/backend';
import { invalidArgType } from '../core/errors';
import { Socket } from '../core/node-internals';
import type { KeepaliveOptions, KeepaliveSettings } from '../core/options';

/** How undici's connector reports the connection: (null, socket) or (error, null). */
export type ConnectorCallback = (error: Error | null, socket: unknown) => void;

/**
 * undici's connector: `(options, callback)`, as `buildConnector()` returns
 * and the `connect` option of Agent, Pool and Client accepts. Its parameters
 * are undici's own types, which this package does not depend on: any
 * two-parameter function is taken, and given back with its own type.
 */
export type Connector = (options: never, callback: never) => unknown;

/** The connector as this module calls it. */
type Callable = (this: unknown, options: unknown, callback: ConnectorCallback) => unknown;

/** enableKeepalive's refusal of a socket that is not TCP (undici's socketPath: a Unix socket). */
const notTcp = (error: unknown): boolean => (error as { code?: unknown } | null)?.code === 'ERR_INVALID_ARG_VALUE';

/**
 * Wraps undici's `connector` so that every socket it opens gets `options`
 * (as enableKeepalive: idle, interval, count, userTimeout in milliseconds),
 * held through undici's and Node's own setKeepAlive calls.
 *
 * ```js
 * const { Agent, buildConnector, setGlobalDispatcher } = require('undici');
 * setGlobalDispatcher(new Agent({
 *   connect: keepaliveConnector(buildConnector({ timeout: 10e3 }), { idle: 10000, interval: 5000, count: 3 }),
 * }));
 * ```
 *
 * Sockets that are not TCP (undici's `socketPath`) are passed on untouched.
 * Settings that cannot be applied when a socket connects fail that
 * connection with the error, as enableKeepalive does: undici's callback
 * gets it.
 *
 * @throws {TypeError} `ERR_INVALID_ARG_TYPE` (connector not a function, an option of the wrong type),
 *   `ERR_INVALID_ARG_VALUE`, `ERR_FEATURE_UNAVAILABLE_ON_PLATFORM`, `ERR_MISSING_OPTION` (as enableKeepalive)
 * @throws {RangeError} `ERR_OUT_OF_RANGE` (as enableKeepalive)
 */
export function keepaliveConnector<C extends Connector>(connector: C, options?: KeepaliveOptions | KeepaliveSettings): C {
  if (typeof connector !== 'function') throw invalidArgType('connector', 'of type function', connector);
  // Checked now, not on the first connection; a copy, so later changes to the object do not leak in.
  backend().toKernelValues(options);
  const settings = options === undefined ? undefined : { ...options };
  const configured = new WeakSet<Socket>();

  /** Applies the settings once per socket; throws what enableKeepalive throws, except for a socket that is not TCP. */
  const configure = (socket: unknown): void => {
    if (!(socket instanceof Socket) || configured.has(socket)) return;
    configured.add(socket);
    try {
      enableKeepalive(socket, settings);
    } catch (error) {
      if (!notTcp(error)) throw error;
    }
  };

  const connect = function (this: unknown, connectOptions: unknown, callback: ConnectorCallback): unknown {
    const socket = (connector as unknown as Callable).call(this, connectOptions, (error, connected) => {
      if (error === null || error === undefined) {
        try {
          configure(connected);
        } catch (configureError) {
          (connected as Socket).destroy();
          callback(configureError as Error, null);
          return;
        }
      }
      callback(error, connected);
    });
    // undici's connector returns the socket while it connects: the settings
    // then apply on 'connect', before undici's own listener runs; a failure
    // destroys the socket with the error, which reaches the callback.
    try {
      configure(socket);
    } catch (error) {
      (socket as Socket).destroy(error as Error);
    }
    return socket;
  };
  return connect as unknown as C;
}
