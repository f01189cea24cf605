// The Kafka protocol over real sockets (server/server.h with KafkaSession): a connection that
// sends garbage, an oversized frame or a truncated frame is closed, and the server and every
// other connection go on; pipelined requests are answered in order.
#include "io/socket.h"
#include "partitions/endian.h"
#include "server/kafka/api_keys.h"
#include "server/kafka/api_versions.h"
#include "server/kafka/kafka_session.h"
#include "server/kafka/metadata.h"
#include "server/server.h"
#include "server/shard_context.h"
#include "tests/engine/engine_test_env.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice::server::kafka {
namespace {

class KafkaServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = testing::open_engine(testing::engine_options(dir_.path(), 2));
    ASSERT_NE(engine_, nullptr);
    ServerOptions options;
    options.kafka.port = 0;
    options.kafka_limits.max_request_bytes = 1 << 20;
    SessionFactories factories;
    factories.kafka = [](ShardContext& context, const std::string& peer) {
      return std::make_shared<KafkaSession>(context, peer);
    };
    Result<std::unique_ptr<Server>> server = Server::start(*engine_, options, factories);
    ASSERT_TRUE(server.ok()) << server.error().to_string();
    server_ = std::move(*server);
  }
  void TearDown() override {
    server_.reset();
    engine_.reset();
  }

  int connect() {
    Result<int> fd = io::connect_tcp(io::HostPort{"127.0.0.1", server_->kafka_port()});
    EXPECT_TRUE(fd.ok());
    return fd.ok() ? *fd : -1;
  }

  static std::vector<std::byte> api_versions_frame(int32_t correlation) {
    std::vector<std::byte> out;
    Writer w(&out);
    size_t at = w.reserve_int32();
    w.int16(static_cast<int16_t>(ApiKey::api_versions));
    w.int16(2);
    w.int32(correlation);
    w.nullable_string(std::string_view("c"));
    w.patch_int32(at, static_cast<int32_t>(out.size() - 4));
    return out;
  }

  // Reads one response frame; its correlation id, or -1 when the server closed.
  static int32_t read_response(int fd) {
    std::byte size_bytes[4];
    if (!io::recv_exactly(fd, size_bytes).ok()) return -1;
    const int32_t size = partitions::load_be<int32_t>(size_bytes);
    std::vector<std::byte> body(static_cast<size_t>(size));
    if (!io::recv_exactly(fd, body).ok()) return -1;
    return partitions::load_be<int32_t>(body.data());
  }

  // True when the server closed the connection (a read sees the end).
  static bool closed_by_server(int fd) {
    std::byte b[1];
    Result<size_t> n = io::recv_some(fd, b);
    return !n.ok() || *n == 0;
  }

  testing::TempDir dir_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Server> server_;
};

TEST_F(KafkaServerTest, PipelinedRequestsAnsweredInOrder) {
  int fd = connect();
  std::vector<std::byte> input;
  for (int32_t i = 1; i <= 20; ++i) {
    std::vector<std::byte> frame = api_versions_frame(i);
    input.insert(input.end(), frame.begin(), frame.end());
  }
  ASSERT_TRUE(io::send_all(fd, input).ok());
  for (int32_t i = 1; i <= 20; ++i)
    EXPECT_EQ(read_response(fd), i);
  io::close_socket(fd);
}

TEST_F(KafkaServerTest, BadConnectionsAreClosedOthersGoOn) {
  int good = connect();
  ASSERT_TRUE(io::send_all(good, api_versions_frame(1)).ok());
  EXPECT_EQ(read_response(good), 1);

  // Garbage: a size field of ASCII text (0x47455420 = "GET " is far above the limit).
  int garbage = connect();
  std::string http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_TRUE(
      io::send_all(garbage, {reinterpret_cast<const std::byte*>(http.data()), http.size()}).ok());
  EXPECT_TRUE(closed_by_server(garbage));

  // A frame whose header names an API we do not have.
  int unknown = connect();
  std::vector<std::byte> frame = api_versions_frame(2);
  partitions::store_be<int16_t>(frame.data() + 4, 999);
  ASSERT_TRUE(io::send_all(unknown, frame).ok());
  EXPECT_TRUE(closed_by_server(unknown));

  // A truncated frame, then the client goes away.
  int truncated = connect();
  std::vector<std::byte> part = api_versions_frame(3);
  part.resize(part.size() - 2);
  ASSERT_TRUE(io::send_all(truncated, part).ok());
  io::close_socket(truncated);

  // The first connection still works, and so do new ones.
  ASSERT_TRUE(io::send_all(good, api_versions_frame(4)).ok());
  EXPECT_EQ(read_response(good), 4);
  int fresh = connect();
  ASSERT_TRUE(io::send_all(fresh, api_versions_frame(5)).ok());
  EXPECT_EQ(read_response(fresh), 5);
  for (int fd : {good, garbage, unknown, fresh})
    io::close_socket(fd);
  EXPECT_GE(server_->metrics().kafka_request_errors.value(), 2u);
}

TEST_F(KafkaServerTest, FrameOverTheLimitCloses) {
  int fd = connect();
  std::vector<std::byte> frame(4);
  partitions::store_be<int32_t>(frame.data(), (1 << 20) + 1);
  ASSERT_TRUE(io::send_all(fd, frame).ok());
  EXPECT_TRUE(closed_by_server(fd));
  io::close_socket(fd);
}

}  // namespace
}  // namespace sluice::server::kafka
