// The synchronous query path: reads of published events from any thread, through each
// partition's LogReader and KeyIndex, never waiting for a shard.
#include "engine/engine_impl.h"
#include "engine/record_decoding.h"

#include "partitions/key_index.h"

#include <algorithm>
#include <optional>

namespace sluice {
namespace {

// Bytes asked of the reader per round: about what max_events events need (the first batch
// comes whole even when larger), so that reading one event copies one batch, not 64 KiB.
constexpr uint64_t kEventBytesGuess = 128;
constexpr uint64_t kMaxQueryReadBytes = 64 * 1024;
constexpr uint32_t kMaxQueryEvents = 100000;
constexpr size_t kKeptBufferBytes = 1 << 20;

}  // namespace

Result<std::vector<Record>> Engine::read(std::string_view topic, int32_t partition, int64_t offset,
                                         uint32_t max_events) const {
  if (max_events == 0 || max_events > kMaxQueryEvents) {
    return Error(Errc::invalid_argument, "max_events must be 1 to " +
                                             std::to_string(kMaxQueryEvents) + ", not " +
                                             std::to_string(max_events));
  }
  Result<std::shared_ptr<engine::PartitionSlot>> slot = impl_->find_partition(topic, partition);
  if (!slot.ok()) return std::move(slot).error();
  const partitions::LogReader& reader = *(*slot)->reader;
  // The batches are copied into a buffer of the calling thread's, kept from call to call (a
  // query thread allocates nothing for them after its first read of a batch that large).
  thread_local std::vector<std::byte> bytes;
  std::vector<Record> out;
  int64_t next = offset;
  while (out.size() < max_events) {
    const uint64_t want =
        std::min<uint64_t>(kMaxQueryReadBytes, (max_events - out.size()) * kEventBytesGuess);
    Result<partitions::ReadInfo> read = reader.read_into(next, want, bytes);
    if (!read.ok()) {
      if (!out.empty()) break;  // what was read stands
      return std::move(read).error();
    }
    if (read->batches == 0) break;  // at the high watermark
    Result<engine::DecodeProgress> decoded = engine::decode_into(
        topic, partition, bytes, next, max_events - static_cast<uint32_t>(out.size()), out);
    if (!decoded.ok()) {
      if (!out.empty()) break;
      return std::move(decoded).error();
    }
    next = std::max(read->next_offset, next + 1);
    if (decoded->records > 0 && decoded->next_offset < read->next_offset) break;  // full
  }
  // One large batch does not keep a thread's megabytes for good.
  if (bytes.capacity() > kKeptBufferBytes) std::vector<std::byte>().swap(bytes);
  return out;
}

Result<PartitionState> Engine::partition_state(std::string_view topic, int32_t partition) const {
  Result<std::shared_ptr<engine::PartitionSlot>> slot = impl_->find_partition(topic, partition);
  if (!slot.ok()) return std::move(slot).error();
  const partitions::LogReader& reader = *(*slot)->reader;
  PartitionState state;
  state.partition = partition;
  state.earliest_offset = reader.start_offset();
  state.latest_offset = reader.high_watermark();
  state.last_append_time_ms = reader.last_append_time_ms();
  state.size_bytes = reader.size_bytes();
  return state;
}

Result<Record> Engine::latest(std::string_view topic, std::string_view key) const {
  Result<std::shared_ptr<engine::Topic>> found = impl_->find_topic(topic);
  if (!found.ok()) return std::move(found).error();
  const engine::Topic& t = **found;
  if (!t.config.keyed_index) {
    return Error(Errc::invalid_argument, "topic " + t.name + " has no keyed index");
  }
  // A key is not always where sluice's partitioner would put it: an explicit partition, or a
  // Kafka client's own partitioner (librdkafka's CRC-32, Java's murmur2). Every partition's
  // index is asked (a lock-free lookup each); the event is read only where the hash is known,
  // the hash partition first. When several partitions hold the key, the newest event wins
  // (by timestamp, then by partition).
  const uint64_t hash = partitions::key_hash(key);
  const auto partitions = static_cast<uint64_t>(t.config.partitions);
  std::optional<Record> best;
  for (uint64_t i = 0; i < partitions; ++i) {
    const auto partition = static_cast<int32_t>((hash + i) % partitions);
    const engine::PartitionSlot& slot = *t.partitions[static_cast<size_t>(partition)];
    const std::optional<int64_t> offset = slot.keys->get(hash);
    if (!offset) continue;
    Result<std::vector<Record>> records = read(topic, partition, *offset, 1);
    if (!records.ok()) {
      // Retention removed the key's latest event in this partition.
      if (records.code() == Errc::offset_out_of_range) continue;
      return std::move(records).error();
    }
    // Another key with the same 64-bit hash is not this key.
    if (records->empty() || !records->front().key || *records->front().key != key) continue;
    Record& record = records->front();
    if (!best || record.timestamp_ms > best->timestamp_ms) best = std::move(record);
  }
  if (!best)
    return Error(Errc::not_found, "key " + std::string(key) + " has no event in topic " + t.name);
  return std::move(*best);
}

}  // namespace sluice
