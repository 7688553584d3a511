// Socket helpers for gatio-net: the listening socket of one driver, and lazy queries on an
// accepted one. All return >= 0 or -errno; `stage` says which system call failed so the
// boundary can name it (bind -> EADDRINUSE is "port in use").
#ifndef GATIO_NATIVE_URING_SOCKET_H_
#define GATIO_NATIVE_URING_SOCKET_H_

#include <string>

namespace gatio {
namespace uring {

// A TCP listener on host:port (IPv4 or IPv6 literal) with SO_REUSEADDR + SO_REUSEPORT, so every
// driver serving a port binds its own socket and the kernel spreads connections between them.
int ListenTcp(const std::string& host, int port, int backlog, const char** stage);
// A UDP socket bound to host:port (IPv4 or IPv6 literal) with SO_REUSEADDR + SO_REUSEPORT, so every
// driver serving the port binds its own and the kernel hashes flows between them. IPv6 sockets
// are IPV6_V6ONLY so `::1` and `127.0.0.1` can share a port number.
int BindUdp(const std::string& host, int port, const char** stage);
// A TCP (udp false) or UDP socket bound to host:port with SO_REUSEADDR + SO_REUSEPORT, not
// listening: a reservation of the port that sockets of the same user can join (reserve-port.h).
int BindSocket(const std::string& host, int port, bool udp, const char** stage);
// The bound port of a socket (for port 0).
int LocalPort(int fd);
// The peer's address as text and its port; -errno on failure.
int PeerName(int fd, std::string* address, int* port);
int SetNoDelay(int fd, bool on);

}  // namespace uring
}  // namespace gatio

#endif  // GATIO_NATIVE_URING_SOCKET_H_
