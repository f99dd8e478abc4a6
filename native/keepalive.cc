// Plain POSIX socket-option code: the syscalls and nothing else.
#include "keepalive.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#if defined(__APPLE__) || defined(__FreeBSD__)
#include <sys/sysctl.h>
#endif

#if defined(__linux__)
#include <linux/sockios.h>
#endif

#if defined(TCP_KEEPIDLE)
#define KA_IDLE_OPTNAME TCP_KEEPIDLE
#define KA_IDLE_NAME "TCP_KEEPIDLE"
#elif defined(TCP_KEEPALIVE)
// macOS names the idle time TCP_KEEPALIVE.
#define KA_IDLE_OPTNAME TCP_KEEPALIVE
#define KA_IDLE_NAME "TCP_KEEPALIVE"
#endif

// The kernel's upper bounds. Linux keeps them in include/net/tcp.h, which is
// not exported to user space, so they are stated here per platform.
#if defined(__linux__)
#define KA_IDLE_MAX 32767        // MAX_TCP_KEEPIDLE
#define KA_INTERVAL_MAX 32767    // MAX_TCP_KEEPINTVL
#define KA_COUNT_MAX 127         // MAX_TCP_KEEPCNT
#else
#define KA_IDLE_MAX (INT_MAX / 1000)
#define KA_INTERVAL_MAX (INT_MAX / 1000)
#define KA_COUNT_MAX INT_MAX
#endif

