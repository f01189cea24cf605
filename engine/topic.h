// Topic and PartitionSlot: the engine's in-memory view of a topic and of each of its
// partitions.
//
// Lifetime and threads: the engine's topic map holds shared_ptr<Topic>; producers, consumers
// and queries keep copies, so a Topic and its slots outlive a delete_topic that races with
// them. A slot's `log` belongs to its shard's thread: only the shard opens, appends to and
// closes it. Other threads reach the data only through `reader` (lock-free reads of published
// batches) and `keys` (lock-free lookups), which stay valid after the log is closed and then
// answer Errc::closed / nothing.
#pragma once

#include "partitions/key_index.h"
#include "partitions/log_reader.h"
#include "partitions/partition_log.h"

#include <sluice/topic.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sluice::engine {

class Subscription;

struct PartitionSlot {
  std::string topic;
  int32_t partition = -1;
  uint32_t shard = 0;
  bool keyed = false;

  // Shard thread only.
  std::unique_ptr<partitions::PartitionLog> log;
  std::vector<Subscription*> subscriptions;  // caught-up readers to notify on append

  // Any thread.
  std::shared_ptr<partitions::LogReader> reader;
  // Shards waiting for this partition's next append (engine/tail_waiters.h).
  std::atomic<uint64_t> tail_waiters{0};
  std::shared_ptr<partitions::KeyIndex> keys;  // keyed topics only
};

struct Topic {
  std::string name;
  TopicConfig config;
  bool internal = false;
  std::vector<std::shared_ptr<PartitionSlot>> partitions;
  // Set (release) by delete_topic before the shards close the logs; producers and consumers
  // that hold the Topic load it (acquire) and stop using it.
  std::atomic<bool> deleted{false};
};

}  // namespace sluice::engine
