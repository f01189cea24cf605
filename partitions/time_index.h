// TimeIndex: a segment's sparse index from timestamp to offset. Each entry holds the largest
// timestamp of all batches up to and including one batch, and that batch's base offset; an
// entry is added (at most once per interval_bytes of log) only when that running maximum grew,
// so entries increase in both fields. All records before an entry's batch, and in it, have
// timestamps <= the entry's timestamp. File layout (FORMAT.md): 12-byte entries, big-endian
// int64 timestamp and uint32 relative offset.
//
// Thread-safety: a plain value owned by its segment's owner (the shard).
#pragma once

#include <sluice/result.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace sluice::partitions {

inline constexpr size_t kTimeIndexEntryBytes = 12;

struct TimeIndexEntry {
  int64_t timestamp = 0;  // the largest timestamp up to and including the batch
  int64_t offset = 0;     // the batch's base offset (absolute)
};

class TimeIndex {
 public:
  TimeIndex(int64_t base_offset, uint32_t interval_bytes);

  // Called for every batch of the segment in order, with the batch's max timestamp.
  void on_batch(int64_t batch_base_offset, int64_t max_timestamp, uint64_t batch_bytes);
  // Where to start scanning for the first record with a timestamp >= `timestamp`: the offset
  // of the last entry whose timestamp < `timestamp` (every record before that batch is older),
  // or the segment's base offset when there is none.
  int64_t lookup(int64_t timestamp) const;
  // The largest timestamp seen in the segment; -1 when it has no batch.
  int64_t max_timestamp() const { return max_timestamp_; }
  // Drops the entries at or past `offset` (the log was cut there); max_timestamp becomes the
  // last remaining entry's timestamp (or -1).
  void truncate(int64_t offset);

  // The entries, plus a closing entry (running maximum, last batch's base offset) when the
  // maximum grew after the last entry, so that a decoded sealed index knows the segment's
  // max_timestamp exactly.
  std::vector<std::byte> encode() const;
  // Decodes and validates file bytes: whole entries, both fields strictly increasing, offsets
  // >= base. Errc::corruption when not. max_timestamp() of the result is the last entry's.
  static Result<TimeIndex> decode(int64_t base_offset, uint32_t interval_bytes,
                                  std::span<const std::byte> bytes);

  int64_t base_offset() const { return base_offset_; }
  const std::vector<TimeIndexEntry>& entries() const { return entries_; }

 private:
  int64_t base_offset_;
  uint32_t interval_bytes_;
  uint64_t bytes_since_entry_ = 0;
  int64_t max_timestamp_ = -1;
  // An upper bound of every remaining record's timestamp, used for entries: equal to
  // max_timestamp_ except after truncate(), which cannot know the largest timestamp of the
  // batches kept after the last remaining entry and so keeps the old maximum.
  int64_t entry_max_timestamp_ = -1;
  int64_t last_batch_offset_ = -1;  // the last batch's base offset; -1 before the first
  std::vector<TimeIndexEntry> entries_;
};

}  // namespace sluice::partitions
