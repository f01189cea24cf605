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

void Segment::copy_from_chunks(uint64_t pos, std::span<std::byte> out, uint32_t chunk_bytes) const {
  SLUICE_ASSERT(in_chunks(pos, out.size(), chunk_bytes));
  for_each_piece(pos, out.size(), chunk_bytes, [&](std::byte* memory, uint64_t at, uint64_t n) {
    std::memcpy(out.data() + at, memory, n);
  });
}

void Segment::copy_into_chunks(uint64_t pos, std::span<const std::byte> bytes,
                               uint32_t chunk_bytes) {
  SLUICE_ASSERT(in_chunks(pos, bytes.size(), chunk_bytes));
  for_each_piece(pos, bytes.size(), chunk_bytes, [&](std::byte* memory, uint64_t at, uint64_t n) {
    std::memcpy(memory, bytes.data() + at, n);
  });
}

Result<void> Segment::read(io::FileSystem& fs, uint64_t pos, std::span<std::byte> out,
                           uint32_t chunk_bytes) const {
  SLUICE_ASSERT(pos + out.size() <= size);
  uint64_t cached_from = chunks.empty() ? size : chunks.front().file_pos;
  // The part before the chunks comes from the file: it was written before its chunk was
  // recycled, so the file holds it.
  size_t from_file = pos < cached_from ? std::min<uint64_t>(out.size(), cached_from - pos) : 0;
  if (from_file > 0) {
    auto got = fs.read(read_file, pos, out.first(from_file));
    if (!got.ok()) return std::move(got).error();
    if (*got != from_file) {
      return Error(Errc::corruption, log_path + ": short read at " + std::to_string(pos));
    }
  }
  if (from_file < out.size()) {
    copy_from_chunks(pos + from_file, out.subspan(from_file), chunk_bytes);
  }
  return {};
}

}  // namespace sluice::partitions
