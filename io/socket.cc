#include "io/socket.h"

#include "io/assert.h"
#include "io/ring.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace sluice::io {
namespace {

struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;
};

Result<Address> resolve(const HostPort& address) {
  Address out;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out.storage);
  if (inet_pton(AF_INET, address.host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(address.port);
    out.length = sizeof(sockaddr_in);
    return out;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
  if (inet_pton(AF_INET6, address.host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(address.port);
    out.length = sizeof(sockaddr_in6);
    return out;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(address.host.c_str(), nullptr, &hints, &found);
  if (rc != 0 || found == nullptr) {
    return Error(Errc::not_found, "cannot resolve host '" + address.host +
                                      "': " + (rc != 0 ? gai_strerror(rc) : "no address"));
  }
  std::memcpy(&out.storage, found->ai_addr, found->ai_addrlen);
  out.length = found->ai_addrlen;
  freeaddrinfo(found);
  if (out.storage.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&out.storage)->sin_port = htons(address.port);
  } else {
    reinterpret_cast<sockaddr_in6*>(&out.storage)->sin6_port = htons(address.port);
  }
  return out;
}

std::string describe(const HostPort& address) {
  return address.host + ":" + std::to_string(address.port);
}

Result<void> set_int_option(int fd, int level, int name, int value, const char* what) {
  if (setsockopt(fd, level, name, &value, sizeof(value)) != 0) {
    return errno_error(errno, std::string("setsockopt ") + what);
  }
  return {};
}

}  // namespace

Result<HostPort> parse_host_port(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Error(Errc::invalid_argument, "address '" + std::string(text) + "' is not HOST:PORT");
  }
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return Error(Errc::invalid_argument,
                 "address '" + std::string(text) + "': put an IPv6 host in brackets");
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return Error(Errc::invalid_argument,
                 "address '" + std::string(text) + "': port must be 0-65535");
  }
  if (host.empty()) {
    return Error(Errc::invalid_argument, "address '" + std::string(text) + "': empty host");
  }
  return HostPort{std::string(host), static_cast<uint16_t>(port)};
}

Result<int> listen_tcp(const HostPort& address, const ListenOptions& options) {
  Result<Address> resolved = resolve(address);
  if (!resolved) return resolved.error();
  int fd = ::socket(resolved->storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno_error(errno, "socket for " + describe(address));
  auto fail = [&](Error error) -> Result<int> {
    ::close(fd);
    return error;
  };
  if (auto r = set_int_option(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR"); !r) {
    return fail(r.error());
  }
  if (options.reuse_port) {
    if (auto r = set_int_option(fd, SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT"); !r) {
      return fail(r.error());
    }
  }
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&resolved->storage), resolved->length) != 0) {
    int err = errno;
    return fail(errno_error(err, "bind " + describe(address)));
  }
  if (::listen(fd, options.backlog) != 0) {
    int err = errno;
    return fail(errno_error(err, "listen " + describe(address)));
  }
  return fd;
}

Result<void> check_port_free(const HostPort& address) {
  Result<int> probe = listen_tcp(address);
  if (!probe) {
    if (probe.code() != Errc::busy) return probe.error();
    return Error(Errc::busy,
                 describe(address) + " is already in use (another server listens there)");
  }
  ::close(*probe);
  return {};
}

Result<uint16_t> local_port(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof(storage);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    return errno_error(errno, "getsockname");
  }
  if (storage.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
  }
  return ntohs(reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port);
}

std::string peer_name(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof(storage);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return "unknown";
  char host[INET6_ADDRSTRLEN] = {};
  uint16_t port = 0;
  if (storage.ss_family == AF_INET) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
    inet_ntop(AF_INET, &v4->sin_addr, host, sizeof(host));
    port = ntohs(v4->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof(host));
  port = ntohs(v6->sin6_port);
  return "[" + std::string(host) + "]:" + std::to_string(port);
}

Result<void> tune_connection(int fd) {
  return set_int_option(fd, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
}

void shutdown_socket(int fd) {
  (void)::shutdown(fd, SHUT_RDWR);
}

void shutdown_socket_read(int fd) {
  (void)::shutdown(fd, SHUT_RD);
}

void close_socket(int fd) {
  (void)::close(fd);
}

Result<int> connect_tcp(const HostPort& address) {
  Result<Address> resolved = resolve(address);
  if (!resolved) return resolved.error();
  int fd = ::socket(resolved->storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno_error(errno, "socket for " + describe(address));
  int rc = 0;
  do {
    rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&resolved->storage), resolved->length);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    int err = errno;
    ::close(fd);
    return errno_error(err, "connect " + describe(address));
  }
  (void)tune_connection(fd);
  return fd;
}

Result<int> accept_tcp(int listener) {
  for (;;) {
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) return fd;
    if (errno != EINTR) return errno_error(errno, "accept on fd " + std::to_string(listener));
  }
}

Result<void> send_all(int fd, std::span<const std::byte> data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(errno, "send fd " + std::to_string(fd));
    }
    done += static_cast<size_t>(n);
  }
  return {};
}

Result<void> recv_exactly(int fd, std::span<std::byte> out) {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::recv(fd, out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(errno, "recv fd " + std::to_string(fd));
    }
    if (n == 0) return Error(Errc::closed, "recv fd " + std::to_string(fd) + ": peer closed");
    done += static_cast<size_t>(n);
  }
  return {};
}

Result<size_t> recv_some(int fd, std::span<std::byte> out) {
  for (;;) {
    ssize_t n = ::recv(fd, out.data(), out.size(), 0);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return errno_error(errno, "recv fd " + std::to_string(fd));
  }
}

Result<void> set_recv_timeout(int fd, std::chrono::milliseconds timeout) {
  SLUICE_ASSERT(timeout.count() >= 0);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) {
    return errno_error(errno, "setsockopt SO_RCVTIMEO fd " + std::to_string(fd));
  }
  return {};
}

}  // namespace sluice::io
