/*
 * The syscall floor: the same setsockopt/getsockopt calls the library makes,
 * in a plain C loop on a connected loopback TCP socket, with no runtime around
 * them. Compiled by bench/floor.js at bench time.
 *
 *   floor set N   N times: TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, SO_KEEPALIVE,
 *                 alternating two sets of values (as the JS side does)
 *   floor get N   N times: SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT,
 *                 TCP_USER_TIMEOUT
 *
 * Prints the nanoseconds per iteration of the timed loop (after a warm-up).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
  perror(what);
  exit(2);
}

static int set_int(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof value);
}

static int get_int(int fd, int level, int name, int *value) {
  socklen_t length = sizeof *value;
  return getsockopt(fd, level, name, value, &length);
}

/* A connected loopback pair; returns the client end. */
static int connected_client(int *server_end, int *listener) {
  struct sockaddr_in address;
  socklen_t length = sizeof address;
  memset(&address, 0, sizeof address);
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  *listener = socket(AF_INET, SOCK_STREAM, 0);
  if (*listener < 0) die("socket");
  if (bind(*listener, (struct sockaddr *)&address, sizeof address) != 0) die("bind");
  if (listen(*listener, 1) != 0) die("listen");
  if (getsockname(*listener, (struct sockaddr *)&address, &length) != 0) die("getsockname");
  int client = socket(AF_INET, SOCK_STREAM, 0);
  if (client < 0) die("socket");
  if (connect(client, (struct sockaddr *)&address, sizeof address) != 0) die("connect");
  *server_end = accept(*listener, NULL, NULL);
  if (*server_end < 0) die("accept");
  return client;
}

static int set_round(int fd, long iterations) {
  static const int values[2][3] = {{5, 2, 3}, {6, 3, 4}};
  for (long i = 0; i < iterations; i++) {
    const int *v = values[i & 1];
    if (set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, v[0]) != 0 ||
        set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, v[1]) != 0 ||
        set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, v[2]) != 0 ||
        set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1) != 0) {
      return -1;
    }
  }
  return 0;
}

static volatile int sink;

static int get_round(int fd, long iterations) {
  int values[5];
  for (long i = 0; i < iterations; i++) {
    if (get_int(fd, SOL_SOCKET, SO_KEEPALIVE, &values[0]) != 0 ||
        get_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, &values[1]) != 0 ||
        get_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, &values[2]) != 0 ||
        get_int(fd, IPPROTO_TCP, TCP_KEEPCNT, &values[3]) != 0 ||
        get_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &values[4]) != 0) {
      return -1;
    }
    sink = values[0] + values[1] + values[2] + values[3] + values[4];
  }
  return 0;
}

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 3 || (strcmp(argv[1], "set") != 0 && strcmp(argv[1], "get") != 0)) {
    fprintf(stderr, "usage: %s set|get ITERATIONS\n", argv[0]);
    return 2;
  }
  long iterations = strtol(argv[2], NULL, 10);
  if (iterations <= 0) {
    fprintf(stderr, "ITERATIONS must be > 0\n");
    return 2;
  }
  int (*round)(int, long) = strcmp(argv[1], "set") == 0 ? set_round : get_round;
  int server_end, listener;
  int fd = connected_client(&server_end, &listener);
  if (round(fd, iterations / 10 + 1) != 0) die(argv[1]); /* warm-up */
  double start = now_ns();
  if (round(fd, iterations) != 0) die(argv[1]);
  double elapsed = now_ns() - start;
  printf("%.3f\n", elapsed / (double)iterations);
  close(fd);
  close(server_end);
  close(listener);
  return 0;
}
