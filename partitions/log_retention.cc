// PartitionLog: rolling to a new segment, retention by bytes and by time, and deleting the
// segments below an offset (delete_segments_before, for logs compacted by a snapshot of their
// own state). Both delete whole sealed segments from the oldest; the active segment always
// stays.
#include "io/assert.h"
#include "io/logger.h"
#include "partitions/partition_log_impl.h"

#include <string>

namespace sluice::partitions {

Result<void> PartitionLog::Impl::roll() {
  Segment& old = active();
  SLUICE_ASSERT(!old.empty());
  auto created = create_segment(next_offset);
  if (!created.ok()) return std::move(created).error();
  old.rolled = true;
  keep_snapshot_for(old);
  segments.push_back(std::move(created).value());
  // Before the high watermark covers the new segment's first batch.
  publish_segments();
  // The old segment is sealed once its last writes (and syncs) complete; it may be already.
  maybe_seal(old);
  if (failure) return Error(failure->code(), failure->message());
  return {};
}

Result<uint32_t> PartitionLog::Impl::apply_retention() {
  if (failure) return Error(Errc::closed, "partition " + dir + " failed: " + failure->message());
  const int64_t now = now_ms();
  Segment& current = active();
  if (!current.empty() && now - current.created_ms >= options.segment_ms) SLUICE_TRY(roll());
  uint64_t total = 0;
  for (const auto& segment : segments)
    total += segment->size;
  uint32_t deleted = 0;
  while (segments.size() > 1 && segments.front()->sealed) {
    const Segment& oldest = *segments.front();
    const bool too_old =
        options.retention_ms >= 0 && oldest.time_index.max_timestamp() < now - options.retention_ms;
    const bool too_big = options.retention_bytes >= 0 &&
                         total - oldest.size >= static_cast<uint64_t>(options.retention_bytes);
    if (!too_old && !too_big) break;
    total -= oldest.size;
    // Its producer batches must stay known after it is gone: a snapshot that failed at its seal
    // gets another attempt (and retention goes on regardless, as a full disk may be why).
    write_kept_snapshot(*segments.front());
    SLUICE_TRY(delete_oldest_segment("retention"));
    ++deleted;
  }
  return deleted;
}

Result<uint32_t> PartitionLog::Impl::delete_segments_before(int64_t offset) {
  if (failure) return Error(Errc::closed, "partition " + dir + " failed: " + failure->message());
  SLUICE_ASSERT(offset <= next_offset);
  uint32_t deleted = 0;
  while (segments.size() > 1 && segments.front()->sealed &&
         segments.front()->next_offset <= offset) {
    SLUICE_ASSERT(segments.front()->base_offset < segments[1]->base_offset);
    write_kept_snapshot(*segments.front());
    SLUICE_TRY(delete_oldest_segment("compaction"));
    ++deleted;
  }
  return deleted;
}

Result<void> PartitionLog::Impl::delete_oldest_segment(std::string_view why) {
  Segment& oldest = *segments.front();
  SLUICE_ASSERT(oldest.sealed && segments.size() > 1);
  close_segment_files(oldest);
  release_chunks(oldest);
  // The offsets go before the files do: once start_offset moved, no read looks for them. A
  // reader that began before holds the segment's view, and with it its open file.
  const std::string log_path = oldest.log_path;
  const std::string index_path = oldest.index_path;
  const std::string time_index_path = oldest.time_index_path;
  const uint64_t size = oldest.size;
  segments.pop_front();
  start_offset = segments.front()->base_offset;
  // Release, then the segment set without it (seq_cst): a reader that finds no segment for an
  // offset finds the new start too.
  shared->start_offset.store(start_offset, std::memory_order_release);
  publish_segments();
  // Relaxed: a statistic, written by the owner only.
  shared->size_bytes.store(shared->size_bytes.load(std::memory_order_relaxed) - size,
                           std::memory_order_relaxed);
  auto removed = fs.remove_file(log_path);
  (void)fs.remove_file(index_path);
  (void)fs.remove_file(time_index_path);
  if (!removed.ok() && removed.code() != Errc::not_found) return removed;
  log_line(LogLevel::info, log_path + ": deleted by " + std::string(why) +
                               "; the log now starts at offset " + std::to_string(start_offset));
  return fs.sync_directory(dir);
}

}  // namespace sluice::partitions
