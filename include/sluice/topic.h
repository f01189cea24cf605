// Topics: a name, a number of partitions and the settings every partition of the topic shares.
//
// Names: 1 to 249 characters from [A-Za-z0-9._-], not "." or ".." (Kafka's rule). Names that
// start with "__" are internal to sluice (__consumer_offsets, ...): they are listed, described
// and read like any other, but cannot be created or deleted through the API.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

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
