// The inside of Producer (include/sluice/producer.h). Private to engine/.
//
// Thread-safety: the producer's own thread only (like Producer).
#pragma once

#include "engine/engine_impl.h"
#include "engine/produce_batch.h"

#include <sluice/producer.h>

#include <chrono>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sluice {

struct Producer::Impl {
  // `internal`: may send to topics internal to sluice (the engine's own producers).
  Impl(Engine::Impl& engine, const ProducerOptions& options, bool internal);
  ~Impl();

  struct TopicEntry {
    std::shared_ptr<engine::Topic> topic;
    std::vector<engine::ProduceBatch*> open;  // the open batch of each partition, or null
    int32_t sticky = 0;                       // where key-less events go
    // Idempotent producers only: the base sequence of the next batch of each partition.
    std::vector<int32_t> next_sequence;
  };
  // The producer's channel to one shard, made on first use.
  struct Link {
    std::shared_ptr<engine::Channel> channel;
    uint32_t outstanding = 0;  // batches handed over and not back yet
    // With OnFull::fail, batches that found the channel full wait here (in order) instead of
    // the producer waiting: its thread may be the shard that must drain the channel (the
    // server's producers live on shard threads). Their bytes are already counted in
    // in_flight_bytes, which bounds this list; run_completions() pushes them as room frees.
    std::deque<engine::ProduceBatch*> backlog;
  };

  Result<void> send(std::string_view topic, Event event, DeliveryCallback done,
                    std::promise<Result<Delivery>>* promise);
  size_t poll();
  Result<void> flush(std::chrono::milliseconds timeout);

  Result<TopicEntry*> topic_entry(std::string_view name);
  Result<TopicEntry*> find_entry(std::string_view name);
  static uint64_t event_bytes(const Event& event);
  void add_event(engine::ProduceBatch& batch, const Event& event, std::optional<uint64_t> hash,
                 int64_t timestamp_ms);
  Result<void> reserve(uint64_t bytes);
  engine::ProduceBatch* acquire_batch();
  void hand_over(TopicEntry& entry, int32_t partition);
  void hand_over_all(TopicEntry& entry);
  void hand_over_lingering(int64_t now);
  bool completions_ready() const;
  bool wait_for_completion(std::chrono::steady_clock::time_point until);
  size_t run_completions();
  // Pushes a link's backlog into its channel while there is room.
  void push_backlog(Link& link, uint32_t shard_id);
  // Idempotent producers: gives the batch the producer id, epoch and the partition's next
  // sequence (at hand-over, which is the order the partition sees); after a failed batch of
  // the current epoch, moves to the next epoch (a new producer id past the last epoch) with
  // every sequence back at 0.
  void stamp(TopicEntry& entry, int32_t partition, engine::ProduceBatch& batch);
  void on_idempotent_failure(const engine::ProduceBatch& batch);
  static int64_t now_ns();

  Engine::Impl& engine;
  ProducerOptions options;
  bool internal;
  std::shared_ptr<engine::Doorbell> bell = std::make_shared<engine::Doorbell>();
  std::vector<Link> links;  // per shard
  std::map<std::string, TopicEntry, std::less<>> topics;
  std::vector<std::unique_ptr<engine::ProduceBatch>> batches;  // every batch ever made
  std::vector<engine::ProduceBatch*> free_batches;
  std::vector<partitions::RecordHeader> header_scratch;
  uint64_t in_flight_bytes = 0;
  // The earliest time an open batch's linger runs out (INT64_MAX: none is open).
  int64_t next_linger_check_ns = INT64_MAX;
  TopicEntry* last_entry = nullptr;  // the entry of the topic sent to last
  std::string last_name;
  bool in_callback = false;
  // options.idempotent: from Engine::Impl::init_producer_id() when the producer was made.
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
};

}  // namespace sluice
