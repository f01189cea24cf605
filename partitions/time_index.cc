#include "partitions/time_index.h"

#include "io/assert.h"
#include "partitions/endian.h"

#include <algorithm>
#include <limits>
#include <string>

namespace sluice::partitions {

namespace {

constexpr uint64_t kMaxRelative = std::numeric_limits<uint32_t>::max();

std::string at_entry(size_t index) {
  return "time index entry " + std::to_string(index);
}

void put_entry(std::byte* out, const TimeIndexEntry& entry, int64_t base_offset) {
  const auto relative = static_cast<uint64_t>(entry.offset - base_offset);
  SLUICE_ASSERT(entry.offset >= base_offset && relative <= kMaxRelative);
  store_be(out, entry.timestamp);
  store_be(out + 8, static_cast<uint32_t>(relative));
}

}  // namespace

TimeIndex::TimeIndex(int64_t base_offset, uint32_t interval_bytes)
    : base_offset_(base_offset), interval_bytes_(interval_bytes) {
  SLUICE_ASSERT(base_offset >= 0);
}

// Interval rule as in OffsetIndex: bytes_since_entry_ counts the bytes from the start of the
// last entry's batch to the start of the current one. An entry also needs the running maximum
// to have grown past the last entry's timestamp, which keeps both fields strictly increasing
// and lets lookup binary-search either one. While no entry exists, every batch is eligible:
// the first batch with a timestamp above -1 (Kafka's "no timestamp") gets the first entry.
void TimeIndex::on_batch(int64_t batch_base_offset, int64_t max_timestamp, uint64_t batch_bytes) {
  SLUICE_ASSERT(batch_base_offset >= base_offset_);
  SLUICE_ASSERT(static_cast<uint64_t>(batch_base_offset - base_offset_) <= kMaxRelative);
  SLUICE_ASSERT(batch_base_offset > last_batch_offset_);
  SLUICE_ASSERT(batch_bytes > 0);
  last_batch_offset_ = batch_base_offset;
  max_timestamp_ = std::max(max_timestamp_, max_timestamp);
  entry_max_timestamp_ = std::max(entry_max_timestamp_, max_timestamp);
  const int64_t last_timestamp = entries_.empty() ? -1 : entries_.back().timestamp;
  const bool interval_due = entries_.empty() || bytes_since_entry_ >= interval_bytes_;
  if (interval_due && entry_max_timestamp_ > last_timestamp) {
    entries_.push_back({entry_max_timestamp_, batch_base_offset});
    bytes_since_entry_ = 0;
  }
  bytes_since_entry_ += batch_bytes;
}

int64_t TimeIndex::lookup(int64_t timestamp) const {
  // The first entry whose timestamp >= `timestamp`; the one before it is the answer.
  auto not_older = std::lower_bound(
      entries_.begin(), entries_.end(), timestamp,
      [](const TimeIndexEntry& entry, int64_t value) { return entry.timestamp < value; });
  if (not_older == entries_.begin()) return base_offset_;
  return (not_older - 1)->offset;
}

void TimeIndex::truncate(int64_t offset) {
  if (offset > last_batch_offset_) return;  // no batch was cut
  auto cut = std::lower_bound(
      entries_.begin(), entries_.end(), offset,
      [](const TimeIndexEntry& entry, int64_t value) { return entry.offset < value; });
  entries_.erase(cut, entries_.end());
  if (entries_.empty()) {
    // Every batch before the first entry had no timestamp above -1 (it would have had an
    // entry), so nothing older than -1 remains.
    max_timestamp_ = -1;
    entry_max_timestamp_ = -1;
    last_batch_offset_ = -1;
  } else {
    // Batches kept between the last entry and the cut may hold timestamps up to the old
    // maximum: entry_max_timestamp_ keeps that bound so that later entries never claim a
    // smaller maximum than a record before them has, which would make lookup skip it.
    max_timestamp_ = entries_.back().timestamp;
    last_batch_offset_ = entries_.back().offset;
  }
  // The bytes between the last entry and the cut are unknown here; 0 spaces the next entry a
  // full interval from the cut, which costs at most one interval of extra scan.
  bytes_since_entry_ = 0;
}

std::vector<std::byte> TimeIndex::encode() const {
  const bool closing = !entries_.empty() && entry_max_timestamp_ > entries_.back().timestamp &&
                       last_batch_offset_ > entries_.back().offset;
  std::vector<std::byte> bytes((entries_.size() + (closing ? 1 : 0)) * kTimeIndexEntryBytes);
  std::byte* out = bytes.data();
  for (const TimeIndexEntry& entry : entries_) {
    put_entry(out, entry, base_offset_);
    out += kTimeIndexEntryBytes;
  }
  if (closing) put_entry(out, {entry_max_timestamp_, last_batch_offset_}, base_offset_);
  return bytes;
}

Result<TimeIndex> TimeIndex::decode(int64_t base_offset, uint32_t interval_bytes,
                                    std::span<const std::byte> bytes) {
  if (bytes.size() % kTimeIndexEntryBytes != 0) {
    return Error(Errc::corruption, "time index of " + std::to_string(bytes.size()) +
                                       " bytes is not a whole number of 12-byte entries");
  }
  TimeIndex index(base_offset, interval_bytes);
  const size_t count = bytes.size() / kTimeIndexEntryBytes;
  index.entries_.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const std::byte* in = bytes.data() + i * kTimeIndexEntryBytes;
    const auto timestamp = load_be<int64_t>(in);
    const uint32_t relative = load_be<uint32_t>(in + 8);
    int64_t offset = 0;
    if (__builtin_add_overflow(base_offset, static_cast<int64_t>(relative), &offset)) {
      return Error(Errc::corruption, at_entry(i) + ": offset below the base offset " +
                                         std::to_string(base_offset) + " (int64 overflow)");
    }
    if (!index.entries_.empty()) {
      const TimeIndexEntry& last = index.entries_.back();
      if (timestamp <= last.timestamp) {
        return Error(Errc::corruption, at_entry(i) + ": timestamp " + std::to_string(timestamp) +
                                           " does not increase (previous " +
                                           std::to_string(last.timestamp) + ")");
      }
      if (offset <= last.offset) {
        return Error(Errc::corruption, at_entry(i) + ": offset " + std::to_string(offset) +
                                           " does not increase (previous " +
                                           std::to_string(last.offset) + ")");
      }
    }
    index.entries_.push_back({timestamp, offset});
  }
  if (!index.entries_.empty()) {
    index.max_timestamp_ = index.entries_.back().timestamp;
    index.entry_max_timestamp_ = index.max_timestamp_;
    index.last_batch_offset_ = index.entries_.back().offset;
  }
  return index;
}

}  // namespace sluice::partitions
