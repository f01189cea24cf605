// PartitionLog: the tail chunks of the segments, and publishing to readers on other threads.
//
// A chunk may go back to the pool once the segment no longer appends into it and its bytes are
// written: from then on readers find those bytes in the file. A chunk that a reader holds at
// that moment is parked by the pool until it lets go; the log never waits for a reader here.
#include "io/assert.h"
#include "partitions/partition_log_impl.h"

namespace sluice::partitions {
namespace {

uint64_t align_down(uint64_t v) {
  return v & ~(uint64_t{io::kDirectIoAlignment} - 1);
}

}  // namespace

// While synced appends wait, a chunk's bytes must be synced too before it goes: the tail cache
// then bounds the bytes waiting for an fdatasync, and with them the appends and callbacks that
// wait.
bool PartitionLog::Impl::chunk_recyclable(const Segment& segment, const Chunk& chunk) const {
  const uint64_t chunk_end = chunk.file_pos + options.chunk_bytes;
  if (!segment.rolled && chunk_end > segment.size) return false;
  const uint64_t end = std::min(chunk_end, segment.size);
  if (end > segment.written_end) return false;
  return synced_waiters.empty() || end <= segment.synced_end;
}

// Recycles the first chunk of the first segment that has a recyclable one (a segment's chunks
// stay contiguous, so only from the front). The last chunk of `exclude` is never taken.
bool PartitionLog::Impl::recycle_one_chunk(const Segment* exclude) {
  for (auto& segment : segments) {
    if (segment->chunks.empty()) continue;
    if (segment.get() == exclude && segment->chunks.size() == 1) continue;
    if (!chunk_recyclable(*segment, segment->chunks.front())) continue;
    pool.retire(segment->chunks.front());
    segment->chunks.pop_front();
    return true;
  }
  return false;
}

// The chunks `segment` still needs so that they reach end_pos.
uint64_t PartitionLog::Impl::chunks_needed(const Segment& segment, uint64_t end_pos) const {
  const uint32_t chunk_bytes = options.chunk_bytes;
  const uint64_t covered =
      segment.chunks.empty() ? align_down(segment.size) : segment.chunk_end(chunk_bytes);
  if (covered >= end_pos) return 0;
  return (end_pos - covered + chunk_bytes - 1) / chunk_bytes;
}

// Frees chunks until the pool can give `chunks`; false when it cannot now (backpressure).
bool PartitionLog::Impl::make_room(uint64_t chunks, const Segment* exclude) {
  while (pool.free_count() < chunks) {
    if (!recycle_one_chunk(exclude)) return false;
  }
  return true;
}

// Gives `segment` the chunks it needs to reach end_pos; make_room made them free.
void PartitionLog::Impl::ensure_chunks(Segment& segment, uint64_t end_pos) {
  const uint64_t needed = chunks_needed(segment, end_pos);
  for (uint64_t i = 0; i < needed; ++i) {
    auto chunk = pool.acquire();
    SLUICE_ASSERT(chunk.has_value());
    chunk->file_pos =
        segment.chunks.empty() ? align_down(segment.size) : segment.chunk_end(options.chunk_bytes);
    // No byte of the new chunk is published yet: readers find the segment's published bytes
    // where they were (segment_source.h). A segment whose chunks all went ends on a page.
    SLUICE_ASSERT(chunk->file_pos >= segment.size);
    pool.publish(*chunk, segment.base_offset);
    segment.chunks.push_back(*chunk);
  }
}

// Hides from readers every chunk of `segment` that holds bytes at or past `pos`; true when no
// reader holds any of them, so that their bytes may change.
bool PartitionLog::Impl::hide_chunks_from(Segment& segment, uint64_t pos) {
  bool unheld = true;
  for (const Chunk& chunk : segment.chunks) {
    if (chunk.file_pos + options.chunk_bytes > pos && !pool.hide(chunk)) unheld = false;
  }
  return unheld;
}

void PartitionLog::Impl::release_chunks(Segment& segment) {
  for (const Chunk& chunk : segment.chunks)
    pool.retire(chunk);
  segment.chunks.clear();
}

void PartitionLog::Impl::publish_high_watermark() {
  // Release: the bytes, views and segment set below next_offset were published before.
  shared->high_watermark.store(next_offset, std::memory_order_release);
  // For waiters in std::atomic::wait; without any, this is one load.
  shared->high_watermark.notify_all();
}

void PartitionLog::Impl::publish_segments() {
  auto set = std::make_shared<SegmentSet>();
  set->reserve(segments.size());
  for (const auto& segment : segments) {
    SLUICE_ASSERT(segment->view != nullptr);
    set->push_back(segment->view);
  }
  // Seq_cst: published before the high watermark that covers a new segment, and after the
  // start offset that leaves out a deleted one.
  shared->segments.publish(std::move(set));
}

// After open: every offset, the start and the size of the log.
void PartitionLog::Impl::publish_offsets() {
  uint64_t total = 0;
  for (const auto& segment : segments)
    total += segment->size;
  shared->size_bytes.store(total, std::memory_order_relaxed);
  shared->last_append_time_ms.store(last_append_time_ms, std::memory_order_relaxed);
  // Release: pairs with readers' acquire, as in retention.
  shared->start_offset.store(start_offset, std::memory_order_release);
  publish_segments();
  publish_high_watermark();
  written_watermark.store(written_offset, std::memory_order_release);
  synced_watermark.store(synced_offset, std::memory_order_release);
}

}  // namespace sluice::partitions
