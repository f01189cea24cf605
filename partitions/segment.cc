#include "partitions/segment.h"

#include "io/assert.h"
#include "partitions/segment_files.h"

#include <algorithm>
#include <cstring>

namespace sluice::partitions {

Segment::Segment(std::string dir, int64_t base, uint32_t index_interval_bytes)
    : base_offset(base),
      log_path(dir + "/" + segment_file_name(base, kLogExtension)),
      index_path(dir + "/" + segment_file_name(base, kIndexExtension)),
      time_index_path(dir + "/" + segment_file_name(base, kTimeIndexExtension)),
      next_offset(base),
      index(base, index_interval_bytes),
      time_index(base, index_interval_bytes) {}

bool Segment::in_chunks(uint64_t pos, uint64_t length, uint32_t chunk_bytes) const {
  if (chunks.empty()) return false;
  return pos >= chunks.front().file_pos && pos + length <= chunk_end(chunk_bytes);
}

void Segment::copy_into_chunks(uint64_t pos, std::span<const std::byte> bytes,
                               uint32_t chunk_bytes) {
  SLUICE_ASSERT(in_chunks(pos, bytes.size(), chunk_bytes));
  for_each_piece(pos, bytes.size(), chunk_bytes, [&](std::byte* memory, uint64_t at, uint64_t n) {
    std::memcpy(memory, bytes.data() + at, n);
  });
}

void Segment::make_view() {
  SLUICE_ASSERT(file != nullptr);
  view = std::make_shared<SegmentView>(base_offset, log_path, file);
  publish();
}

}  // namespace sluice::partitions
