// getKeepaliveStatus: the live state of a connection, from the kernel's TCP_INFO.
import type * as net from 'node:net';
import { binding, decodeFailure, STATUS_FIELD_COUNT, StatusField, statusReads } from './binding';
import { featureUnavailable, systemError } from './errors';
import { readUnavailable } from './fallback';
import { connectedDescriptorOf } from './socket';

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

const raw = new Uint32Array(STATUS_FIELD_COUNT);

/**
 * The live state of a connected TCP socket: unanswered keepalive probes, time
 * since the peer was last heard from, bytes waiting for an acknowledgement,
 * the TCP state. What `ss -tnoi` shows, for one socket, from inside the program.
 *
 * @throws {TypeError} `ERR_INVALID_ARG_TYPE` (not a net.Socket), `ERR_INVALID_ARG_VALUE` (not TCP),
 *   `ERR_FEATURE_UNAVAILABLE_ON_PLATFORM` (no addon, or no TCP_INFO)
 * @throws {Error} `ERR_SOCKET_CLOSED`, `ERR_SOCKET_CONNECTING`, or a system error (`errno`, `syscall`)
 */
export function getKeepaliveStatus(socket: net.Socket): KeepaliveStatus {
  if (binding === null) throw readUnavailable(socket, 'getKeepaliveStatus');
  const fd = connectedDescriptorOf(socket);
  if (!binding.statusAvailable) throw featureUnavailable('getKeepaliveStatus (TCP_INFO)');
  const status = binding.status(fd, raw);
  if (status !== 0) {
    const { errno, option } = decodeFailure(status);
    const read = statusReads[option];
    throw systemError(errno, read.syscall, read.name);
  }
  const stateNumber = raw[StatusField.State];
  const queued = raw[StatusField.SendQueue];
  const notSent = raw[StatusField.NotSent];
  return {
    state: (binding.tcpStates[stateNumber] as TcpState | undefined) ?? `UNKNOWN_${stateNumber}`,
    unansweredProbes: raw[StatusField.Probes],
    retransmits: raw[StatusField.Retransmits],
    sinceDataReceived: raw[StatusField.LastDataReceived],
    sinceAckReceived: raw[StatusField.LastAckReceived],
    sinceDataSent: raw[StatusField.LastDataSent],
    unacknowledgedBytes: queued - notSent,
    unsentBytes: notSent,
    unacknowledgedSegments: raw[StatusField.UnackedSegments],
    rtt: raw[StatusField.RttMicroseconds] / 1000,
    rto: raw[StatusField.RtoMicroseconds] / 1000,
  };
}
