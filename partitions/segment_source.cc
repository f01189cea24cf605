#include "partitions/segment_source.h"

#include "io/assert.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace sluice::partitions {

SegmentSource::SegmentSource(const ChunkSlots& slots, const SegmentView& view, uint64_t size)
    : view_(view), size_(size), pin_(slots) {}

Error SegmentSource::short_read(uint64_t pos) const {
  return Error(Errc::corruption, view_.log_path + ": bytes at position " + std::to_string(pos) +
                                     " are no longer there (short read)");
}

Result<void> SegmentSource::read(uint64_t pos, std::span<std::byte> out) {
  SLUICE_ASSERT(pos <= size_ && out.size() <= size_ - pos);
  size_t done = 0;
  while (done < out.size()) {
    const uint64_t at = pos + done;
    const std::span<std::byte> rest = out.subspan(done);
    if (at >= window_pos_ && at - window_pos_ < window_bytes_) {
      const size_t n = std::min<size_t>(rest.size(), window_bytes_ - (at - window_pos_));
      std::memcpy(rest.data(), window_.data() + (at - window_pos_), n);
      done += n;
      file_bytes_ += n;
      continue;
    }
    const bool in_chunk = pin_.hold(view_.base_offset, at);
    auto got = in_chunk ? read_chunk(at, rest) : read_file(at, rest);
    if (!got.ok()) return std::move(got).error();
    SLUICE_ASSERT(*got > 0);
    done += *got;
    if (!in_chunk) file_bytes_ += *got;
  }
  return {};
}

uint64_t SegmentSource::walk_start(int64_t offset, uint64_t from) {
  uint64_t start = from;
  uint64_t at = from;
  // The sparse index entry lies less than its interval before the batch wanted, so that batch
  // starts in this chunk or the next (chunks are larger than the interval).
  for (int chunk = 0; chunk < 2 && at < size_; ++chunk) {
    if (!pin_.hold(view_.base_offset, at)) break;
    // An entry's offset is <= `offset`, so its batch starts at or before the one wanted; and it
    // is below the high watermark, so below size_.
    const ChunkIndexEntry entry = pin_.index_lookup(offset);
    start = std::max(start, entry.position);
    at = pin_.end();
  }
  return start;
}

Result<size_t> SegmentSource::read_chunk(uint64_t pos, std::span<std::byte> out) {
  const size_t n = std::min<uint64_t>(out.size(), pin_.end() - pos);
  // Acquire, after the pin: only a dropped tail ever lowers the published size, and the owner
  // lowers it before it changes a chunk's bytes, so what lies below the value seen here stays
  // as it is while the pin holds.
  if (pos + n > view_.size.load(std::memory_order_acquire)) return short_read(pos);
  std::memcpy(out.data(), pin_.data() + (pos - pin_.file_pos()), n);
  return n;
}

Result<size_t> SegmentSource::read_file(uint64_t pos, std::span<std::byte> out) {
  // No chunk holds `pos`, so every published byte from here to the next chunk is in the file.
  const uint64_t end = std::min(size_, pin_.next_chunk_after(view_.base_offset, pos));
  SLUICE_ASSERT(end > pos);
  if (out.size() >= kWindowBytes || end - pos <= out.size()) {
    const size_t n = std::min<uint64_t>(out.size(), end - pos);
    auto got = view_.file->read(pos, out.first(n));
    if (!got.ok()) return std::move(got).error();
    if (*got != n) return short_read(pos);
    return n;
  }
  const size_t fill = std::min<uint64_t>(kWindowBytes, end - pos);
  window_bytes_ = 0;
  auto got = view_.file->read(pos, std::span(window_).first(fill));
  if (!got.ok()) return std::move(got).error();
  if (*got != fill) return short_read(pos);
  window_pos_ = pos;
  window_bytes_ = fill;
  std::memcpy(out.data(), window_.data(), out.size());
  return out.size();
}

}  // namespace sluice::partitions
