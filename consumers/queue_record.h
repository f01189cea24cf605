// One record of the internal log __queue_state: a change to the queue state of one group on one
// topic (consumers/queue_table.h). consumers/FORMAT.md ("Queue state records") documents every
// byte, with a worked example.
//
//   key (big-endian)                 value
//   0  2  key_version = 1            0  2  value_version = 1
//   2  2  group_length (1..255)      2  1  type (QueueRecordType)
//   4  n  group                      3  .  the type's body (FORMAT.md)
//   .  2  topic_length (1..249)
//   .  m  topic
//
// Every record of one (group, topic) goes to the same partition of __queue_state, in the order
// the changes were made: the rebuild applies them in log order.
//
// Thread-safety: pure functions and plain values.
#pragma once

#include <sluice/result.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sluice::consumers {

inline constexpr int16_t kQueueKeyVersion = 1;
inline constexpr int16_t kQueueValueVersion = 1;
// A record names at most this many events (a receive returns at most 10000).
inline constexpr uint32_t kQueueRecordEntriesMax = 100000;
inline constexpr int32_t kQueuePartitionsMax = 10000;

enum class QueueRecordType : uint8_t {
  start = 1,          // the table was made: where each partition starts
  deliver = 2,        // events locked for a delivery
  ack = 3,            // events handled (acked)
  retry = 4,          // events nacked: delivered again at their due time
  dead_lettered = 5,  // events moved to the DLQ: handled
  replayed = 6,       // DLQ events put back (each DLQ offset once)
  forget = 7,         // the topic was deleted: the table is gone
  snapshot = 8,       // one part of the table's whole state: the parts replace the table
};

struct EventPosition {
  int32_t partition = 0;
  int64_t offset = 0;
  friend bool operator==(const EventPosition&, const EventPosition&) = default;
};

struct StartRecord {
  std::vector<int64_t> offsets;  // per partition, >= 0
  friend bool operator==(const StartRecord&, const StartRecord&) = default;
};

struct DeliverEntry {
  int32_t partition = 0;
  int64_t offset = 0;
  uint32_t delivery_count = 0;  // >= 1
  uint64_t token = 0;
  bool has_key = false;
  uint64_t key_hash = 0;  // 0 when has_key is false
  friend bool operator==(const DeliverEntry&, const DeliverEntry&) = default;
};
struct DeliverRecord {
  int64_t delivered_ms = 0;     // wall clock
  int64_t lock_expires_ms = 0;  // wall clock, shared by the entries
  std::vector<DeliverEntry> entries;
  friend bool operator==(const DeliverRecord&, const DeliverRecord&) = default;
};

struct AckRecord {
  std::vector<EventPosition> events;
  friend bool operator==(const AckRecord&, const AckRecord&) = default;
};

struct RetryEntry {
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t due_ms = 0;  // wall clock
  friend bool operator==(const RetryEntry&, const RetryEntry&) = default;
};
struct RetryRecord {
  std::string reason;  // up to kQueueReasonBytesMax bytes
  std::vector<RetryEntry> entries;
  friend bool operator==(const RetryRecord&, const RetryRecord&) = default;
};

struct DeadLetteredRecord {
  std::vector<EventPosition> events;
  friend bool operator==(const DeadLetteredRecord&, const DeadLetteredRecord&) = default;
};

struct ReplayEntry {
  EventPosition dlq;     // the DLQ event replayed
  EventPosition source;  // the event put back; offset -1: it was gone, a copy was appended
  bool has_key = false;
  uint64_t key_hash = 0;
  friend bool operator==(const ReplayEntry&, const ReplayEntry&) = default;
};
struct ReplayedRecord {
  std::vector<ReplayEntry> entries;
  friend bool operator==(const ReplayedRecord&, const ReplayedRecord&) = default;
};

struct ForgetRecord {
  friend bool operator==(const ForgetRecord&, const ForgetRecord&) = default;
};

// ---- Snapshot (compaction of __queue_state) ----
// A table's whole state, written in `parts` records in a row (part 0 first) under the table's
// lock: applied only once every part arrived, it replaces the table like `start` does. A part
// holds at most kQueueSnapshotPartBytes of body, so a table of any size fits in records the
// internal topic accepts.

inline constexpr size_t kQueueSnapshotPartBytes = 1u << 20;

// The pending entry's state (the values of consumers::EntryState, `free` excluded).
enum class SnapshotEntryState : uint8_t {
  locked = 1,
  waiting = 2,
  ready = 3,
  blocked = 4,
  dead_lettering = 5,
};

struct SnapshotRange {  // handled offsets [start, end) of a partition, above its floor
  int32_t partition = 0;
  int64_t start = 0;
  int64_t end = 0;
  friend bool operator==(const SnapshotRange&, const SnapshotRange&) = default;
};

struct SnapshotEntry {
  int32_t partition = 0;
  int64_t offset = 0;
  SnapshotEntryState state = SnapshotEntryState::ready;
  uint32_t delivery_count = 0;  // >= 1 when locked
  uint64_t token = 0;           // the lock's (locked), else the last one's
  int64_t deadline_ms = 0;      // lock expiry (locked, dead_lettering) or retry due (waiting)
  int64_t first_delivered_ms = 0;
  bool has_key = false;
  uint64_t key_hash = 0;
  std::string reason;  // the last nack's, up to kQueueReasonBytesMax bytes
  friend bool operator==(const SnapshotEntry&, const SnapshotEntry&) = default;
};

struct SnapshotRecord {
  uint32_t part = 0;                    // 0 to parts - 1
  uint32_t parts = 1;                   // 1 to kQueueRecordEntriesMax
  std::vector<int64_t> floors;          // part 0: one per partition; later parts: none
  std::vector<SnapshotRange> handled;   // each part: up to kQueueRecordEntriesMax
  std::vector<SnapshotEntry> entries;   // each part: up to kQueueRecordEntriesMax
  std::vector<EventPosition> replayed;  // DLQ positions replayed; up to kQueueRecordEntriesMax
  friend bool operator==(const SnapshotRecord&, const SnapshotRecord&) = default;
};

using QueueRecordBody =
    std::variant<StartRecord, DeliverRecord, AckRecord, RetryRecord, DeadLetteredRecord,
                 ReplayedRecord, ForgetRecord, SnapshotRecord>;

struct QueueRecord {
  std::string group;
  std::string topic;
  QueueRecordBody body;
  friend bool operator==(const QueueRecord&, const QueueRecord&) = default;
};

struct EncodedQueueRecord {
  std::string key;
  std::string value;
};

QueueRecordType record_type(const QueueRecordBody& body);

// The key alone (the same for every record of a table).
std::string encode_queue_key(std::string_view group, std::string_view topic);
// invalid_argument when a field breaks a rule of FORMAT.md.
Result<EncodedQueueRecord> encode_queue_record(const QueueRecord& record);
// The value alone, for a key made once (the hot path: no key re-encoded per record).
Result<std::string> encode_queue_value(const QueueRecordBody& body);
// corruption when the bytes are cut, too long, of an unknown version or type, or break a rule.
Result<QueueRecord> decode_queue_record(std::string_view key, std::string_view value);
// The bytes of a snapshot part's body (without the 3-byte value header).
size_t snapshot_body_bytes(const SnapshotRecord& record);
size_t snapshot_entry_bytes(const SnapshotEntry& entry);
inline constexpr size_t kSnapshotPartHeaderBytes = 24;  // part, parts and the four counts
inline constexpr size_t kSnapshotRangeBytes = 20;
inline constexpr size_t kSnapshotReplayedBytes = 12;

}  // namespace sluice::consumers
