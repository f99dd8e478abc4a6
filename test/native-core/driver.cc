// The addon's native core (native/keepalive.cc) without Node: a program that
// runs each of its paths on real loopback sockets and prints what it got as
// one JSON object. test/package/musl.test.ts links it statically against musl
// (zig, the toolchain of the musl prebuilds), runs it on x64 and on arm64
// through qemu, and checks the values against the kernel's.
//
// Plain C library calls only (no C++ library), so it links with a C linker.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../native/keepalive.h"

namespace {

bool first_field = true;

void key(const char* name) {
  printf("%s\"%s\":", first_field ? "" : ",", name);
  first_field = false;
}

void print_ints(const char* name, const int32_t* values, int count) {
  key(name);
  printf("[");
  for (int i = 0; i < count; i++) printf("%s%d", i ? "," : "", values[i]);
  printf("]");
}

void print_int(const char* name, long value) {
  key(name);
  printf("%ld", value);
}

void print_string_or_null(const char* text) {
  if (text == nullptr) printf("null");
  else printf("\"%s\"", text);
}

// A failure status as {errno, option}, or 0 (success) as null.
void print_status(const char* name, int status) {
  key(name);
  if (status == 0) printf("null");
  else printf("{\"errno\":%d,\"option\":%d}", (-status) & 0xffff, (-status) >> 16);
}

void fail(const char* what) {
  fprintf(stderr, "driver: %s: %s\n", what, strerror(errno));
  _exit(2);
}

struct sockaddr_in loopback_any_port() {
  struct sockaddr_in address;
  memset(&address, 0, sizeof address);
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

int listener(struct sockaddr_in* bound) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket");
  *bound = loopback_any_port();
  if (bind(fd, reinterpret_cast<struct sockaddr*>(bound), sizeof *bound) != 0) fail("bind");
  if (listen(fd, 8) != 0) fail("listen");
  socklen_t length = sizeof *bound;
  if (getsockname(fd, reinterpret_cast<struct sockaddr*>(bound), &length) != 0) fail("getsockname");
  return fd;
}

int connected(const struct sockaddr_in* to) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket");
  if (connect(fd, reinterpret_cast<const struct sockaddr*>(to), sizeof *to) != 0) fail("connect");
  return fd;
}

int accepted(int listen_fd) {
  int fd = accept(listen_fd, nullptr, nullptr);
  if (fd < 0) fail("accept");
  return fd;
}

void print_connection_status(const char* name, int fd) {
  uint32_t out[KA_STATUS_FIELD_COUNT] = {};
  int status = ka_status(fd, out);
  key(name);
  printf("{");
  first_field = true;
  print_status("failure", status);
  if (status == 0) {
    key("state");
    print_string_or_null(ka_tcp_state_name(static_cast<int>(out[KA_STATUS_STATE])));
    print_int("probes", out[KA_STATUS_PROBES]);
    print_int("retransmits", out[KA_STATUS_RETRANSMITS]);
    print_int("unacked", out[KA_STATUS_UNACKED_SEGMENTS]);
    print_int("rto", out[KA_STATUS_RTO]);
    print_int("sendQueue", out[KA_STATUS_SEND_QUEUE]);
    print_int("notSent", out[KA_STATUS_NOT_SENT]);
  }
  printf("}");
  first_field = false;
}

}  // namespace

