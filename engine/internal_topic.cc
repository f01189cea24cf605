#include "engine/internal_topic.h"

#include "engine/record_decoding.h"
#include "io/assert.h"
#include "io/logger.h"

#include <algorithm>

#include <string>
#include <vector>

namespace sluice::engine {

bool compaction_due(Engine::Impl& engine, std::string_view topic,
                    const InternalCompaction& compaction) {
  const EngineOptions& options = engine.options;
  if (options.internal_compaction_min_bytes == 0) return false;
  Result<std::shared_ptr<PartitionSlot>> slot = engine.find_partition(topic, 0);
  if (!slot.ok()) return false;
  const uint64_t size = (*slot)->reader->size_bytes();
  const uint64_t grown = size > compaction.bytes_after ? size - compaction.bytes_after : 0;
  const uint64_t threshold =
      std::max(options.internal_compaction_min_bytes,
               uint64_t{options.internal_compaction_ratio} *
                   compaction.last_snapshot_bytes.load(std::memory_order_relaxed));
  return grown > threshold;
}

Result<int64_t> roll_internal_topic(Engine::Impl& engine, std::string_view topic) {
  Result<std::shared_ptr<PartitionSlot>> slot = engine.find_partition(topic, 0);
  if (!slot.ok()) return std::move(slot).error();
  PartitionSlot* raw = slot->get();
  return engine.shard(raw->shard).run([raw]() -> Result<int64_t> {
    if (!raw->log) return Error(Errc::closed, "partition " + raw->topic + "-0 is closed");
    SLUICE_TRY(raw->log->roll());
    return raw->log->next_offset();
  });
}

Result<void> delete_internal_segments_before(Engine::Impl& engine, std::string_view topic,
                                             int64_t cut, InternalCompaction& compaction) {
  Result<std::shared_ptr<PartitionSlot>> slot = engine.find_partition(topic, 0);
  if (!slot.ok()) return std::move(slot).error();
  PartitionSlot* raw = slot->get();
  Result<int64_t> start = engine.shard(raw->shard).run([raw, cut]() -> Result<int64_t> {
    if (!raw->log) return Error(Errc::closed, "partition " + raw->topic + "-0 is closed");
    SLUICE_TRY(raw->log->delete_segments_before(cut));
    return raw->log->start_offset();
  });
  if (!start.ok()) return std::move(start).error();
  // Segments below the cut that are not sealed yet (their last writes in flight) go later.
  compaction.pending_cut = *start < cut ? cut : -1;
  return {};
}

void retry_pending_cut(Engine::Impl& engine, std::string_view topic,
                       InternalCompaction& compaction) {
  if (compaction.pending_cut < 0) return;
  Result<void> deleted =
      delete_internal_segments_before(engine, topic, compaction.pending_cut, compaction);
  if (!deleted.ok()) {
    log_line(LogLevel::warning, std::string(topic) + ": deleting the segments before offset " +
                                    std::to_string(compaction.pending_cut) +
                                    " failed: " + deleted.error().to_string());
  }
}

Result<void> scan_internal_topic(Engine::Impl& engine, std::string_view topic,
                                 const std::function<Result<void>(const Record&)>& apply) {
  Result<std::shared_ptr<PartitionSlot>> slot = engine.find_partition(topic, 0);
  if (!slot.ok()) return std::move(slot).error();
  const partitions::LogReader& reader = *(*slot)->reader;
  std::vector<Record> records;
  int64_t offset = reader.start_offset();
  const int64_t end = reader.high_watermark();
  while (offset < end) {
    Result<partitions::ReadResult> read = reader.read(offset, 4u << 20);
    if (!read.ok()) return std::move(read).error();
    records.clear();
    Result<DecodeProgress> decoded =
        decode_into(topic, 0, read->bytes, offset, UINT32_MAX, records);
    if (!decoded.ok()) return std::move(decoded).error();
    for (const Record& record : records) {
      Result<void> applied = apply(record);
      if (!applied.ok()) {
        return Error(applied.code(), std::string(topic) + " offset " +
                                         std::to_string(record.offset) + ": " +
                                         applied.error().message());
      }
    }
    SLUICE_ASSERT(read->next_offset > offset);
    offset = read->next_offset;
  }
  return {};
}

}  // namespace sluice::engine
