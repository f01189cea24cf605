// Tests of io/socket.h and the Ring's socket operations against the real kernel: accept, recv,
// send (large sends continue past short ones), a peer that closes, shutdown ending a pending
// recv and a pending accept, address parsing, and the blocking accept and receive timeout of
// the tools' clients.
#include "io/socket.h"

#include "io/ring.h"
#include "tests/support/completion.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace sluice::io {
namespace {

using namespace std::chrono_literals;
using testing::bind;
using testing::Completion;

std::unique_ptr<Ring> make_ring() {
  Result<std::unique_ptr<Ring>> ring = Ring::create(Ring::Options{});
  EXPECT_TRUE(ring.ok()) << ring.error().to_string();
  return std::move(*ring);
}

// Runs the ring until the completion arrives (bounded: 10 s).
void wait_for(Ring& ring, const Completion& completion) {
  for (int i = 0; i < 10000 && !completion.result; ++i)
    (void)ring.run(1ms);
  ASSERT_TRUE(completion.result.has_value());
}

struct Pair {
  int listener = -1;
  int server = -1;
  int client = -1;
  ~Pair() {
    for (int fd : {listener, server, client})
      if (fd >= 0) close_socket(fd);
  }
};

void connect_pair(Ring& ring, Pair& pair) {
  Result<int> listener = listen_tcp(HostPort{"127.0.0.1", 0});
  ASSERT_TRUE(listener.ok()) << listener.error().to_string();
  pair.listener = *listener;
  Result<uint16_t> port = local_port(pair.listener);
  ASSERT_TRUE(port.ok());
  ASSERT_NE(*port, 0);

  IoOp accept_op;
  Completion accepted;
  bind(accept_op, accepted);
  ring.accept(accept_op, pair.listener);
  Result<int> client = connect_tcp(HostPort{"127.0.0.1", *port});
  ASSERT_TRUE(client.ok()) << client.error().to_string();
  pair.client = *client;
  wait_for(ring, accepted);
  ASSERT_TRUE(accepted.result->ok()) << accepted.result->error().to_string();
  pair.server = static_cast<int>(accepted.result->value());
  ASSERT_TRUE(tune_connection(pair.server).ok());
}

std::span<const std::byte> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

TEST(SocketTest, AcceptRecvSend) {
  auto ring = make_ring();
  Pair pair;
  connect_pair(*ring, pair);
  EXPECT_NE(peer_name(pair.server).find("127.0.0.1:"), std::string::npos);

  ASSERT_TRUE(send_all(pair.client, as_bytes("hello")).ok());
  std::vector<std::byte> buffer(64);
  IoOp recv_op;
  Completion received;
  bind(recv_op, received);
  ring->recv(recv_op, pair.server, buffer.data(), buffer.size());
  wait_for(*ring, received);
  ASSERT_TRUE(received.result->ok());
  ASSERT_EQ(received.result->value(), 5u);
  EXPECT_EQ(std::memcmp(buffer.data(), "hello", 5), 0);

  std::string reply = "world!";
  IoOp send_op;
  Completion sent;
  bind(send_op, sent);
  ring->send(send_op, pair.server, reply.data(), reply.size());
  wait_for(*ring, sent);
  ASSERT_TRUE(sent.result->ok());
  EXPECT_EQ(sent.result->value(), reply.size());
  std::vector<std::byte> got(reply.size());
  ASSERT_TRUE(recv_exactly(pair.client, got).ok());
  EXPECT_EQ(std::memcmp(got.data(), reply.data(), reply.size()), 0);
}

TEST(SocketTest, LargeSendCompletesWhole) {
  auto ring = make_ring();
  Pair pair;
  connect_pair(*ring, pair);
  // Far more than a socket buffer holds: the kernel takes it in short sends.
  std::vector<std::byte> data(32u << 20);
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<std::byte>(i * 31);
  std::vector<std::byte> got(data.size());
  std::thread reader([&] { ASSERT_TRUE(recv_exactly(pair.client, got).ok()); });
  IoOp send_op;
  Completion sent;
  bind(send_op, sent);
  ring->send(send_op, pair.server, data.data(), data.size());
  wait_for(*ring, sent);
  reader.join();
  ASSERT_TRUE(sent.result->ok());
  EXPECT_EQ(sent.result->value(), data.size());
  EXPECT_EQ(got, data);
}

TEST(SocketTest, PeerCloseEndsRecvWithZero) {
  auto ring = make_ring();
  Pair pair;
  connect_pair(*ring, pair);
  std::vector<std::byte> buffer(16);
  IoOp recv_op;
  Completion received;
  bind(recv_op, received);
  ring->recv(recv_op, pair.server, buffer.data(), buffer.size());
  close_socket(pair.client);
  pair.client = -1;
  wait_for(*ring, received);
  ASSERT_TRUE(received.result->ok());
  EXPECT_EQ(received.result->value(), 0u);
}

TEST(SocketTest, ShutdownEndsPendingRecv) {
  auto ring = make_ring();
  Pair pair;
  connect_pair(*ring, pair);
  std::vector<std::byte> buffer(16);
  IoOp recv_op;
  Completion received;
  bind(recv_op, received);
  ring->recv(recv_op, pair.server, buffer.data(), buffer.size());
  (void)ring->run(0ms);  // in the kernel now
  shutdown_socket(pair.server);
  wait_for(*ring, received);
  ASSERT_TRUE(received.result->ok());
  EXPECT_EQ(received.result->value(), 0u);
}

TEST(SocketTest, SendToClosedPeerIsClosedNotSignal) {
  auto ring = make_ring();
  Pair pair;
  connect_pair(*ring, pair);
  close_socket(pair.client);
  pair.client = -1;
  std::vector<std::byte> data(1u << 20);
  Completion sent;
  // The first sends may land in buffers; keep sending until the reset is seen.
  for (int i = 0; i < 50; ++i) {
    IoOp send_op;
    sent = Completion{};
    bind(send_op, sent);
    ring->send(send_op, pair.server, data.data(), data.size());
    wait_for(*ring, sent);
    if (!sent.result->ok()) break;
  }
  ASSERT_FALSE(sent.result->ok());
  EXPECT_EQ(sent.result->code(), Errc::closed) << sent.result->error().to_string();
}

TEST(SocketTest, ShutdownEndsPendingAccept) {
  auto ring = make_ring();
  Result<int> listener = listen_tcp(HostPort{"127.0.0.1", 0});
  ASSERT_TRUE(listener.ok());
  IoOp accept_op;
  Completion accepted;
  bind(accept_op, accepted);
  ring->accept(accept_op, *listener);
  (void)ring->run(0ms);
  shutdown_socket(*listener);
  wait_for(*ring, accepted);
  EXPECT_FALSE(accepted.result->ok());
  close_socket(*listener);
}

TEST(SocketTest, PortInUseIsBusy) {
  Result<int> first = listen_tcp(HostPort{"127.0.0.1", 0});
  ASSERT_TRUE(first.ok());
  Result<uint16_t> port = local_port(*first);
  ASSERT_TRUE(port.ok());
  Result<int> second = listen_tcp(HostPort{"127.0.0.1", *port});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.code(), Errc::busy) << second.error().to_string();
  close_socket(*first);
}

