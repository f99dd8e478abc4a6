// getKeepaliveStatus: the live state of a connection, from the kernel's TCP_INFO.
import type * as net from 'node:net';
import { backend, readUnavailable } from './backend';
import { connectedDescriptorOf } from './node-internals';

/** A TCP state as the kernel names it (netinet/tcp.h); `UNKNOWN_<n>` for a number this build does not know. */
export type TcpState =
  | 'ESTABLISHED'
  | 'SYN_SENT'
  | 'SYN_RECV'
  | 'FIN_WAIT1'
  | 'FIN_WAIT2'
  | 'TIME_WAIT'
  | 'CLOSE'
  | 'CLOSE_WAIT'
  | 'LAST_ACK'
  | 'LISTEN'
  | 'CLOSING'
  | `UNKNOWN_${number}`;

/** What `getKeepaliveStatus` returns: the connection as the kernel sees it now. */
export interface KeepaliveStatus {
  /** TCP state as the kernel names it: `'ESTABLISHED'`, `'CLOSE_WAIT'`, … */
  state: TcpState;
  /** Keepalive probes sent since the peer last answered; 0 while it answers. */
  unansweredProbes: number;
  /** Retransmissions of unacknowledged data in a row, so far unanswered. */
  retransmits: number;
  /** Milliseconds since data was last received from the peer. */
  sinceDataReceived: number;
  /** Milliseconds since the peer last acknowledged anything (answers to probes count). */
  sinceAckReceived: number;
  /** Milliseconds since data was last sent. */
  sinceDataSent: number;
  /** Bytes sent and not yet acknowledged by the peer. */
  unacknowledgedBytes: number;
  /** Bytes written but not yet sent. */
  unsentBytes: number;
  /** Segments sent and not yet acknowledged. */
  unacknowledgedSegments: number;
  /** Smoothed round-trip time, in milliseconds. */
  rtt: number;
  /** Current retransmission timeout, in milliseconds. */
  rto: number;
}

/**
 * The live state of a connected TCP socket: unanswered keepalive probes, time
 * since the peer was last heard from, bytes waiting for an acknowledgement,
 * the TCP state. What `ss -tnoi` shows, for one socket, from inside the program.
 *
 * @throws {TypeError} `ERR_INVALID_ARG_TYPE` (not a net.Socket), `ERR_INVALID_ARG_VALUE` (not TCP),
 *   `ERR_FEATURE_UNAVAILABLE_ON_PLATFORM` (no addon, or no TCP_INFO)
 * @throws {Error} `ERR_SOCKET_CLOSED`, `TCP_KEEPALIVE_SOCKET_CONNECTING`, or a system error (`errno`, `syscall`)
 */
export function getKeepaliveStatus(socket: net.Socket): KeepaliveStatus {
  const { reader } = backend();
  if (reader === null) throw readUnavailable(socket, 'getKeepaliveStatus');
  return reader.status(connectedDescriptorOf(socket));
}
