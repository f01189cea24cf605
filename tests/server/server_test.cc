// Tests of the server's transport (server/server.h, server/net/): listeners on every shard,
// connections on io_uring carrying a Session's bytes. A line-echo session stands in for the
// protocols: it answers each line, pipelined lines in order, and delays lines that start with
// "slow" until a later poll, as a long poll would.
#include "server/server.h"

#include "io/socket.h"
#include "server/metrics.h"
#include "server/shard_context.h"
#include "tests/engine/engine_test_env.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <deque>
#include <string>
#include <thread>
#include <vector>

namespace sluice::server {
namespace {

using namespace std::chrono_literals;

// Echoes each '\n'-terminated line as "echo: LINE\n". A line "slow N" is answered after N ms; a
// line "close" is answered, then the session asks to close. At most 4 lines in flight.
class EchoSession : public Session {
 public:
  explicit EchoSession(ShardContext& context) : context_(context) {}

  size_t on_input(std::span<const std::byte> input) override {
    size_t used = 0;
    const char* data = reinterpret_cast<const char*>(input.data());
    while (used < input.size() && pending_.size() < 4 && !close_) {
      const void* nl = std::memchr(data + used, '\n', input.size() - used);
      if (nl == nullptr) break;
      size_t end = static_cast<size_t>(static_cast<const char*>(nl) - data);
      std::string line(data + used, end - used);
      used = end + 1;
      Pending p;
      p.reply = "echo: " + line + "\n";
      if (line.rfind("slow ", 0) == 0) p.ready_ms = context_.now_ms() + std::stoi(line.substr(5));
      if (line == "close") close_after_ = true;
      pending_.push_back(std::move(p));
    }
    move_on(context_.now_ms());
    return used;
  }
  size_t poll(int64_t now_ms) override { return move_on(now_ms); }
  std::span<const std::byte> pending_output() override {
    if (sending_.empty()) sending_.swap(output_);
    return {reinterpret_cast<const std::byte*>(sending_.data()), sending_.size()};
  }
  void sent(size_t bytes) override {
    ASSERT_EQ(bytes, sending_.size());
    sending_.clear();
  }
  bool has_output() const override { return !output_.empty() || !sending_.empty(); }
  bool input_paused() const override { return pending_.size() >= 4; }
  bool should_close() const override { return close_; }
  void input_closed() override {}
  size_t in_flight() const override { return pending_.size(); }

 private:
  struct Pending {
    std::string reply;
    int64_t ready_ms = 0;
  };
  size_t move_on(int64_t now_ms) {
    size_t done = 0;
    while (!pending_.empty() && pending_.front().ready_ms <= now_ms) {
      output_ += pending_.front().reply;
      pending_.pop_front();
      ++done;
      if (close_after_ && pending_.empty()) close_ = true;
    }
    return done;
  }

