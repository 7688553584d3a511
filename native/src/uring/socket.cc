#include "socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

namespace gatio {
namespace uring {

namespace {

// socket + SO_REUSEADDR/SO_REUSEPORT (+ IPV6_V6ONLY) + bind; the shared part of TCP and UDP.
int BoundSocket(const std::string& host, int port, int type, const char** stage) {
  sockaddr_storage ss;
  memset(&ss, 0, sizeof(ss));
  socklen_t len;
  int family;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  *stage = "inet_pton";
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    family = v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof(*v4);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    family = v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof(*v6);
  } else {
    return -EINVAL;
  }
  *stage = "socket";
  int fd = socket(family, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  int one = 1;
  *stage = "setsockopt";
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
      (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)) {
    int err = -errno;
    close(fd);
    return err;
  }
  *stage = "bind";
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0) {
    int err = -errno;
    close(fd);
    return err;
  }
  return fd;
}

}  // namespace

int ListenTcp(const std::string& host, int port, int backlog, const char** stage) {
  int fd = BoundSocket(host, port, SOCK_STREAM, stage);
  if (fd < 0) return fd;
  *stage = "listen";
  if (listen(fd, backlog) < 0) {
    int err = -errno;
    close(fd);
    return err;
  }
  return fd;
}

int BindSocket(const std::string& host, int port, bool udp, const char** stage) {
  return BoundSocket(host, port, udp ? SOCK_DGRAM : SOCK_STREAM, stage);
}

int BindUdp(const std::string& host, int port, const char** stage) {
  return BoundSocket(host, port, SOCK_DGRAM, stage);
}

int LocalPort(int fd) {
  sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return -errno;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

int PeerName(int fd, std::string* address, int* port) {
  sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return -errno;
  char text[INET6_ADDRSTRLEN] = {0};
  if (ss.ss_family == AF_INET) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &v4->sin_addr, text, sizeof(text));
    *port = ntohs(v4->sin_port);
  } else {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof(text));
    *port = ntohs(v6->sin6_port);
  }
  *address = text;
  return 0;
}

int SetNoDelay(int fd, bool on) {
  int v = on ? 1 : 0;
  return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)) < 0 ? -errno : 0;
}

}  // namespace uring
}  // namespace gatio