namespace {

struct option_spec {
  int level;   // 0 where the platform lacks the option
  int optname;
  const char* name;
  int32_t max;
};

const option_spec kOptions[KA_OPTION_COUNT] = {
#ifdef KA_IDLE_OPTNAME
    {IPPROTO_TCP, KA_IDLE_OPTNAME, KA_IDLE_NAME, KA_IDLE_MAX},
#else
    {0, 0, nullptr, 0},
#endif
#ifdef TCP_KEEPINTVL
    {IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL", KA_INTERVAL_MAX},
#else
    {0, 0, nullptr, 0},
#endif
#ifdef TCP_KEEPCNT
    {IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT", KA_COUNT_MAX},
#else
    {0, 0, nullptr, 0},
#endif
#ifdef TCP_USER_TIMEOUT
    {IPPROTO_TCP, TCP_USER_TIMEOUT, "TCP_USER_TIMEOUT", INT_MAX},
#else
    {0, 0, nullptr, 0},
#endif
    {SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE", 1},
};

}  // namespace

const char* ka_option_name(int option) {
  if (option < 0 || option >= KA_OPTION_COUNT) return nullptr;
  return kOptions[option].name;
}

int32_t ka_option_max(int option) {
  if (option < 0 || option >= KA_OPTION_COUNT) return 0;
  return kOptions[option].max;
}

int ka_set(int fd, const int32_t values[KA_OPTION_COUNT]) {
  for (int option = 0; option < KA_OPTION_COUNT; option++) {
    if (values[option] == KA_UNCHANGED) continue;
    const option_spec& spec = kOptions[option];
    if (spec.name == nullptr) return KA_FAILURE(ENOPROTOOPT, option);
    int value = values[option];
    if (setsockopt(fd, spec.level, spec.optname, &value, sizeof value) != 0) {
      return KA_FAILURE(errno, option);
    }
  }
  return 0;
}

int ka_get(int fd, int32_t values[KA_OPTION_COUNT]) {
  for (int option = 0; option < KA_OPTION_COUNT; option++) {
    const option_spec& spec = kOptions[option];
    if (spec.name == nullptr) {
      values[option] = KA_UNCHANGED;
      continue;
    }
    int value = 0;
    socklen_t length = sizeof value;
    if (getsockopt(fd, spec.level, spec.optname, &value, &length) != 0) {
      return KA_FAILURE(errno, option);
    }
    values[option] = value;
  }
  return 0;
}

#if defined(__linux__)

int ka_accept_inherits(void) { return 1; }

namespace {

// Reads one integer from a procfs file; returns 0 or -errno.
int read_proc_int(const char* path, int32_t* out) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  char text[32];
  ssize_t length = read(fd, text, sizeof text - 1);
  int error = length < 0 ? errno : 0;
  close(fd);
  if (length <= 0) return -(error != 0 ? error : EIO);
  text[length] = '\0';
  char* end = nullptr;
  long value = strtol(text, &end, 10);
  if (end == text || value < 0 || value > INT32_MAX) return -EIO;
  *out = static_cast<int32_t>(value);
  return 0;
}

}  // namespace

int ka_system_defaults(int32_t out[KA_DEFAULT_FIELDS]) {
  static const char* const kPaths[KA_DEFAULT_FIELDS] = {
      "/proc/sys/net/ipv4/tcp_keepalive_time",
      "/proc/sys/net/ipv4/tcp_keepalive_intvl",
      "/proc/sys/net/ipv4/tcp_keepalive_probes",
  };
  for (int field = 0; field < KA_DEFAULT_FIELDS; field++) {
    int32_t value = 0;
    int result = read_proc_int(kPaths[field], &value);
    if (result != 0) return KA_FAILURE(-result, field);
    // Seconds for the two times, as procfs holds them: any value the kernel
    // takes fits, where milliseconds would overflow (over ~24.8 days).
    out[field] = value;
  }
  return 0;
}

int ka_default_time_unit_ms(void) { return 1000; }

#elif defined(__APPLE__) || defined(__FreeBSD__)

int ka_accept_inherits(void) { return 0; }

int ka_system_defaults(int32_t out[KA_DEFAULT_FIELDS]) {
  // Both keep keepidle and keepintvl in milliseconds.
  static const char* const kNames[KA_DEFAULT_FIELDS] = {
      "net.inet.tcp.keepidle", "net.inet.tcp.keepintvl", "net.inet.tcp.keepcnt"};
  for (int field = 0; field < KA_DEFAULT_FIELDS; field++) {
    int value = 0;
    size_t length = sizeof value;
    if (sysctlbyname(kNames[field], &value, &length, nullptr, 0) != 0) {
      if (errno == ENOENT) {
        out[field] = KA_UNCHANGED;
        continue;
      }
      return KA_FAILURE(errno, field);
    }
    out[field] = value;
  }
  return 0;
}

int ka_default_time_unit_ms(void) { return 1; }

#else

int ka_accept_inherits(void) { return 0; }

int ka_system_defaults(int32_t out[KA_DEFAULT_FIELDS]) {
  for (int field = 0; field < KA_DEFAULT_FIELDS; field++) out[field] = KA_UNCHANGED;
  return 0;
}

int ka_default_time_unit_ms(void) { return 1; }

#endif

#if defined(__linux__) && defined(TCP_INFO) && defined(SIOCOUTQ) && defined(SIOCOUTQNSD)

int ka_status_available(void) { return 1; }

const char* ka_tcp_state_name(int state) {
  // The states of netinet/tcp.h's enum, by their number.
  switch (state) {
    case TCP_ESTABLISHED: return "ESTABLISHED";
    case TCP_SYN_SENT: return "SYN_SENT";
    case TCP_SYN_RECV: return "SYN_RECV";
    case TCP_FIN_WAIT1: return "FIN_WAIT1";
    case TCP_FIN_WAIT2: return "FIN_WAIT2";
    case TCP_TIME_WAIT: return "TIME_WAIT";
    case TCP_CLOSE: return "CLOSE";
    case TCP_CLOSE_WAIT: return "CLOSE_WAIT";
    case TCP_LAST_ACK: return "LAST_ACK";
    case TCP_LISTEN: return "LISTEN";
    case TCP_CLOSING: return "CLOSING";
    default: return nullptr;
  }
}

int ka_status(int fd, uint32_t out[KA_STATUS_FIELD_COUNT]) {
  struct tcp_info info = {};
  socklen_t length = sizeof info;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) != 0) {
    return KA_FAILURE(errno, KA_READ_TCP_INFO);
  }
  int queued = 0;
  int not_sent = 0;
  // A listening socket has no send queue (the ioctls refuse it with EINVAL);
  // there TCP_INFO's unacked field counts the connections waiting in the
  // accept queue, which server.ts needs.
  if (info.tcpi_state != TCP_LISTEN) {
    if (ioctl(fd, SIOCOUTQ, &queued) != 0) return KA_FAILURE(errno, KA_READ_OUTQ);
    if (ioctl(fd, SIOCOUTQNSD, &not_sent) != 0) return KA_FAILURE(errno, KA_READ_OUTQ_NOT_SENT);
  }
  out[KA_STATUS_STATE] = info.tcpi_state;
  out[KA_STATUS_PROBES] = info.tcpi_probes;
  out[KA_STATUS_RETRANSMITS] = info.tcpi_retransmits;
  out[KA_STATUS_LAST_DATA_SENT] = info.tcpi_last_data_sent;
  out[KA_STATUS_LAST_DATA_RECV] = info.tcpi_last_data_recv;
  out[KA_STATUS_LAST_ACK_RECV] = info.tcpi_last_ack_recv;
  out[KA_STATUS_UNACKED_SEGMENTS] = info.tcpi_unacked;
  out[KA_STATUS_RTT] = info.tcpi_rtt;
  out[KA_STATUS_RTO] = info.tcpi_rto;
  out[KA_STATUS_SEND_QUEUE] = static_cast<uint32_t>(queued);
  out[KA_STATUS_NOT_SENT] = static_cast<uint32_t>(not_sent);
  return 0;
}

#else

int ka_status_available(void) { return 0; }
const char* ka_tcp_state_name(int) { return nullptr; }
int ka_status(int, uint32_t[KA_STATUS_FIELD_COUNT]) { return KA_FAILURE(ENOPROTOOPT, KA_READ_TCP_INFO); }

#endif
