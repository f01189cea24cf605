// LogReader: the first offset at or after a timestamp. Each segment view carries its time
// index and largest timestamp, published with its bytes, so the lookup needs nothing from the
// owner: it skips whole segments by their largest timestamp, starts inside a segment where its
// time index says, and scans published batches from there.
#include "partitions/batch_walk.h"
#include "partitions/log_reader.h"
#include "partitions/log_shared.h"

#include <algorithm>

namespace sluice::partitions {
namespace {

// The first record at or after `from` with a timestamp >= timestamp_ms in the batch at `pos`,
// or -1 when it has none.
Result<int64_t> first_in_batch(SegmentSource& source, uint64_t pos, const BatchHeader& header,
                               int64_t timestamp_ms, int64_t from) {
  if (header.max_timestamp < timestamp_ms) return int64_t{-1};
  std::vector<std::byte> bytes(header.total_bytes());
  SLUICE_TRY(source.read(pos, bytes));
  if (!batch_crc_ok(bytes)) return corrupt_at(source.view(), pos, "batch failed its CRC");
  // A compressed batch is decompressed: the answer is the exact record, as for the others. One
  // whose stream does not decode (its CRC held: the producer sent it so) answers with its first
  // offset, the best a Kafka client that reads it whole can use.
  std::vector<std::byte> scratch;
  auto records = decode_records(bytes, scratch);
  if (!records.ok() && header.compression() != Compression::none) {
    return std::max(header.base_offset, from);
  }
  if (!records.ok()) return std::move(records).error();
  for (const RecordView& record : *records) {
    if (record.offset >= from && record.timestamp >= timestamp_ms) return record.offset;
  }
  return int64_t{-1};
}

}  // namespace

// The answer within one segment, or -1 when none of its batches below high_watermark has one.
Result<int64_t> LogReader::timestamp_in_segment(const SegmentView& view, int64_t timestamp_ms,
                                                int64_t start, int64_t high_watermark) const {
  // Acquire, after the high watermark (see read_into).
  SegmentSource source(*shared_->slots, view, view.size.load(std::memory_order_acquire));
  const int64_t from = std::max(view.time_lookup(timestamp_ms), start);
  // Every record up to the index entry's batch is older: none below the high watermark fits.
  if (from >= high_watermark) return int64_t{-1};
  auto found = find_batch(source, from);
  if (!found.ok()) return std::move(found).error();
  for (uint64_t pos = *found; pos < source.size();) {
    auto header = header_at(source, pos);
    if (!header.ok()) return std::move(header).error();
    if (header->base_offset >= high_watermark) return int64_t{-1};
    auto first = first_in_batch(source, pos, *header, timestamp_ms, from);
    if (!first.ok() || *first >= 0) return first;
    pos += header->total_bytes();
  }
  return int64_t{-1};
}

Result<int64_t> LogReader::offset_for_timestamp(int64_t timestamp_ms) const {
  if (closed()) return closed_error();
  const int64_t high = high_watermark();
  const int64_t start = start_offset();
  // As in read_into.
  const std::shared_ptr<const SegmentSet> set = shared_->segments.load();
  if (set == nullptr || set->empty()) return closed_error();
  for (const auto& owned : *set) {
    const SegmentView& view = *owned;
    if (view.base_offset >= high) break;
    // Acquire: published with the segment's bytes, before the high watermark.
    if (view.next_offset.load(std::memory_order_acquire) <= start) continue;
    if (view.max_timestamp.load(std::memory_order_acquire) < timestamp_ms) continue;
    auto found = timestamp_in_segment(view, timestamp_ms, start, high);
    if (!found.ok() || *found >= 0) return found;
  }
  return high;
}

}  // namespace sluice::partitions
