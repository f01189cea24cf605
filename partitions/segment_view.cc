#include "partitions/segment_view.h"

#include "io/assert.h"

namespace sluice::partitions {

SegmentFile::SegmentFile(io::FileSystem& fs, io::FileHandle handle,
                         std::atomic<int32_t>& open_files)
    : fs_(fs), handle_(handle), open_files_(open_files) {
  SLUICE_ASSERT(handle.valid());
  // Relaxed: a count; the decrement below is what the closing log waits for.
  open_files_.fetch_add(1, std::memory_order_relaxed);
}

SegmentFile::~SegmentFile() {
  (void)fs_.close(handle_);
  // Release: the close (and every read through this handle) happen before the closing log's
  // acquire load that sees the count reach zero.
  open_files_.fetch_sub(1, std::memory_order_release);
}

Result<uint64_t> SegmentFile::read(uint64_t pos, std::span<std::byte> out) const {
  return fs_.read(handle_, pos, out);
}

SegmentView::SegmentView(int64_t base, std::string path, std::shared_ptr<SegmentFile> segment_file)
    : base_offset(base),
      log_path(std::move(path)),
      file(std::move(segment_file)),
      next_offset(base) {
  SLUICE_ASSERT(file != nullptr);
}

void SegmentView::publish(const OffsetIndex& offsets, const TimeIndex& times,
                          uint64_t published_size, int64_t published_next_offset) {
  // The owner is the only writer of the counts: size() gives its own last stores.
  const auto& offset_entries = offsets.entries();
  for (size_t i = index.size(); i < offset_entries.size(); ++i)
    index.push_back(offset_entries[i]);
  const auto& time_entries = times.entries();
  for (size_t i = time_index.size(); i < time_entries.size(); ++i)
    time_index.push_back(time_entries[i]);
  // Release, all three: the entries and the bytes below published_size are in place before a
  // reader that loads these (acquire) uses them. The high watermark's release follows.
  max_timestamp.store(times.max_timestamp(), std::memory_order_release);
  size.store(published_size, std::memory_order_release);
  next_offset.store(published_next_offset, std::memory_order_release);
}

OffsetIndexEntry SegmentView::lookup(int64_t offset) const {
  const size_t n = index.size();
  const size_t after =
      index.partition_point(n, [offset](const OffsetIndexEntry& e) { return e.offset <= offset; });
  if (after == 0) return {base_offset, 0};
  return index[after - 1];
}

int64_t SegmentView::time_lookup(int64_t timestamp_ms) const {
  const size_t n = time_index.size();
  const size_t older = time_index.partition_point(
      n, [timestamp_ms](const TimeIndexEntry& e) { return e.timestamp < timestamp_ms; });
  if (older == 0) return base_offset;
  return time_index[older - 1].offset;
}

}  // namespace sluice::partitions
