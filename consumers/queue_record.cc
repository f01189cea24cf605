#include "consumers/queue_record.h"

#include "consumers/names.h"
#include "consumers/queue_policy.h"
#include "io/assert.h"
#include "partitions/byte_codec.h"

#include <optional>
#include <type_traits>

namespace sluice::consumers {
namespace {

constexpr size_t kDeliverEntryBytes = 33;
constexpr size_t kPositionBytes = 12;
constexpr size_t kRetryEntryBytes = 20;
constexpr size_t kReplayEntryBytes = 33;
constexpr size_t kSnapshotEntryBytesMin = 52;  // with an empty reason

using Writer = partitions::ByteWriter;
using Reader = partitions::ByteReader;

// ---- The rules, shared by encode (invalid_argument) and decode (corruption) ----

using Problem = std::optional<std::string>;

Problem position_rule(int32_t partition, int64_t offset, int64_t offset_min = 0) {
  if (partition < 0 || partition >= kQueuePartitionsMax) {
    return "partition " + std::to_string(partition);
  }
  if (offset < offset_min) return "offset " + std::to_string(offset);
  return std::nullopt;
}

Problem count_rule(size_t n, size_t low = 1) {
  if (n < low || n > kQueueRecordEntriesMax) return std::to_string(n) + " entries";
  return std::nullopt;
}

Problem key_rule(bool has_key, uint64_t key_hash) {
  if (!has_key && key_hash != 0) return std::string("a key hash without a key");
  return std::nullopt;
}

Problem rule(const StartRecord& r) {
  if (r.offsets.empty() || r.offsets.size() > static_cast<size_t>(kQueuePartitionsMax)) {
    return std::to_string(r.offsets.size()) + " partitions";
  }
  for (int64_t offset : r.offsets) {
    if (offset < 0) return "start offset " + std::to_string(offset);
  }
  return std::nullopt;
}

Problem rule(const DeliverRecord& r) {
  if (r.delivered_ms < 0 || r.lock_expires_ms < r.delivered_ms) {
    return "delivered at " + std::to_string(r.delivered_ms) + " ms, lock until " +
           std::to_string(r.lock_expires_ms);
  }
  if (auto p = count_rule(r.entries.size())) return p;
  for (const DeliverEntry& e : r.entries) {
    if (auto p = position_rule(e.partition, e.offset)) return p;
    if (e.delivery_count < 1) return std::string("delivery count 0");
    if (auto p = key_rule(e.has_key, e.key_hash)) return p;
  }
  return std::nullopt;
}

Problem rule(const std::vector<EventPosition>& events) {
  if (auto p = count_rule(events.size())) return p;
  for (const EventPosition& e : events) {
    if (auto p = position_rule(e.partition, e.offset)) return p;
  }
  return std::nullopt;
}
Problem rule(const AckRecord& r) {
  return rule(r.events);
}
Problem rule(const DeadLetteredRecord& r) {
  return rule(r.events);
}

Problem rule(const RetryRecord& r) {
  if (r.reason.size() > kQueueReasonBytesMax) {
    return "reason of " + std::to_string(r.reason.size()) + " bytes";
  }
  if (auto p = count_rule(r.entries.size())) return p;
  for (const RetryEntry& e : r.entries) {
    if (auto p = position_rule(e.partition, e.offset)) return p;
    if (e.due_ms < 0) return "due time " + std::to_string(e.due_ms);
  }
  return std::nullopt;
}

Problem rule(const ReplayedRecord& r) {
  if (auto p = count_rule(r.entries.size())) return p;
  for (const ReplayEntry& e : r.entries) {
    if (auto p = position_rule(e.dlq.partition, e.dlq.offset)) return "DLQ " + *p;
    if (auto p = position_rule(e.source.partition, e.source.offset, -1)) return p;
    if (auto p = key_rule(e.has_key, e.key_hash)) return p;
  }
  return std::nullopt;
}

Problem rule(const ForgetRecord&) {
  return std::nullopt;
}

Problem rule(const SnapshotRecord& r) {
  if (r.parts < 1 || r.parts > kQueueRecordEntriesMax || r.part >= r.parts) {
    return "part " + std::to_string(r.part) + " of " + std::to_string(r.parts);
  }
  if (r.part == 0) {
    if (r.floors.empty() || r.floors.size() > static_cast<size_t>(kQueuePartitionsMax)) {
      return std::to_string(r.floors.size()) + " partitions";
    }
  } else if (!r.floors.empty()) {
    return "floors in part " + std::to_string(r.part);
  }
  for (int64_t floor : r.floors) {
    if (floor < 0) return "floor " + std::to_string(floor);
  }
  if (auto p = count_rule(r.handled.size(), 0)) return p;
  for (const SnapshotRange& range : r.handled) {
    if (auto p = position_rule(range.partition, range.start)) return p;
    if (range.end <= range.start) {
      return "range [" + std::to_string(range.start) + ", " + std::to_string(range.end) + ")";
    }
  }
  if (auto p = count_rule(r.entries.size(), 0)) return p;
  for (const SnapshotEntry& e : r.entries) {
    if (auto p = position_rule(e.partition, e.offset)) return p;
    const auto state = static_cast<uint8_t>(e.state);
    if (state < 1 || state > 5) return "entry state " + std::to_string(state);
    if (e.state == SnapshotEntryState::locked && e.delivery_count < 1) {
      return std::string("a locked entry with delivery count 0");
    }
    if (e.deadline_ms < 0 || e.first_delivered_ms < 0) {
      return "entry times " + std::to_string(e.deadline_ms) + ", " +
             std::to_string(e.first_delivered_ms);
    }
    if (auto p = key_rule(e.has_key, e.key_hash)) return p;
    if (e.reason.size() > kQueueReasonBytesMax) {
      return "reason of " + std::to_string(e.reason.size()) + " bytes";
    }
  }
  if (auto p = count_rule(r.replayed.size(), 0)) return p;
  for (const EventPosition& e : r.replayed) {
    if (auto p = position_rule(e.partition, e.offset)) return "DLQ " + *p;
  }
  return std::nullopt;
}

Problem names_rule(std::string_view group, std::string_view topic) {
  if (!valid_group_id(group)) return "group id of " + std::to_string(group.size()) + " bytes";
  if (!valid_topic_name(topic)) return "invalid topic name '" + std::string(topic) + "'";
  return std::nullopt;
}

// ---- Bodies ----

void write_positions(Writer& w, const std::vector<EventPosition>& events) {
  w.integer(static_cast<uint32_t>(events.size()));
  for (const EventPosition& e : events) {
    w.integer(e.partition);
    w.integer(e.offset);
  }
}

void write_body(Writer& w, const StartRecord& r) {
  w.integer(static_cast<uint32_t>(r.offsets.size()));
  for (int64_t offset : r.offsets)
    w.integer(offset);
}
void write_body(Writer& w, const DeliverRecord& r) {
  w.integer(r.delivered_ms);
  w.integer(r.lock_expires_ms);
  w.integer(static_cast<uint32_t>(r.entries.size()));
  for (const DeliverEntry& e : r.entries) {
    w.integer(e.partition);
    w.integer(e.offset);
    w.integer(e.delivery_count);
    w.integer(e.token);
    w.integer(static_cast<uint8_t>(e.has_key ? 1 : 0));
    w.integer(e.key_hash);
  }
}
void write_body(Writer& w, const AckRecord& r) {
  write_positions(w, r.events);
}
void write_body(Writer& w, const DeadLetteredRecord& r) {
  write_positions(w, r.events);
}
void write_body(Writer& w, const RetryRecord& r) {
  w.string16(r.reason);
  w.integer(static_cast<uint32_t>(r.entries.size()));
  for (const RetryEntry& e : r.entries) {
    w.integer(e.partition);
    w.integer(e.offset);
    w.integer(e.due_ms);
  }
}
void write_body(Writer& w, const ReplayedRecord& r) {
  w.integer(static_cast<uint32_t>(r.entries.size()));
  for (const ReplayEntry& e : r.entries) {
    w.integer(e.dlq.partition);
    w.integer(e.dlq.offset);
    w.integer(e.source.partition);
    w.integer(e.source.offset);
    w.integer(static_cast<uint8_t>(e.has_key ? 1 : 0));
    w.integer(e.key_hash);
  }
}
void write_body(Writer&, const ForgetRecord&) {}
void write_body(Writer& w, const SnapshotRecord& r) {
  w.integer(r.part);
  w.integer(r.parts);
  w.integer(static_cast<uint32_t>(r.floors.size()));
  for (int64_t floor : r.floors)
    w.integer(floor);
  w.integer(static_cast<uint32_t>(r.handled.size()));
  for (const SnapshotRange& range : r.handled) {
    w.integer(range.partition);
    w.integer(range.start);
    w.integer(range.end);
  }
  w.integer(static_cast<uint32_t>(r.entries.size()));
  for (const SnapshotEntry& e : r.entries) {
    w.integer(e.partition);
    w.integer(e.offset);
    w.integer(static_cast<uint8_t>(e.state));
    w.integer(e.delivery_count);
    w.integer(e.token);
    w.integer(e.deadline_ms);
    w.integer(e.first_delivered_ms);
    w.integer(static_cast<uint8_t>(e.has_key ? 1 : 0));
    w.integer(e.key_hash);
    w.string16(e.reason);
  }
  write_positions(w, r.replayed);
}

size_t body_bytes(const QueueRecordBody& body) {
  return std::visit(
      [](const auto& r) -> size_t {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, StartRecord>) return 4 + 8 * r.offsets.size();
        if constexpr (std::is_same_v<T, DeliverRecord>) {
          return 20 + kDeliverEntryBytes * r.entries.size();
        }
        if constexpr (std::is_same_v<T, AckRecord> || std::is_same_v<T, DeadLetteredRecord>) {
          return 4 + kPositionBytes * r.events.size();
        }
        if constexpr (std::is_same_v<T, RetryRecord>) {
          return 6 + r.reason.size() + kRetryEntryBytes * r.entries.size();
        }
        if constexpr (std::is_same_v<T, ReplayedRecord>) {
          return 4 + kReplayEntryBytes * r.entries.size();
        }
        if constexpr (std::is_same_v<T, SnapshotRecord>) return snapshot_body_bytes(r);
        return 0;
      },
      body);
}

bool read_flag(Reader& in, bool& flag) {
  uint8_t raw = 0;
  if (!in.integer(raw, "flags")) return false;
  if (raw > 1) return in.fail("flags " + std::to_string(raw));
  flag = raw == 1;
  return true;
}

bool read_positions(Reader& in, std::vector<EventPosition>& events) {
  uint32_t n = 0;
  if (!in.count(n, kPositionBytes, 1, kQueueRecordEntriesMax, "count")) return false;
  events.resize(n);
  for (EventPosition& e : events) {
    if (!in.integer(e.partition, "partition") || !in.integer(e.offset, "offset")) return false;
  }
  return true;
}

bool read_body(Reader& in, StartRecord& r) {
  uint32_t n = 0;
  if (!in.count(n, 8, 1, kQueuePartitionsMax, "partitions")) return false;
  r.offsets.resize(n);
  for (int64_t& offset : r.offsets) {
    if (!in.integer(offset, "start offset")) return false;
  }
  return true;
}
bool read_body(Reader& in, DeliverRecord& r) {
  uint32_t n = 0;
  if (!in.integer(r.delivered_ms, "delivered_ms") ||
      !in.integer(r.lock_expires_ms, "lock_expires_ms") ||
      !in.count(n, kDeliverEntryBytes, 1, kQueueRecordEntriesMax, "count")) {
    return false;
  }
  r.entries.resize(n);
  for (DeliverEntry& e : r.entries) {
    if (!in.integer(e.partition, "partition") || !in.integer(e.offset, "offset") ||
        !in.integer(e.delivery_count, "delivery_count") || !in.integer(e.token, "token") ||
        !read_flag(in, e.has_key) || !in.integer(e.key_hash, "key_hash")) {
      return false;
    }
  }
  return true;
}
bool read_body(Reader& in, AckRecord& r) {
  return read_positions(in, r.events);
}
bool read_body(Reader& in, DeadLetteredRecord& r) {
  return read_positions(in, r.events);
}
bool read_body(Reader& in, RetryRecord& r) {
  uint32_t n = 0;
  if (!in.string16(r.reason, kQueueReasonBytesMax, "reason_length") ||
      !in.count(n, kRetryEntryBytes, 1, kQueueRecordEntriesMax, "count")) {
    return false;
  }
  r.entries.resize(n);
  for (RetryEntry& e : r.entries) {
    if (!in.integer(e.partition, "partition") || !in.integer(e.offset, "offset") ||
        !in.integer(e.due_ms, "due_ms")) {
      return false;
    }
  }
  return true;
}
bool read_body(Reader& in, ReplayedRecord& r) {
  uint32_t n = 0;
  if (!in.count(n, kReplayEntryBytes, 1, kQueueRecordEntriesMax, "count")) return false;
  r.entries.resize(n);
  for (ReplayEntry& e : r.entries) {
    if (!in.integer(e.dlq.partition, "dlq_partition") || !in.integer(e.dlq.offset, "dlq_offset") ||
        !in.integer(e.source.partition, "partition") || !in.integer(e.source.offset, "offset") ||
        !read_flag(in, e.has_key) || !in.integer(e.key_hash, "key_hash")) {
      return false;
    }
  }
  return true;
}
bool read_body(Reader&, ForgetRecord&) {
  return true;
}
bool read_body(Reader& in, SnapshotRecord& r) {
  uint32_t n = 0;
  if (!in.integer(r.part, "part") || !in.integer(r.parts, "parts") ||
      !in.count(n, 8, 0, kQueuePartitionsMax, "partitions")) {
    return false;
  }
  r.floors.resize(n);
  for (int64_t& floor : r.floors) {
    if (!in.integer(floor, "floor")) return false;
  }
  if (!in.count(n, kSnapshotRangeBytes, 0, kQueueRecordEntriesMax, "ranges")) return false;
  r.handled.resize(n);
  for (SnapshotRange& range : r.handled) {
    if (!in.integer(range.partition, "partition") || !in.integer(range.start, "start") ||
        !in.integer(range.end, "end")) {
      return false;
    }
  }
  if (!in.count(n, kSnapshotEntryBytesMin, 0, kQueueRecordEntriesMax, "entries")) return false;
  r.entries.resize(n);
  for (SnapshotEntry& e : r.entries) {
    uint8_t state = 0;
    if (!in.integer(e.partition, "partition") || !in.integer(e.offset, "offset") ||
        !in.integer(state, "state") || !in.integer(e.delivery_count, "delivery_count") ||
        !in.integer(e.token, "token") || !in.integer(e.deadline_ms, "deadline_ms") ||
        !in.integer(e.first_delivered_ms, "first_delivered_ms") || !read_flag(in, e.has_key) ||
        !in.integer(e.key_hash, "key_hash") ||
        !in.string16(e.reason, kQueueReasonBytesMax, "reason_length")) {
      return false;
    }
    e.state = static_cast<SnapshotEntryState>(state);
  }
  uint32_t replayed = 0;
  if (!in.count(replayed, kPositionBytes, 0, kQueueRecordEntriesMax, "replayed")) return false;
  r.replayed.resize(replayed);
  for (EventPosition& e : r.replayed) {
    if (!in.integer(e.partition, "dlq_partition") || !in.integer(e.offset, "dlq_offset")) {
      return false;
    }
  }
  return true;
}

template <typename T>
bool read_typed(Reader& in, QueueRecordBody& body) {
  T typed;
  if (!read_body(in, typed)) return false;
  body = std::move(typed);
  return true;
}

bool read_any(Reader& in, uint8_t type, QueueRecordBody& body) {
  switch (static_cast<QueueRecordType>(type)) {
    case QueueRecordType::start:
      return read_typed<StartRecord>(in, body);
    case QueueRecordType::deliver:
      return read_typed<DeliverRecord>(in, body);
    case QueueRecordType::ack:
      return read_typed<AckRecord>(in, body);
    case QueueRecordType::retry:
      return read_typed<RetryRecord>(in, body);
    case QueueRecordType::dead_lettered:
      return read_typed<DeadLetteredRecord>(in, body);
    case QueueRecordType::replayed:
      return read_typed<ReplayedRecord>(in, body);
    case QueueRecordType::forget:
      return read_typed<ForgetRecord>(in, body);
    case QueueRecordType::snapshot:
      return read_typed<SnapshotRecord>(in, body);
  }
  return in.fail("unknown type " + std::to_string(type));
}

bool read_version(Reader& in, int16_t expected, const char* field) {
  int16_t version = 0;
  if (!in.integer(version, field)) return false;
  if (version == expected) return true;
  return in.fail(std::string("unknown ") + field + " " + std::to_string(version));
}

}  // namespace

