// ShardContext: what the sessions of one shard share. Each shard thread runs the connections
// it accepted (server/net/), and their sessions reach the engine through this context:
// - the Engine for the synchronous query path and topic metadata (never a call that blocks:
//   creating a topic, committing offsets or anything else that waits for a shard goes through
//   offload(), because a shard that waits for itself or for a shard waiting for it deadlocks);
// - one Producer per durability (sluice::Producer is per thread, and this is the thread), whose
//   channels to the other shards are the shard-to-shard rings;
// - the server's Metrics and options.
//
// Thread-safety: a ShardContext belongs to its shard thread, except offload()'s worker, which
// runs the work elsewhere and hands `done` back to the shard thread.
#pragma once

#include "server/metrics.h"
#include "server/server_options.h"

#include <sluice/durability.h>
#include <sluice/engine.h>
#include <sluice/producer.h>
#include <sluice/queue.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace sluice::engine {
class RawBatchSender;
class Shard;
}  // namespace sluice::engine

namespace sluice::server {

class Offloader;

class ShardContext {
 public:
  ShardContext(Engine& engine, engine::Shard& shard, Offloader& offloader, Metrics& metrics,
               const ServerOptions& options);
  ~ShardContext();
  ShardContext(const ShardContext&) = delete;
  ShardContext& operator=(const ShardContext&) = delete;

  Engine& engine() { return engine_; }
  engine::Shard& shard() { return shard_; }
  uint32_t shard_id() const;
  Metrics& metrics() { return metrics_; }
  const ServerOptions& options() const { return options_; }

  // This shard's producer for a durability: fails with would_block when full (a shard thread
  // never waits), linger 0. Sessions call poll_producers() through the connection's loop.
  Producer& producer(Durability durability);
  // Runs the producers' ready callbacks. Returns how many ran.
  size_t poll_producers();

  // Runs `work` on the server's worker thread (it may block: topic changes, offset commits,
  // anything that waits for a shard), then `done` on this shard's thread. `done` must check
  // that what it touches still exists (capture a weak_ptr to the session).
  void offload(std::function<void()> work, std::function<void()> done);

  // This shard's handle on the queue of (group, topic), when it has one (Engine::queue may wait
  // for shards, so handles are made through offload() and kept here with keep_queue()). At most
  // kMaxQueues handles are kept; a handle is cheap to make again.
  Queue* find_queue(std::string_view group, std::string_view topic);
  Queue* keep_queue(Queue queue);
  // Forgets a handle (its topic was deleted).
  void drop_queue(std::string_view group, std::string_view topic);
  static constexpr size_t kMaxQueues = 1024;

  // True once the server is stopping: new HTTP requests get 503, listeners are closed.
  bool stopping() const { return stopping_; }
  void set_stopping() { stopping_ = true; }

  // Steady clock, for deadlines.
  int64_t now_ms() const;

  // Where Kafka clients reach this broker (Metadata, FindCoordinator): the advertised host and
  // port, else the Kafka listener's (a wildcard listener advertises 127.0.0.1). Node id 0.
  const std::string& broker_host() const { return broker_host_; }
  int32_t broker_port() const { return broker_port_; }
  void set_broker(std::string host, int32_t port) {
    broker_host_ = std::move(host);
    broker_port_ = port;
  }

  // Sends Kafka record batches as they came (engine/raw_batch_sender.h), completions on this
  // shard's thread (sessions poll it through poll_producers()).
  engine::RawBatchSender& batch_sender();

 private:
  Engine& engine_;
  engine::Shard& shard_;
  Offloader& offloader_;
  Metrics& metrics_;
  const ServerOptions& options_;
  std::unique_ptr<Producer> producers_[3];
  std::unique_ptr<engine::RawBatchSender> batch_sender_;
  // Keyed by group '\0' topic.
  std::map<std::string, std::unique_ptr<Queue>, std::less<>> queues_;
  std::string broker_host_ = "127.0.0.1";
  int32_t broker_port_ = 9092;
  bool stopping_ = false;
};

}  // namespace sluice::server
