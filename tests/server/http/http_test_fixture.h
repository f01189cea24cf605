// The HTTP API tests' fixture: a real Engine in a temporary directory, the server's
// ShardContext over its shard 0, and one HttpSession driven with byte strings through
// on_input(), poll() and pending_output(), as a connection would. Every session call runs on
// shard 0's thread (Shard::run), where the server runs it and where offload() completions and
// producer callbacks arrive.
#pragma once

#include "server/http/http_session.h"
#include "server/offloader.h"
#include "server/shard_context.h"
#include "tests/engine/engine_test_env.h"
#include "tests/server/http/http_response_reader.h"
#include "tests/support/temp_dir.h"

#include "engine/engine_impl.h"
#include "engine/shard.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

namespace sluice::server::http::testing {

class HttpApiTest : public ::testing::Test {
 protected:
  engine::Shard& shard() { return engine_->impl().shard(0); }

  // Runs `task` on the session's shard thread.
  template <typename F>
  auto on_shard(F&& task) {
    return shard().run(std::forward<F>(task));
  }

  void SetUp() override {
    engine_ = sluice::testing::open_engine(sluice::testing::engine_options(dir_.path(), 2));
    ASSERT_NE(engine_, nullptr);
    offloader_ = std::make_unique<Offloader>();
    ctx_ = std::make_unique<ShardContext>(*engine_, shard(), *offloader_, metrics_, options_);
    new_session();
  }

  void TearDown() override {
    on_shard([&] { session_.reset(); });
    // Offloaded work still queued finishes first (its completions find no session).
    offloader_.reset();
    ctx_.reset();  // the producers flush: every produce completion runs
  }

  // A new session (after a limit changed, or the last one closed).
  void new_session() {
    on_shard([&] { session_ = std::make_shared<HttpSession>(*ctx_); });
    unconsumed_.clear();
  }

  // Offers `bytes` (after what is left unconsumed) to the session. Returns the bytes it took.
  size_t feed(std::string_view bytes) {
    unconsumed_.append(bytes);
    const size_t used = on_shard([&] {
      return session_->on_input(std::as_bytes(std::span(unconsumed_.data(), unconsumed_.size())));
    });
    unconsumed_.erase(0, used);
    return used;
  }

  // Moves deferred work on until nothing is in flight and no unconsumed input is taken any
  // more (or `timeout`), and returns the output. Input the session paused on is offered again,
  // as a connection does.
  std::string drain(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    std::string out;
    while (true) {
      on_shard([&] { session_->poll(ctx_->now_ms()); });
      out += take_output();
      size_t used = 0;
      const bool paused = on_shard([&] { return session_->input_paused(); });
      if (!unconsumed_.empty() && !paused) used = feed("");
      if (in_flight() == 0 && used == 0) break;
      if (std::chrono::steady_clock::now() > until) {
        ADD_FAILURE() << "requests still in flight after the timeout";
        break;
      }
      if (used == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return out + take_output();
  }

  size_t in_flight() {
    return on_shard([&] { return session_->in_flight(); });
  }
  bool should_close() {
    return on_shard([&] { return session_->should_close(); });
  }
  bool input_paused() {
    return on_shard([&] { return session_->input_paused(); });
  }

  // Everything the session has to send, reported sent.
  std::string take_output() {
    return on_shard([&] {
      std::string text;
      while (session_->has_output()) {
        const auto out = session_->pending_output();
        text.append(reinterpret_cast<const char*>(out.data()), out.size());
        session_->sent(out.size());
      }
      return text;
    });
  }

  static std::string request_text(const std::string& method, const std::string& target,
                                  const std::string& body = "", const std::string& fields = "") {
    std::string text = method + " " + target + " HTTP/1.1\r\nHost: test\r\n" + fields;
    if (!body.empty() || method == "POST" || method == "PUT") {
      text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    return text + "\r\n" + body;
  }

  // One request, its one response.
  Response call(const std::string& method, const std::string& target, const std::string& body = "",
                const std::string& fields = "") {
    feed(request_text(method, target, body, fields));
    std::string out = drain();
    std::optional<Response> response = take_response(out, method == "HEAD");
    EXPECT_TRUE(response.has_value()) << "no whole response in: " << out;
    EXPECT_TRUE(out.empty()) << "more than one response: " << out;
    return response.value_or(Response{});
  }

  void create_topic(const std::string& name, int partitions, bool keyed = false) {
    const std::string body = "{\"partitions\": " + std::to_string(partitions) +
                             ", \"keyed_index\": " + (keyed ? "true" : "false") +
                             ", \"segment_bytes\": 4194304}";
    const Response response = call("PUT", "/v1/topics/" + name, body);
    ASSERT_EQ(response.status, 201) << response.body;
  }

  sluice::testing::TempDir dir_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Offloader> offloader_;
  Metrics metrics_;
  ServerOptions options_;
  std::unique_ptr<ShardContext> ctx_;
  std::shared_ptr<HttpSession> session_;
  std::string unconsumed_;
};

}  // namespace sluice::server::http::testing