  ShardContext& context_;
  std::deque<Pending> pending_;
  std::string output_;
  std::string sending_;
  bool close_after_ = false;
  bool close_ = false;
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = testing::open_engine(testing::engine_options(dir_.path(), 2));
    ASSERT_NE(engine_, nullptr);
  }
  void start(ServerOptions options = {}) {
    options.kafka.port = 0;
    options.http.port = 0;
    SessionFactories factories;
    factories.kafka = [](ShardContext& context, const std::string&) {
      return std::make_shared<EchoSession>(context);
    };
    Result<std::unique_ptr<Server>> server = Server::start(*engine_, options, factories);
    ASSERT_TRUE(server.ok()) << server.error().to_string();
    server_ = std::move(*server);
    ASSERT_NE(server_->kafka_port(), 0);
    EXPECT_EQ(server_->http_port(), 0);  // no HTTP factory: no listener
  }
  int connect() {
    Result<int> fd = io::connect_tcp(io::HostPort{"127.0.0.1", server_->kafka_port()});
    EXPECT_TRUE(fd.ok()) << fd.error().to_string();
    return fd.ok() ? *fd : -1;
  }
  static void send(int fd, const std::string& text) {
    ASSERT_TRUE(
        io::send_all(fd, {reinterpret_cast<const std::byte*>(text.data()), text.size()}).ok());
  }
  // Reads until `expected` bytes came (or the peer closed).
  static std::string receive(int fd, size_t expected) {
    std::string out;
    std::vector<std::byte> buffer(4096);
    while (out.size() < expected) {
      Result<size_t> n = io::recv_some(fd, buffer);
      if (!n.ok() || *n == 0) break;
      out.append(reinterpret_cast<const char*>(buffer.data()), *n);
    }
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Server> server_;
};

TEST_F(ServerTest, EchoesPipelinedLinesInOrder) {
  start();
  int fd = connect();
  send(fd, "a\nslow 30\nb\n");
  std::string expected = "echo: a\necho: slow 30\necho: b\n";
  EXPECT_EQ(receive(fd, expected.size()), expected);
  io::close_socket(fd);
}

TEST_F(ServerTest, ManyConnectionsAcrossShards) {
  start();
  std::vector<int> fds;
  for (int i = 0; i < 32; ++i)
    fds.push_back(connect());
  for (int i = 0; i < 32; ++i)
    send(fds[i], "hello " + std::to_string(i) + "\n");
  for (int i = 0; i < 32; ++i) {
    std::string expected = "echo: hello " + std::to_string(i) + "\n";
    EXPECT_EQ(receive(fds[i], expected.size()), expected);
  }
  EXPECT_EQ(server_->metrics().connections_accepted.value(), 32u);
  for (int fd : fds)
    io::close_socket(fd);
}

TEST_F(ServerTest, RequestSplitAcrossReadsAndLargeInput) {
  start();
  int fd = connect();
  send(fd, "par");
  std::this_thread::sleep_for(10ms);
  send(fd, "tial\n");
  std::string big(300000, 'x');
  send(fd, big + "\n");
  std::string expected = "echo: partial\necho: " + big + "\n";
  EXPECT_EQ(receive(fd, expected.size()), expected);
  io::close_socket(fd);
}

TEST_F(ServerTest, SessionAskingToCloseClosesAfterItsAnswer) {
  start();
  int fd = connect();
  send(fd, "close\n");
  std::string got = receive(fd, 1000);  // until the server closes
  EXPECT_EQ(got, "echo: close\n");
  io::close_socket(fd);
}

TEST_F(ServerTest, ClientCloseWithRequestInFlightIsHarmless) {
  start();
  int fd = connect();
  send(fd, "slow 50\n");
  io::close_socket(fd);
  std::this_thread::sleep_for(100ms);
  int again = connect();
  send(again, "ok\n");
  EXPECT_EQ(receive(again, 9), "echo: ok\n");
  io::close_socket(again);
}

TEST_F(ServerTest, StopLetsRequestsInFlightFinish) {
  start();
  int fd = connect();
  send(fd, "slow 200\n");
  std::this_thread::sleep_for(50ms);  // the request is in
  std::thread stopper([&] { server_->stop(); });
  std::string got = receive(fd, 1000);
  stopper.join();
  EXPECT_EQ(got, "echo: slow 200\n");
  // The listener is gone.
  Result<int> refused = io::connect_tcp(io::HostPort{"127.0.0.1", server_->kafka_port()});
  EXPECT_FALSE(refused.ok());
  if (refused.ok()) io::close_socket(*refused);
  io::close_socket(fd);
}

TEST_F(ServerTest, StopCutsConnectionsPastTheGrace) {
  start();
  int fd = connect();
  send(fd, "slow 60000\n");
  std::this_thread::sleep_for(50ms);
  auto begin = std::chrono::steady_clock::now();
  server_->stop(100ms);
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 10s);
  EXPECT_EQ(receive(fd, 1000), "");
  io::close_socket(fd);
}

TEST_F(ServerTest, ConnectionsOverTheLimitAreClosed) {
  ServerOptions options;
  options.max_connections = 2;
  start(options);
  int a = connect();
  int b = connect();
  send(a, "x\n");
  send(b, "y\n");
  EXPECT_EQ(receive(a, 8), "echo: x\n");
  EXPECT_EQ(receive(b, 8), "echo: y\n");
  int c = connect();  // accepted by the kernel, then closed by the server
  EXPECT_EQ(receive(c, 1), "");
  EXPECT_GE(server_->metrics().connections_rejected.value(), 1u);
  for (int fd : {a, b, c})
    io::close_socket(fd);
}

TEST_F(ServerTest, PortInUseFailsToStart) {
  start();
  ServerOptions options;
  SessionFactories factories;
  factories.kafka = [](ShardContext& context, const std::string&) {
    return std::make_shared<EchoSession>(context);
  };
  // A port held by a listener without SO_REUSEPORT cannot be shared: the bind fails before
  // anything is attached to the engine's shards.
  Result<int> taken = io::listen_tcp(io::HostPort{"127.0.0.1", 0});
  ASSERT_TRUE(taken.ok());
  Result<uint16_t> port = io::local_port(*taken);
  ASSERT_TRUE(port.ok());
  options.kafka.port = *port;
  Result<std::unique_ptr<Server>> second = Server::start(*engine_, options, factories);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.code(), Errc::busy) << second.error().to_string();
  io::close_socket(*taken);
}

// A second server on the port of a running one (both SO_REUSEPORT groups) must not share it:
// the kernel would hand each some of the connections.
TEST_F(ServerTest, PortOfAnotherServerFailsToStart) {
  start();
  ServerOptions options;
  SessionFactories factories;
  factories.kafka = [](ShardContext& context, const std::string&) {
    return std::make_shared<EchoSession>(context);
  };
  options.kafka.port = server_->kafka_port();
  Result<std::unique_ptr<Server>> second = Server::start(*engine_, options, factories);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.code(), Errc::busy) << second.error().to_string();
  EXPECT_NE(second.error().message().find("already in use"), std::string::npos)
      << second.error().to_string();
}

}  // namespace
}  // namespace sluice::server
