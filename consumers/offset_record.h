// One record of the internal log __consumer_offsets: a committed offset of a group, or a
// tombstone deleting some of a group's offsets (one partition, one topic or all of them).
// consumers/FORMAT.md documents every byte, with a worked example.
//
//   key   (all integers big-endian)        value
//   0  2  key_version = 1                   empty: a tombstone for the key's scope
//   2  2  group_length (1..255)             else a commit:
//   4  n  group                             0  2  value_version = 1
//   .  2  topic_length (0..249; 0: all)     2  8  offset (>= 0)
//   .  m  topic                             10 4  leader_epoch (>= -1)
//   .  4  partition (>= -1; -1: all)        14 8  commit_time_ms (>= 0)
//                                           22 2  metadata_length (0..4096)
//                                           24 k  metadata
//
// A commit's key names one partition; the tombstone of that partition has the same key, so a
// key-based compaction keeps whichever came last. Every record names one group: the engine
// writes all of a group's records to one partition of __consumer_offsets, since "later wins"
// needs their order.
//
// Thread-safety: pure functions and plain values.
#pragma once

#include <sluice/result.h>
#include <sluice/topic.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace sluice::consumers {

inline constexpr int16_t kOffsetKeyVersion = 1;
inline constexpr int16_t kOffsetValueVersion = 1;
inline constexpr size_t kOffsetKeyFixedBytes = 10;    // version, two lengths, partition
inline constexpr size_t kOffsetValueFixedBytes = 24;  // everything but the metadata

struct CommittedOffset {
  int64_t offset = 0;         // the next offset the group reads
  int32_t leader_epoch = -1;  // Kafka's committed leader epoch; -1 when unknown
  std::string metadata;       // the committer's string, up to kOffsetMetadataBytesMax bytes
  int64_t commit_time_ms = 0;
  friend bool operator==(const CommittedOffset&, const CommittedOffset&) = default;
};

struct OffsetCommit {
  std::string group;
  TopicPartition partition;
  CommittedOffset committed;
  friend bool operator==(const OffsetCommit&, const OffsetCommit&) = default;
};

// Deletes the group's offsets of one partition (topic and partition >= 0), of every partition
// of one topic (partition -1: a deleted topic) or of every topic (topic empty, partition -1: a
// deleted group).
struct OffsetTombstone {
  std::string group;
  std::string topic;
  int32_t partition = -1;
  friend bool operator==(const OffsetTombstone&, const OffsetTombstone&) = default;
};

using OffsetRecord = std::variant<OffsetCommit, OffsetTombstone>;

struct EncodedOffsetRecord {
  std::string key;
  std::string value;  // empty for a tombstone
};

// invalid_argument when a field breaks the rules above (FORMAT.md).
Result<EncodedOffsetRecord> encode_offset_record(const OffsetRecord& record);
// corruption when the bytes are truncated, too long, of an unknown version or break a rule.
// A tombstone's value may come as an empty string or as a null value passed as empty.
Result<OffsetRecord> decode_offset_record(std::string_view key, std::string_view value);

}  // namespace sluice::consumers
