// SegmentView: what readers on any thread see of one segment: its base offset, its file (for
// reads that miss the tail chunks), its indexes and how far it is published. SegmentSet is the
// list of them that a log publishes whenever segments come or go (segment_set.h).
//
// The owner (the log's thread) appends to a view's indexes and stores its published size and
// next offset (release) before it stores the high watermark that covers them; readers load the
// high watermark first (acquire), then these. A view's index entries are never rewritten: when
// the log drops appended bytes (after a failed write), the owner replaces the active segment's
// view with a new one and the old one stops where the cut was.
//
// Thread-safety: const members and atomics; the GrowingArrays are appended by the owner only.
#pragma once

#include "io/file_system.h"
#include "partitions/growing_array.h"
#include "partitions/offset_index.h"
#include "partitions/time_index.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sluice::partitions {

// A segment's read-only file handle, closed when the last reference goes, so a reader never
// reads through a handle that was closed or reused. `open_files` counts the live ones: the log
// waits for it to reach zero before it lets its FileSystem go.
class SegmentFile {
 public:
  SegmentFile(io::FileSystem& fs, io::FileHandle handle, std::atomic<int32_t>& open_files);
  ~SegmentFile();
  SegmentFile(const SegmentFile&) = delete;
  SegmentFile& operator=(const SegmentFile&) = delete;

  io::FileHandle handle() const { return handle_; }
  // FileSystem::read (synchronous, any thread).
  Result<uint64_t> read(uint64_t pos, std::span<std::byte> out) const;

 private:
  io::FileSystem& fs_;
  io::FileHandle handle_;
  std::atomic<int32_t>& open_files_;
};

struct SegmentView {
  SegmentView(int64_t base, std::string path, std::shared_ptr<SegmentFile> segment_file);

  const int64_t base_offset;
  const std::string log_path;
  const std::shared_ptr<SegmentFile> file;

  GrowingArray<OffsetIndexEntry> index;
  GrowingArray<TimeIndexEntry> time_index;
  // Release by the owner before the high watermark; acquire by readers (see above).
  std::atomic<uint64_t> size{0};
  std::atomic<int64_t> next_offset;
  std::atomic<int64_t> max_timestamp{-1};

  // Owner: appends the entries of `offsets` and `times` that the view does not have yet, and
  // publishes size, next offset and max timestamp.
  void publish(const OffsetIndex& offsets, const TimeIndex& times, uint64_t published_size,
               int64_t published_next_offset);

  // Any thread: the last index entry at or below `offset` ({base_offset, 0} when none).
  OffsetIndexEntry lookup(int64_t offset) const;
  // Any thread: where to start looking for the first record with a timestamp >= timestamp_ms
  // (TimeIndex::lookup).
  int64_t time_lookup(int64_t timestamp_ms) const;
};

using SegmentSet = std::vector<std::shared_ptr<const SegmentView>>;

}  // namespace sluice::partitions
