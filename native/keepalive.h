// Plain POSIX socket-option code: no Node-API here.
// Every function returns 0 on success or a negative status (see below).
#ifndef TCP_KEEPALIVE_NATIVE_KEEPALIVE_H
#define TCP_KEEPALIVE_NATIVE_KEEPALIVE_H

#include <stdint.h>

// The options this library handles, in the order a set applies them.
// The order is also the index used in a failure status.
enum ka_option {
  KA_IDLE = 0,          // TCP_KEEPIDLE (Linux, FreeBSD) / TCP_KEEPALIVE (macOS), seconds
  KA_INTERVAL = 1,      // TCP_KEEPINTVL, seconds
  KA_COUNT = 2,         // TCP_KEEPCNT, probes
  KA_USER_TIMEOUT = 3,  // TCP_USER_TIMEOUT, milliseconds
  KA_ENABLE = 4,        // SO_KEEPALIVE, 0 or 1
  KA_OPTION_COUNT = 5
};

// A value of KA_UNCHANGED leaves that option as it is.
#define KA_UNCHANGED (-1)

// A failure status is -(errno | option << 16): the low 16 bits carry errno,
// the next bits the ka_option whose syscall failed.
#define KA_FAILURE(err, option) (-((err) | ((option) << 16)))

// The system's name for each option, or a null pointer where the platform
// lacks it (its headers do not define it).
const char* ka_option_name(int option);

// The largest value the kernel accepts for each option, in its own unit.
int32_t ka_option_max(int option);

// Applies values[KA_IDLE .. KA_ENABLE] to fd, one setsockopt per value that
// is not KA_UNCHANGED, in enum order, stopping at the first failure.
int ka_set(int fd, const int32_t values[KA_OPTION_COUNT]);

// Reads every option the platform has into values (KA_UNCHANGED for the
// ones it lacks), one getsockopt each, stopping at the first failure.
int ka_get(int fd, int32_t values[KA_OPTION_COUNT]);

// The system-wide values that apply to sockets with no per-socket setting,
// in the units the platform keeps them (idle and interval: KA_DEFAULT_TIME_UNIT_MS
// milliseconds each; count: probes); -1 where the platform has no such setting. Linux reads /proc/sys/net/ipv4/tcp_keepalive_* of the
// caller's network namespace; macOS and FreeBSD the net.inet.tcp sysctls.
enum ka_default { KA_DEFAULT_IDLE = 0, KA_DEFAULT_INTERVAL = 1, KA_DEFAULT_COUNT = 2, KA_DEFAULT_FIELDS = 3 };
// Returns 0 or KA_FAILURE(errno, ka_default) for the value it could not read.
int ka_system_defaults(int32_t out[KA_DEFAULT_FIELDS]);
// Milliseconds per unit of ka_system_defaults' times: 1000 on Linux (seconds,
// so any value the kernel takes fits), 1 on macOS and FreeBSD.
int ka_default_time_unit_ms(void);

// 1 where accepted sockets inherit the listening socket's keepalive options
// (Linux copies them when it clones the socket), 0 where that is not known.
int ka_accept_inherits(void);

// Live state of a connection, for getKeepaliveStatus (Linux: TCP_INFO plus
// the SIOCOUTQ/SIOCOUTQNSD queue sizes). Index into ka_status's output.
enum ka_status_field {
  KA_STATUS_STATE = 0,            // tcpi_state (see ka_tcp_state_name)
  KA_STATUS_PROBES = 1,           // tcpi_probes: unanswered keepalive/zero-window probes
  KA_STATUS_RETRANSMITS = 2,      // tcpi_retransmits: unanswered retransmissions in a row
  KA_STATUS_LAST_DATA_SENT = 3,   // ms since data was last sent
  KA_STATUS_LAST_DATA_RECV = 4,   // ms since data was last received
  KA_STATUS_LAST_ACK_RECV = 5,    // ms since an ACK was last received
  KA_STATUS_UNACKED_SEGMENTS = 6, // tcpi_unacked
  KA_STATUS_RTT = 7,              // smoothed round-trip time, microseconds
  KA_STATUS_RTO = 8,              // retransmission timeout, microseconds
  KA_STATUS_SEND_QUEUE = 9,       // bytes not yet acknowledged or not yet sent (SIOCOUTQ)
  KA_STATUS_NOT_SENT = 10,        // bytes not yet sent (SIOCOUTQNSD)
  KA_STATUS_FIELD_COUNT = 11
};

// Which read of ka_status failed, in its failure status.
enum ka_status_read { KA_READ_TCP_INFO = 0, KA_READ_OUTQ = 1, KA_READ_OUTQ_NOT_SENT = 2 };

// 1 where ka_status works on this platform, 0 elsewhere.
int ka_status_available(void);

// The kernel's name for TCP state number `state` (ESTABLISHED, CLOSE_WAIT, …),
// or a null pointer past the last one.
const char* ka_tcp_state_name(int state);

// Fills out[KA_STATUS_FIELD_COUNT]. Returns 0 or KA_FAILURE(errno, ka_status_read).
int ka_status(int fd, uint32_t out[KA_STATUS_FIELD_COUNT]);

#endif
