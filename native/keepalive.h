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

#endif