int main() {
  printf("{");

  // What the core knows without a socket.
  key("names");
  printf("[");
  for (int option = 0; option < KA_OPTION_COUNT; option++) {
    printf("%s", option ? "," : "");
    print_string_or_null(ka_option_name(option));
  }
  printf("]");
  int32_t maxima[KA_OPTION_COUNT];
  for (int option = 0; option < KA_OPTION_COUNT; option++) maxima[option] = ka_option_max(option);
  print_ints("max", maxima, KA_OPTION_COUNT);
  print_int("acceptInherits", ka_accept_inherits());
  print_int("statusAvailable", ka_status_available());
  print_int("defaultTimeUnitMs", ka_default_time_unit_ms());

  // System defaults (procfs of this network namespace).
  int32_t defaults[KA_DEFAULT_FIELDS] = {};
  print_status("defaultsFailure", ka_system_defaults(defaults));
  print_ints("defaults", defaults, KA_DEFAULT_FIELDS);

  struct sockaddr_in address;
  int listen_fd = listener(&address);

  // A connection never configured reads the system defaults, keepalive off.
  int client = connected(&address);
  int server_end = accepted(listen_fd);
  int32_t values[KA_OPTION_COUNT];
  print_status("freshFailure", ka_get(client, values));
  print_ints("fresh", values, KA_OPTION_COUNT);

  // Every option set, then read back.
  const int32_t wanted[KA_OPTION_COUNT] = {4, 2, 5, 9000, 1};
  print_status("setFailure", ka_set(client, wanted));
  print_status("afterSetFailure", ka_get(client, values));
  print_ints("afterSet", values, KA_OPTION_COUNT);

  // The kernel's limits: the largest values pass, one more is refused.
  const int32_t largest[KA_OPTION_COUNT] = {maxima[KA_IDLE], maxima[KA_INTERVAL], maxima[KA_COUNT], KA_UNCHANGED, KA_UNCHANGED};
  print_status("largestFailure", ka_set(client, largest));
  ka_get(client, values);
  print_ints("afterLargest", values, KA_OPTION_COUNT);
  const int32_t idle_over[KA_OPTION_COUNT] = {maxima[KA_IDLE] + 1, KA_UNCHANGED, KA_UNCHANGED, KA_UNCHANGED, KA_UNCHANGED};
  print_status("idleOverFailure", ka_set(client, idle_over));
  const int32_t count_over[KA_OPTION_COUNT] = {KA_UNCHANGED, KA_UNCHANGED, maxima[KA_COUNT] + 1, KA_UNCHANGED, KA_UNCHANGED};
  print_status("countOverFailure", ka_set(client, count_over));

  // A refused value stops the set there: idle before it applied, the rest not.
  int partial_client = connected(&address);
  int partial_server_end = accepted(listen_fd);
  const int32_t with_bad_count[KA_OPTION_COUNT] = {5, KA_UNCHANGED, 0, 1234, 1};
  print_status("partialFailure", ka_set(partial_client, with_bad_count));
  ka_get(partial_client, values);
  print_ints("afterPartial", values, KA_OPTION_COUNT);

  // Not a socket.
  int file = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (file < 0) fail("open /dev/null");
  print_status("notSocketGet", ka_get(file, values));
  print_status("notSocketSet", ka_set(file, wanted));
  close(file);

  // Accepted sockets take the listening socket's options (Linux).
  const int32_t on_listener[KA_OPTION_COUNT] = {7, 3, 6, 1234, 1};
  print_status("listenerSetFailure", ka_set(listen_fd, on_listener));
  int inheriting_client = connected(&address);
  int inheriting = accepted(listen_fd);
  print_status("inheritedFailure", ka_get(inheriting, values));
  print_ints("inherited", values, KA_OPTION_COUNT);

  // Status: a listening socket with one connection waiting to be accepted,
  // an established connection, and one whose peer closed.
  int waiting = connected(&address);
  struct pollfd ready = {listen_fd, POLLIN, 0};
  poll(&ready, 1, 2000);
  print_connection_status("listening", listen_fd);
  print_connection_status("established", client);
  close(server_end);
  // The FIN arrives as end of stream on the client.
  struct pollfd closed = {client, POLLIN, 0};
  poll(&closed, 1, 2000);
  print_connection_status("peerClosed", client);

  printf("}\n");
  close(waiting);
  close(inheriting);
  close(inheriting_client);
  close(partial_server_end);
  close(partial_client);
  close(client);
  close(listen_fd);
  return 0;
}