size_t snapshot_entry_bytes(const SnapshotEntry& entry) {
  return kSnapshotEntryBytesMin + entry.reason.size();
}

size_t snapshot_body_bytes(const SnapshotRecord& r) {
  size_t bytes = kSnapshotPartHeaderBytes + 8 * r.floors.size() +
                 kSnapshotRangeBytes * r.handled.size() +
                 kSnapshotReplayedBytes * r.replayed.size();
  for (const SnapshotEntry& e : r.entries)
    bytes += snapshot_entry_bytes(e);
  return bytes;
}

QueueRecordType record_type(const QueueRecordBody& body) {
  return static_cast<QueueRecordType>(body.index() + 1);
}

std::string encode_queue_key(std::string_view group, std::string_view topic) {
  Writer key(6 + group.size() + topic.size());
  key.integer(kQueueKeyVersion);
  key.string16(group);
  key.string16(topic);
  return key.take();
}

Result<std::string> encode_queue_value(const QueueRecordBody& body) {
  if (auto problem = std::visit([](const auto& r) { return rule(r); }, body)) {
    return Error(Errc::invalid_argument, "queue state record: " + *problem);
  }
  Writer value(3 + body_bytes(body));
  value.integer(kQueueValueVersion);
  value.integer(static_cast<uint8_t>(record_type(body)));
  std::visit([&](const auto& r) { write_body(value, r); }, body);
  return value.take();
}

