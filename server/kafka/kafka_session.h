// KafkaSession: one Kafka client connection's protocol state (server/session.h). It cuts the
// input into frames (int32 size, then header and body), refuses frames above the request limit
// (the connection closes: the protocol has no way to answer a frame it cannot read), decodes
// the header, and dispatches to the API's handler (kafka/handlers.h).
//
// Responses leave in request order: each request gets a Reply in a queue, and only completed
// replies at the head are moved to the output. A handler completes its reply at once, or keeps
// it and completes it later (a produce waiting for durability, a fetch long-polling, a join
// waiting for the group), from a callback or from a step the session polls. A Produce with
// acks=0 gets no response at all, as the protocol says.
//
// Thread-safety: the shard thread only (Session's contract).
#pragma once

#include "server/kafka/request_header.h"
#include "server/kafka/wire.h"
#include "server/session.h"

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace sluice::server {
class ShardContext;
}

namespace sluice::server::kafka {

// One request's place in the response order.
struct Reply {
  int32_t correlation_id = 0;
  int16_t api_key = 0;
  int16_t api_version = 0;
  bool flexible = false;  // the response header carries tagged fields
  bool done = false;
  bool no_response = false;  // acks=0 produce: nothing is sent
  bool error = false;        // counted as a failed request
  int64_t started_us = 0;
  std::vector<std::byte> body;  // the response body (after the header)
  // A deferred reply's next step: called from poll() until it returns true (it then has
  // filled body and set done). Empty when completion comes from a callback instead.
  std::function<bool(int64_t now_ms)> step;

  // A Writer over the body.
  Writer writer() { return Writer(&body); }
  void complete() { done = true; }
};

class KafkaSession : public Session, public std::enable_shared_from_this<KafkaSession> {
 public:
  KafkaSession(ShardContext& context, std::string peer);
  ~KafkaSession() override;

  size_t on_input(std::span<const std::byte> input) override;
  size_t poll(int64_t now_ms) override;
  std::span<const std::byte> pending_output() override;
  void sent(size_t bytes) override;
  bool has_output() const override { return !sending_.empty() || !output_.empty(); }
  bool input_paused() const override;
  bool should_close() const override { return close_; }
  void input_closed() override { input_closed_ = true; }
  size_t in_flight() const override { return replies_.size(); }

  ShardContext& context() { return context_; }
  const std::string& peer() const { return peer_; }
  const std::string& client_id() const { return client_id_; }
  // Asks the connection to close (after what is queued is sent): a protocol error the
  // protocol cannot answer.
  void close_after_output() { close_ = true; }

 private:
  // Handles one frame's payload (header and body). False: the connection must close.
  bool handle_frame(std::span<const std::byte> frame);
  // Moves the completed replies at the head of the queue to the output.
  size_t flush_replies();

  ShardContext& context_;
  std::string peer_;
  std::string client_id_;
  std::deque<std::shared_ptr<Reply>> replies_;
  std::vector<std::byte> output_;   // responses not handed to the connection yet
  std::vector<std::byte> sending_;  // what the connection is sending (unchanged until sent())
  bool close_ = false;
  bool input_closed_ = false;
};

}  // namespace sluice::server::kafka
