// TCP sockets: the synchronous set-up calls around the Ring's accept, recv and send. A listener
// is made here, then served on a shard's Ring; clients in tests and tools connect here too.
//
// Addresses are "HOST:PORT" with HOST an IPv4 address, a bracketed IPv6 address ("[::1]:9092")
// or a name resolved once at start ("localhost:9092"). Port 0 asks for any free port
// (local_port() tells which).
//
// Thread-safety: plain system calls on caller-owned descriptors; any thread.
#pragma once

#include <sluice/result.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace sluice::io {

struct HostPort {
  std::string host;
  uint16_t port = 0;
};

// Parses "HOST:PORT" (see above). invalid_argument names what is wrong.
Result<HostPort> parse_host_port(std::string_view text);

struct ListenOptions {
  int backlog = 1024;
  // SO_REUSEPORT: several listeners on one port, the kernel spreading connections among them
  // (one per shard).
  bool reuse_port = false;
};

// A listening TCP socket (SO_REUSEADDR, close-on-exec, blocking: its accepts go through a
// Ring). Errors: busy (the port is taken), invalid_argument (an address not of this host),
// not_found (a name that does not resolve).
Result<int> listen_tcp(const HostPort& address, const ListenOptions& options = {});
// Busy when something listens on the address already, even a group of SO_REUSEPORT listeners
// that a listen_tcp with reuse_port would silently join (another process's, which would then
// receive part of the connections): binds a probe socket without SO_REUSEPORT and closes it.
Result<void> check_port_free(const HostPort& address);
// The port a socket is bound to.
Result<uint16_t> local_port(int fd);
// "127.0.0.1:53412": the peer of a connected socket, for logs and group member hosts.
std::string peer_name(int fd);
// TCP_NODELAY (responses leave at once, not after Nagle's delay), and socket buffer sizes.
Result<void> tune_connection(int fd);
// Ends the socket's traffic both ways: a recv waiting on it completes with 0, a send with
// Errc::closed, an accept with an error. Errors are ignored (the peer may be gone already).
void shutdown_socket(int fd);
// Ends only the receiving side: a pending recv completes with 0; sends still go out.
void shutdown_socket_read(int fd);
// Closes a descriptor (EINTR is not retried: on Linux the descriptor is gone either way).
void close_socket(int fd);

// ---- Blocking clients (tests and tools; never on a shard thread) ----

// Connects (blocking) with TCP_NODELAY.
Result<int> connect_tcp(const HostPort& address);
// Waits for and accepts one connection on a listener (listen_tcp), without a Ring: for tests
// and tools that play a server in a thread of their own.
Result<int> accept_tcp(int listener);
// Sends all of data (MSG_NOSIGNAL).
Result<void> send_all(int fd, std::span<const std::byte> data);
// Receives exactly out.size() bytes; Errc::closed if the peer closes first.
Result<void> recv_exactly(int fd, std::span<std::byte> out);
// Receives what is there (at least one byte, waiting for it); 0 when the peer closed.
// Errc::would_block when a receive timeout (below) ran out first.
Result<size_t> recv_some(int fd, std::span<std::byte> out);
// Bounds every later wait of recv_some and recv_exactly on `fd` (SO_RCVTIMEO): one that
// waits longer fails with Errc::would_block. Zero waits for ever (the default).
Result<void> set_recv_timeout(int fd, std::chrono::milliseconds timeout);

}  // namespace sluice::io
