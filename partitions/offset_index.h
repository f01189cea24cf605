// OffsetIndex: a segment's sparse index from offset to file position. One entry is added for
// the first batch and then for the first batch that starts at least `interval_bytes` after the
// previous entry's batch, so a lookup reads at most about interval_bytes plus one batch before
// it finds the batch it wants. File layout (FORMAT.md): 8-byte entries, big-endian
// uint32 relative offset (offset - segment base) and uint32 position.
//
// Thread-safety: a plain value owned by its segment's owner (the shard).
#pragma once

#include <sluice/result.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace sluice::partitions {

inline constexpr size_t kOffsetIndexEntryBytes = 8;

struct OffsetIndexEntry {
  int64_t offset = 0;     // the batch's base offset (absolute)
  uint64_t position = 0;  // where the batch starts in the .log file
};

class OffsetIndex {
 public:
  OffsetIndex(int64_t base_offset, uint32_t interval_bytes);

  // Called for every batch of the segment in order.
  void on_batch(int64_t batch_base_offset, uint64_t position, uint64_t batch_bytes);
  // The last entry whose offset <= offset; {base_offset, 0} when there is none.
  OffsetIndexEntry lookup(int64_t offset) const;
  // Drops the entries at or past `position` (the log was cut there).
  void truncate(uint64_t position);

  std::vector<std::byte> encode() const;
  // Decodes and validates file bytes: whole entries, offsets and positions strictly
  // increasing, every offset >= base, every position < segment_bytes. Errc::corruption when
  // not.
  static Result<OffsetIndex> decode(int64_t base_offset, uint32_t interval_bytes,
                                    std::span<const std::byte> bytes, uint64_t segment_bytes);

  int64_t base_offset() const { return base_offset_; }
  const std::vector<OffsetIndexEntry>& entries() const { return entries_; }

 private:
  int64_t base_offset_;
  uint32_t interval_bytes_;
  uint64_t bytes_since_entry_ = 0;
  std::vector<OffsetIndexEntry> entries_;
};

}  // namespace sluice::partitions
