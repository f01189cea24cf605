// LogShared: the state of a PartitionLog that other threads read, owned jointly by the log and
// its LogReader, so that it stays valid while either exists. The log's owner thread is the only
// writer; every field says how it is published.
//
// Thread-safety: atomics, and the pin protocols of ChunkSlots and PublishedSegments; the
// segment set changes only when segments come or go (roll, retention, a dropped tail, close),
// never on the append path.
#pragma once

#include "partitions/chunk_slots.h"
#include "partitions/published_segments.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace sluice::partitions {

struct LogShared {
  LogShared(std::string directory, std::shared_ptr<ChunkSlots> chunk_slots)
      : dir(std::move(directory)), slots(std::move(chunk_slots)) {}

  const std::string dir;
  const std::shared_ptr<ChunkSlots> slots;

  // The next offset to be assigned. Release by the owner after the bytes below it (and their
  // segment's view) are published; acquire by readers, before anything else they read.
  std::atomic<int64_t> high_watermark{0};
  // The first offset still in the log. Release by the owner before the segments below it leave
  // `segments`; acquire by readers.
  std::atomic<int64_t> start_offset{0};
  // Statistics: relaxed both ways, they publish nothing.
  std::atomic<int64_t> last_append_time_ms{-1};
  std::atomic<uint64_t> size_bytes{0};
  // Set (seq_cst) when the log closes; a reader that sees it returns Errc::closed.
  std::atomic<bool> closed{false};
  // The segments by base offset, the last one active. Published (seq_cst) before the high
  // watermark that covers a new segment, after the start offset that leaves one out.
  PublishedSegments segments;
  // Live SegmentFile objects (segment_view.h): the closing log waits for zero.
  std::atomic<int32_t> open_files{0};
};

}  // namespace sluice::partitions
