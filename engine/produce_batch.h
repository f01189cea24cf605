// ProduceBatch and Channel: what travels between a Producer and a shard.
//
// A Producer fills a ProduceBatch (an encoded Kafka v2 batch for one partition) in its own
// memory, then pushes a pointer to it through the Channel's to_shard ring. The shard appends it
// and, once the durability asked for is reached (or the append failed), fulfils the batch's
// promises and pushes the pointer back through to_producer; the producer runs the callbacks on
// its own thread and reuses the batch. So a batch is touched by one thread at a time, handed
// over by the rings' release/acquire.
//
// Thread-safety: a Channel has exactly one producer thread and one shard thread; each ring is
// single-producer single-consumer.
#pragma once

#include "engine/doorbell.h"
#include "engine/topic.h"
#include "partitions/partition_log.h"
#include "partitions/record_batch.h"

#include <sluice/durability.h>
#include <sluice/event.h>
#include <sluice/producer.h>
#include <sluice/result.h>

#include <boost/lockfree/spsc_queue.hpp>

#include <atomic>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace sluice::engine {

struct Channel;

struct ProduceBatch {
  // Producer side, before hand-over.
  std::shared_ptr<PartitionSlot> slot;
  partitions::BatchBuilder builder;
  std::span<const std::byte> bytes;  // builder.finish(), set at hand-over
  Durability durability = Durability::written;
  // (index in the batch, XXH3-64 of the key) of each keyed event, for keyed topics.
  std::vector<std::pair<int32_t, uint64_t>> key_hashes;
  // Events sent with a callback: (index in the batch, callback), run on the producer thread.
  std::vector<std::pair<int32_t, DeliveryCallback>> callbacks;
  // Events sent with the future form: (index in the batch, promise), fulfilled by the shard.
  std::vector<std::pair<int32_t, std::promise<Result<Delivery>>>> promises;
  int64_t opened_ns = 0;       // when the first event went in (linger)
  uint64_t charged_bytes = 0;  // counted against the producer's in-flight limit
  Channel* channel = nullptr;

  // Shard side, before the batch goes back.
  partitions::AppendInfo info;
  std::optional<Error> error;

  int32_t events() const { return builder.record_count(); }
  void reset() {
    slot.reset();
    builder.reset();
    bytes = {};
    key_hashes.clear();
    callbacks.clear();
    promises.clear();
    opened_ns = 0;
    charged_bytes = 0;
    info = {};
    error.reset();
  }
};

// Batches in flight per producer and shard, at most: the ring capacity both ways, so that the
// shard can always hand a completed batch back.
inline constexpr size_t kChannelCapacity = 1024;

struct Channel {
  boost::lockfree::spsc_queue<ProduceBatch*, boost::lockfree::capacity<kChannelCapacity>> to_shard;
  boost::lockfree::spsc_queue<ProduceBatch*, boost::lockfree::capacity<kChannelCapacity>>
      to_producer;
  // Rung by the shard after it pushed to to_producer. Shared: the producer may see the batch
  // and be gone before the shard's ring() returns, so the shard's reference to the channel
  // keeps the bell alive.
  std::shared_ptr<Doorbell> producer_bell;
  // Set (release) by the producer when it is done with the channel and nothing is in flight;
  // the shard (acquire) then drops it.
  std::atomic<bool> closed{false};

  // Shard thread only: a batch popped but not appended yet (the partition's tail was full).
  ProduceBatch* stalled = nullptr;
};

}  // namespace sluice::engine
