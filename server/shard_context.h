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

#include <cstdint>
#include <functional>
#include <memory>

namespace sluice::engine {
class Shard;
}

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

  // True once the server is stopping: new HTTP requests get 503, listeners are closed.
  bool stopping() const { return stopping_; }
  void set_stopping() { stopping_ = true; }

  int64_t now_ms() const;

 private:
  Engine& engine_;
  engine::Shard& shard_;
  Offloader& offloader_;
  Metrics& metrics_;
  const ServerOptions& options_;
  std::unique_ptr<Producer> producers_[3];
  bool stopping_ = false;
};

}  // namespace sluice::server
