#include "partitions/offset_index.h"

#include "io/assert.h"
#include "partitions/endian.h"

#include <algorithm>
#include <limits>
#include <string>

namespace sluice::partitions {

namespace {

constexpr uint64_t kMaxRelative = std::numeric_limits<uint32_t>::max();

std::string at_entry(size_t index) {
  return "offset index entry " + std::to_string(index);
}

}  // namespace

OffsetIndex::OffsetIndex(int64_t base_offset, uint32_t interval_bytes)
    : base_offset_(base_offset), interval_bytes_(interval_bytes) {
  SLUICE_ASSERT(base_offset >= 0);
}

// Interval rule: bytes_since_entry_ counts the bytes from the start of the last entry's batch
// to the start of the current batch (the current batch is not counted). A batch gets an entry
// when that distance is >= interval_bytes, so between two consecutive entries every batch but
// the last starts less than interval_bytes after the first entry: a lookup scans less than
// interval_bytes of earlier batches, plus the batch it wants.
void OffsetIndex::on_batch(int64_t batch_base_offset, uint64_t position, uint64_t batch_bytes) {
  SLUICE_ASSERT(batch_base_offset >= base_offset_);
  SLUICE_ASSERT(static_cast<uint64_t>(batch_base_offset - base_offset_) <= kMaxRelative);
  SLUICE_ASSERT(position <= kMaxRelative);  // segments stay below 4 GiB
  SLUICE_ASSERT(batch_bytes > 0);
  if (!entries_.empty()) {
    const OffsetIndexEntry& last = entries_.back();
    SLUICE_ASSERT(batch_base_offset > last.offset);
    SLUICE_ASSERT(position >= last.position + bytes_since_entry_);
  }
  if (entries_.empty() || bytes_since_entry_ >= interval_bytes_) {
    entries_.push_back({batch_base_offset, position});
    bytes_since_entry_ = 0;
  }
  bytes_since_entry_ += batch_bytes;
}

OffsetIndexEntry OffsetIndex::lookup(int64_t offset) const {
  // The first entry with an offset > `offset`; the one before it is the answer.
  auto after = std::upper_bound(
      entries_.begin(), entries_.end(), offset,
      [](int64_t value, const OffsetIndexEntry& entry) { return value < entry.offset; });
  if (after == entries_.begin()) return {base_offset_, 0};
  return *(after - 1);
}

void OffsetIndex::truncate(uint64_t position) {
  auto cut = std::lower_bound(
      entries_.begin(), entries_.end(), position,
      [](const OffsetIndexEntry& entry, uint64_t value) { return entry.position < value; });
  entries_.erase(cut, entries_.end());
  // The next batch starts at `position`: the distance from the last entry's batch to it.
  bytes_since_entry_ = entries_.empty() ? 0 : position - entries_.back().position;
}

std::vector<std::byte> OffsetIndex::encode() const {
  std::vector<std::byte> bytes(entries_.size() * kOffsetIndexEntryBytes);
  std::byte* out = bytes.data();
  for (const OffsetIndexEntry& entry : entries_) {
    const auto relative = static_cast<uint64_t>(entry.offset - base_offset_);
    SLUICE_ASSERT(relative <= kMaxRelative);
    SLUICE_ASSERT(entry.position <= kMaxRelative);
    store_be(out, static_cast<uint32_t>(relative));
    store_be(out + 4, static_cast<uint32_t>(entry.position));
    out += kOffsetIndexEntryBytes;
  }
  return bytes;
}

Result<OffsetIndex> OffsetIndex::decode(int64_t base_offset, uint32_t interval_bytes,
                                        std::span<const std::byte> bytes, uint64_t segment_bytes) {
  if (bytes.size() % kOffsetIndexEntryBytes != 0) {
    return Error(Errc::corruption, "offset index of " + std::to_string(bytes.size()) +
                                       " bytes is not a whole number of 8-byte entries");
  }
  OffsetIndex index(base_offset, interval_bytes);
  const size_t count = bytes.size() / kOffsetIndexEntryBytes;
  index.entries_.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const std::byte* in = bytes.data() + i * kOffsetIndexEntryBytes;
    const uint32_t relative = load_be<uint32_t>(in);
    const uint64_t position = load_be<uint32_t>(in + 4);
    int64_t offset = 0;
    // A base near the top of int64 would wrap: the offset would land below the base.
    if (__builtin_add_overflow(base_offset, static_cast<int64_t>(relative), &offset)) {
      return Error(Errc::corruption, at_entry(i) + ": offset below the base offset " +
                                         std::to_string(base_offset) + " (int64 overflow)");
    }
    if (position >= segment_bytes) {
      return Error(Errc::corruption, at_entry(i) + ": position " + std::to_string(position) +
                                         " is past the segment's " + std::to_string(segment_bytes) +
                                         " bytes");
    }
    if (!index.entries_.empty()) {
      const OffsetIndexEntry& last = index.entries_.back();
      if (offset <= last.offset) {
        return Error(Errc::corruption, at_entry(i) + ": offset " + std::to_string(offset) +
                                           " does not increase (previous " +
                                           std::to_string(last.offset) + ")");
      }
      if (position <= last.position) {
        return Error(Errc::corruption, at_entry(i) + ": position " + std::to_string(position) +
                                           " does not increase (previous " +
                                           std::to_string(last.position) + ")");
      }
    }
    index.entries_.push_back({offset, position});
  }
  // A decoded index belongs to a sealed segment; should more batches come, they start at its end.
  if (!index.entries_.empty())
    index.bytes_since_entry_ = segment_bytes - index.entries_.back().position;
  return index;
}

}  // namespace sluice::partitions