TEST(SocketTest, ReusePortSharesAPort) {
  ListenOptions options;
  options.reuse_port = true;
  Result<int> first = listen_tcp(HostPort{"127.0.0.1", 0}, options);
  ASSERT_TRUE(first.ok());
  Result<uint16_t> port = local_port(*first);
  ASSERT_TRUE(port.ok());
  Result<int> second = listen_tcp(HostPort{"127.0.0.1", *port}, options);
  ASSERT_TRUE(second.ok()) << second.error().to_string();
  close_socket(*first);
  close_socket(*second);
}

TEST(SocketTest, BlockingAcceptAndReceiveTimeout) {
  Result<int> listener = listen_tcp(HostPort{"127.0.0.1", 0});
  ASSERT_TRUE(listener.ok()) << listener.error().to_string();
  Result<uint16_t> port = local_port(*listener);
  ASSERT_TRUE(port.ok());
  Result<int> client = connect_tcp(HostPort{"127.0.0.1", *port});
  ASSERT_TRUE(client.ok()) << client.error().to_string();
  Result<int> server = accept_tcp(*listener);
  ASSERT_TRUE(server.ok()) << server.error().to_string();

  // Nothing is sent: the receive gives up after the timeout instead of waiting for ever.
  ASSERT_TRUE(set_recv_timeout(*client, 50ms).ok());
  std::byte byte{};
  const auto start = std::chrono::steady_clock::now();
  Result<size_t> got = recv_some(*client, std::span<std::byte>(&byte, 1));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.code(), Errc::would_block) << got.error().to_string();
  EXPECT_GE(std::chrono::steady_clock::now() - start, 40ms);

  // A byte that comes in time is received as usual.
  const std::byte sent{42};
  ASSERT_TRUE(send_all(*server, std::span<const std::byte>(&sent, 1)).ok());
  got = recv_some(*client, std::span<std::byte>(&byte, 1));
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  EXPECT_EQ(*got, 1u);
  EXPECT_EQ(byte, sent);
  close_socket(*client);
  close_socket(*server);
  close_socket(*listener);
}

TEST(SocketTest, ParseHostPort) {
  auto a = parse_host_port("127.0.0.1:9092");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 9092);
  auto b = parse_host_port("[::1]:80");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "::1");
  auto c = parse_host_port("localhost:0");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->port, 0);
  for (const char* bad :
       {"", "9092", ":9092", "host:", "host:65536", "host:12x", "::1:80", "host:-1"}) {
    auto r = parse_host_port(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.code(), Errc::invalid_argument) << bad;
  }
}

TEST(SocketTest, UnresolvableHostIsNotFound) {
  Result<int> listener = listen_tcp(HostPort{"no-such-host.invalid", 0});
  ASSERT_FALSE(listener.ok());
  EXPECT_EQ(listener.code(), Errc::not_found);
}

}  // namespace
}  // namespace sluice::io
