// A simulated path for the idle-timeout search: a NAT that forgets a
// connection `timeout` ms after its last packet, in front of a server that
// answers every probe that reaches it, and a client kernel that probes as
// Linux does. Drives IdleSearch with a simulated clock, as the command does
// with the real one (a poll every 50 ms).
import { IdleSearch, type SearchConfig, type SearchEvent, type SearchResult } from '../../src/tools/cli/idle-search';

export interface SimulatedPath {
  /** The NAT forgets a connection this long (ms) after its last packet; Infinity: never. */
  timeout: number;
  /** Round-trip time (ms). */
  rtt?: number;
  /** The server closes a connection (FIN) this long (ms) after it opened, whatever keepalive does (an application's timeout). */
  serverCloseAfter?: number;
  /** The server probes a connection itself after this long idle (its own keepalive, ms). */
  serverKeepalive?: number;
  /** Connections refused from this one on (1-based). */
  refuseFrom?: number;
}

export interface Simulation {
  result: SearchResult;
  events: SearchEvent[];
  /** Simulated ms until the search ended. */
  elapsed: number;
  /** Most connections open at any moment, as the simulated kernel saw them. */
  mostOpen: number;
  /** Set when the search asked for a connection the path refused. */
  refused?: number;
}

interface SimConnection {
  openedAt: number;
  /** When the client last heard from the server. */
  heardAt: number;
  /** When the NAT last saw a packet of this connection. */
  natRefresh: number;
  /** TCP_KEEPIDLE as set (ms); parked: far away. */
  idle: number;
  /** When the next probe leaves. */
  probeAt: number;
  /** A probe that went unanswered, and when the kernel gives up. */
  probesOut: number;
  diesAt?: number;
  open: boolean;
}

const PARK = 32767000;
const INTERVAL = 5000;
const TICK = 50;

export function simulate(path: SimulatedPath, config: SearchConfig, limit = 4 * 3600_000): Simulation {
  const rtt = path.rtt ?? 1;
  const search = new IdleSearch(config, 0);
  const connections = new Map<number, SimConnection>();
  const events: SearchEvent[] = [];
  let mostOpen = 0;
  let opened = 0;
  let refused: number | undefined;
  for (let now = 0; now <= limit; now += TICK) {
    // The kernel and the path, up to now.
    for (const [id, connection] of connections) {
      if (!connection.open) continue;
      if (connection.diesAt !== undefined && now >= connection.diesAt) {
        connection.open = false;
        search.ended(id, now, 'timed out');
        continue;
      }
      // The server's FIN, or its own probe, passes the NAT only if the NAT still knows the connection.
      const known = (at: number): boolean => at - connection.natRefresh < path.timeout;
      if (path.serverCloseAfter !== undefined && now >= connection.openedAt + path.serverCloseAfter) {
        if (known(connection.openedAt + path.serverCloseAfter)) {
          connection.open = false;
          search.ended(id, now, 'closed');
          continue;
        }
      }
      if (path.serverKeepalive !== undefined && now >= connection.natRefresh + path.serverKeepalive && known(connection.natRefresh + path.serverKeepalive)) {
        connection.natRefresh += path.serverKeepalive;
        connection.heardAt = connection.natRefresh;
        connection.probeAt = connection.heardAt + connection.idle;
      }
      if (connection.probesOut === 0 && now >= connection.probeAt) {
        const sent = connection.probeAt;
        if (sent + rtt / 2 - connection.natRefresh < path.timeout) {
          connection.natRefresh = sent + rtt;
          connection.heardAt = sent + rtt;
          connection.probeAt = connection.heardAt + connection.idle;
        } else {
          connection.probesOut = 1;
          connection.diesAt = sent + INTERVAL;
        }
      }
      search.observe(id, now, { heardAt: connection.heardAt, probes: connection.probesOut, rtt });
    }
    const actions = search.tick(now);
    events.push(...actions.events);
    for (const { id, idle } of actions.arm) {
      const connection = connections.get(id);
      if (connection === undefined || !connection.open) continue;
      connection.idle = idle;
      // Re-armed for the time left: on time, whatever the idle.
      connection.probeAt = Math.max(now, connection.heardAt + idle);
    }
    for (const id of actions.park) {
      const connection = connections.get(id);
      if (connection === undefined) continue;
      connection.idle = PARK;
      connection.probeAt = connection.heardAt + PARK;
    }
    for (const { id } of actions.close) {
      const connection = connections.get(id);
      if (connection !== undefined) connection.open = false;
    }
    for (const id of actions.open) {
      opened++;
      if (path.refuseFrom !== undefined && opened >= path.refuseFrom) {
        refused = id;
        return { result: search.result(now), events, elapsed: now, mostOpen, refused };
      }
      const connection: SimConnection = {
        openedAt: now + rtt,
        heardAt: now + rtt,
        natRefresh: now + rtt,
        idle: PARK,
        probeAt: now + rtt + PARK,
        probesOut: 0,
        open: true,
      };
      connections.set(id, connection);
      search.connected(id, now + rtt, { heardAt: now + rtt, probes: 0, rtt });
    }
    mostOpen = Math.max(mostOpen, [...connections.values()].filter((connection) => connection.open).length);
    if (actions.ending !== null) return { result: search.result(now), events, elapsed: now, mostOpen };
  }
  throw new Error(`the simulated search did not end within ${limit} ms`);
}
