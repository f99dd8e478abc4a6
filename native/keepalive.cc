// Plain POSIX socket-option code: the syscalls and nothing else.
#include "keepalive.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

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