Result<EncodedQueueRecord> encode_queue_record(const QueueRecord& record) {
  if (auto problem = names_rule(record.group, record.topic)) {
    return Error(Errc::invalid_argument, "queue state record: " + *problem);
  }
  Result<std::string> value = encode_queue_value(record.body);
  if (!value.ok()) return std::move(value).error();
  return EncodedQueueRecord{encode_queue_key(record.group, record.topic), std::move(*value)};
}

Result<QueueRecord> decode_queue_record(std::string_view key, std::string_view value) {
  QueueRecord record;
  Reader key_in(key, "queue state key");
  if (!read_version(key_in, kQueueKeyVersion, "key_version") ||
      !key_in.string16(record.group, kGroupIdBytesMax, "group_length") ||
      !key_in.string16(record.topic, kTopicNameBytesMax, "topic_length") || !key_in.finish()) {
    return key_in.error();
  }
  if (auto problem = names_rule(record.group, record.topic)) {
    return Error(Errc::corruption, "queue state key: " + *problem);
  }
  Reader value_in(value, "queue state value");
  uint8_t type = 0;
  if (!read_version(value_in, kQueueValueVersion, "value_version") ||
      !value_in.integer(type, "type") || !read_any(value_in, type, record.body) ||
      !value_in.finish()) {
    return value_in.error();
  }
  if (auto problem = std::visit([](const auto& r) { return rule(r); }, record.body)) {
    return Error(Errc::corruption, "queue state record: " + *problem);
  }
  return record;
}

}  // namespace sluice::consumers
