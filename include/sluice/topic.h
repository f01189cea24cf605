// Topics: a name, a number of partitions and the settings every partition of the topic shares.
//
// Names: 1 to 249 characters from [A-Za-z0-9._-], not "." or ".." (Kafka's rule). Names that
// start with "__" are internal to sluice (__consumer_offsets, ...): they are listed, described
// and read like any other, but cannot be created or deleted through the API.
//
// Thread-safety: plain values.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

// How long a failed delivery waits before the next one (queues, include/sluice/queue.h): the
// n-th retry waits min(maximum, initial * multiplier^(n-1)), times a random factor in
// [1 - jitter, 1 + jitter] so that failures of many events do not come back together.
struct RetryBackoff {
  std::chrono::milliseconds initial{1000};
  double multiplier = 2.0;  // >= 1
  std::chrono::milliseconds maximum{60000};
  double jitter = 0.2;  // 0 to 1
  friend bool operator==(const RetryBackoff&, const RetryBackoff&) = default;
};

// The queue settings of a topic; a Queue's options override them for its group.
struct QueuePolicy {
  uint32_t max_deliveries = 10;  // 1 to 1000: past it, an event is dead-lettered
  RetryBackoff retry;
  std::chrono::milliseconds lock_duration{30000};  // 1 ms to 12 h
  friend bool operator==(const QueuePolicy&, const QueuePolicy&) = default;
};

struct TopicConfig {
  int32_t partitions = 1;  // 1 to 10000
  // Retention per partition, in whole segments; -1 keeps everything.
  int64_t retention_ms = -1;
  int64_t retention_bytes = -1;
  // A partition rolls to a new segment at this size (4 MiB to 2 GiB) or age.
  uint64_t segment_bytes = 1ull << 30;
  int64_t segment_ms = 7 * 24 * 3600 * 1000ll;
  // Keep an index from key to the latest offset of each key, for Engine::latest.
  bool keyed_index = false;
  // The largest event (key + value + headers, as encoded) a producer may send: 1 byte to 64 MiB.
  uint32_t max_event_bytes = 1u << 20;
  // How groups that read the topic as a queue retry and dead-letter (include/sluice/queue.h).
  QueuePolicy queue;

  friend bool operator==(const TopicConfig&, const TopicConfig&) = default;
};

struct PartitionState {
  int32_t partition = -1;
  int64_t earliest_offset = 0;       // the first offset still stored
  int64_t latest_offset = 0;         // the next offset to be written (Kafka's high watermark)
  int64_t last_append_time_ms = -1;  // -1 when nothing was appended since the engine opened
  uint64_t size_bytes = 0;
};

struct TopicDescription {
  std::string name;
  TopicConfig config;
  std::vector<PartitionState> partitions;
};

struct TopicPartition {
  std::string topic;
  int32_t partition = -1;
  friend bool operator==(const TopicPartition&, const TopicPartition&) = default;
  friend auto operator<=>(const TopicPartition&, const TopicPartition&) = default;
};

}  // namespace sluice
