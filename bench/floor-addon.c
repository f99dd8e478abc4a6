/*
 * The floor again, from inside the Node process: the same loops as floor.c in
 * a tiny addon, one Node-API call per round. Set against floor.c it shows
 * what running inside a large process costs the syscalls themselves, apart
 * from any per-call crossing. Compiled by bench/run.js at bench time.
 *
 *   setLoop(fd, n) / getLoop(fd, n): nanoseconds per iteration, or -errno.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <node_api.h>
#include <sys/socket.h>
#include <time.h>

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int set_int(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof value);
}

static int get_int(int fd, int level, int name, int *value) {
  socklen_t length = sizeof *value;
  return getsockopt(fd, level, name, value, &length);
}

static volatile int sink;

static double set_loop(int fd, int n) {
  static const int values[2][3] = {{5, 2, 3}, {6, 3, 4}};
  double start = now_ns();
  for (int i = 0; i < n; i++) {
    const int *v = values[i & 1];
    if (set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, v[0]) != 0 || set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, v[1]) != 0 ||
        set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, v[2]) != 0 || set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1) != 0) {
      return -errno;
    }
  }
  return (now_ns() - start) / n;
}

static double get_loop(int fd, int n) {
  int v[5];
  double start = now_ns();
  for (int i = 0; i < n; i++) {
    if (get_int(fd, SOL_SOCKET, SO_KEEPALIVE, &v[0]) != 0 || get_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v[1]) != 0 ||
        get_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, &v[2]) != 0 || get_int(fd, IPPROTO_TCP, TCP_KEEPCNT, &v[3]) != 0 ||
        get_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v[4]) != 0) {
      return -errno;
    }
    sink = v[0] + v[1] + v[2] + v[3] + v[4];
  }
  return (now_ns() - start) / n;
}

static napi_value run(napi_env env, napi_callback_info info, double (*loop)(int, int)) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd, n;
  napi_value result;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_int32(env, argv[1], &n) != napi_ok || n <= 0) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "expected (fd, iterations)");
    return NULL;
  }
  if (napi_create_double(env, loop(fd, n), &result) != napi_ok) return NULL;
  return result;
}

static napi_value SetLoop(napi_env env, napi_callback_info info) { return run(env, info, set_loop); }
static napi_value GetLoop(napi_env env, napi_callback_info info) { return run(env, info, get_loop); }

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "setLoop", NAPI_AUTO_LENGTH, SetLoop, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "setLoop", fn) != napi_ok ||
      napi_create_function(env, "getLoop", NAPI_AUTO_LENGTH, GetLoop, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "getLoop", fn) != napi_ok) {
    return NULL;
  }
  return exports;
}
