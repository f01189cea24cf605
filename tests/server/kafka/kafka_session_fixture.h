// A fixture for tests that drive KafkaSessions end to end: a real Engine in a temporary
// directory, the server's ShardContext over its shard 0, and any number of clients, each a
// KafkaSession fed with encoded request frames and read back through pending_output(), as a
// connection would. Every session call runs on shard 0's thread (Shard::run), where the server
// runs it and where offload() completions arrive.
#pragma once

#include "engine/engine_impl.h"
#include "engine/shard.h"
#include "server/kafka/api_keys.h"
#include "server/kafka/kafka_session.h"
#include "server/kafka/wire.h"
#include "server/metrics.h"
#include "server/offloader.h"
#include "server/server_options.h"
#include "server/shard_context.h"
#include "tests/engine/engine_test_env.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace sluice::server::kafka::testing {

class KafkaSessionTest : public ::testing::Test {
 protected:
  // One connection's session and what it sent that the test has not read yet.
  struct Client {
    std::shared_ptr<KafkaSession> session;
    std::string client_id;
    std::vector<std::byte> received;
    int32_t next_correlation = 1;
  };

  static constexpr const char* kBrokerHost = "broker.test";
  static constexpr int32_t kBrokerPort = 19092;

  engine::Shard& shard() { return engine_->impl().shard(0); }
  template <typename F>
  auto on_shard(F&& task) {
    return shard().run(std::forward<F>(task));
  }

  void SetUp() override { open(); }
  void TearDown() override { close(); }

  void open() {
    engine_ = sluice::testing::open_engine(sluice::testing::engine_options(dir_.path(), 2));
    ASSERT_NE(engine_, nullptr);
    offloader_ = std::make_unique<Offloader>();
    ctx_ = std::make_unique<ShardContext>(*engine_, shard(), *offloader_, metrics_, options_);
    on_shard([&] { ctx_->set_broker(kBrokerHost, kBrokerPort); });
  }

  // Drops every client, then the server's parts and the engine (for a reopen).
  void close() {
    if (!engine_) return;
    on_shard([&] {
      for (auto& client : clients_)
        client->session.reset();
    });
    clients_.clear();
    offloader_.reset();  // queued work finishes; its completions find no session
    ctx_.reset();
    engine_.reset();
  }

  void reopen() {
    close();
    open();
  }

  Client& connect(std::string client_id, std::string peer = "127.0.0.1:40001") {
    auto client = std::make_unique<Client>();
    client->client_id = std::move(client_id);
    on_shard([&] { client->session = std::make_shared<KafkaSession>(*ctx_, peer); });
    clients_.push_back(std::move(client));
    return *clients_.back();
  }

  // The client's connection goes away (its session with it).
  void disconnect(Client& client) {
    on_shard([&] { client.session.reset(); });
  }

  // Sends one request (header v1: the group APIs have no flexible version we advertise).
  // Returns its correlation id.
  template <typename Encode>
  int32_t send(Client& client, ApiKey key, int16_t version, Encode encode_body) {
    const int32_t correlation = client.next_correlation++;
    std::vector<std::byte> frame;
    Writer out(&frame);
    const size_t size_at = out.reserve_int32();
    out.int16(static_cast<int16_t>(key));
    out.int16(version);
    out.int32(correlation);
    out.nullable_string(client.client_id);
    encode_body(out);
    out.patch_int32(size_at, static_cast<int32_t>(frame.size() - 4));
    const size_t used = on_shard([&] { return client.session->on_input(frame); });
    EXPECT_EQ(used, frame.size());
    return correlation;
  }

  // Polls the session once and collects what it sent.
  void pump(Client& client) {
    on_shard([&] {
      client.session->poll(ctx_->now_ms());
      while (client.session->has_output()) {
        std::span<const std::byte> out = client.session->pending_output();
        client.received.insert(client.received.end(), out.begin(), out.end());
        client.session->sent(out.size());
      }
    });
  }

  // The body of the next response if it has come; it must be `correlation`'s (responses leave
  // in request order).
  std::optional<std::vector<std::byte>> try_response(Client& client, int32_t correlation) {
    pump(client);
    std::vector<std::byte>& in = client.received;
    if (in.size() < 8) return std::nullopt;
    Reader header(std::span<const std::byte>(in).first(8));
    const int32_t size = header.int32();
    const int32_t got = header.int32();
    if (in.size() - 4 < static_cast<size_t>(size)) return std::nullopt;
    EXPECT_EQ(got, correlation);
    std::vector<std::byte> body(in.begin() + 8, in.begin() + 4 + size);
    in.erase(in.begin(), in.begin() + 4 + size);
    return body;
  }

  // Waits for response `correlation` (a deferred one is polled until it completes).
  std::vector<std::byte> wait_response(Client& client, int32_t correlation) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < until) {
      if (auto body = try_response(client, correlation)) return *body;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ADD_FAILURE() << "no response to request " << correlation;
    return {};
  }

  // Polls for a while (several of the deferred replies' poll intervals) and expects no
  // response: the request still waits for another client.
  void expect_waiting(Client& client) {
    for (int i = 0; i < 20; ++i) {
      pump(client);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    EXPECT_TRUE(client.received.empty()) << "a response came while the request should wait";
    on_shard([&] { EXPECT_EQ(client.session->in_flight(), 1u); });
  }

  // Sends a request and decodes its response.
  template <typename Response, typename Encode, typename Decode>
  Response call(Client& client, ApiKey key, int16_t version, Encode encode_body, Decode decode) {
    const int32_t correlation = send(client, key, version, encode_body);
    return decode_body<Response>(wait_response(client, correlation), decode);
  }

  template <typename Response, typename Decode>
  static Response decode_body(const std::vector<std::byte>& body, Decode decode) {
    Reader in(body);
    Result<Response> decoded = decode(in);
    EXPECT_TRUE(decoded.ok()) << decoded.error().to_string();
    return decoded.ok() ? std::move(*decoded) : Response{};
  }

  sluice::testing::TempDir dir_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Offloader> offloader_;
  Metrics metrics_;
  ServerOptions options_;
  std::unique_ptr<ShardContext> ctx_;
  std::vector<std::unique_ptr<Client>> clients_;
};

}  // namespace sluice::server::kafka::testing
