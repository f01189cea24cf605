// PartitionLog: reads and lookups by timestamp. Reads come from the tail chunks where they
// hold the bytes and from the segment files otherwise; every batch returned passed its CRC.
#include "io/assert.h"
#include "partitions/partition_log_impl.h"

#include <algorithm>

namespace sluice::partitions {
namespace {

Error corrupt(const Segment& segment, uint64_t pos, const std::string& what) {
  return Error(Errc::corruption,
               segment.log_path + ": " + what + " at position " + std::to_string(pos));
}

// The header of the batch at `pos`, checked to lie inside the segment.
Result<BatchHeader> header_at(io::FileSystem& fs, const Segment& segment, uint64_t pos,
                              uint32_t chunk_bytes) {
  if (segment.size - pos < kBatchHeaderBytes) return corrupt(segment, pos, "truncated batch");
  std::byte head[kBatchHeaderBytes];
  SLUICE_TRY(segment.read(fs, pos, head, chunk_bytes));
  auto header = decode_batch_header(head);
  if (!header.ok()) return corrupt(segment, pos, header.error().message());
  if (header->total_bytes() > segment.size - pos) {
    return corrupt(segment, pos, "batch runs past the end of the segment");
  }
  return header;
}

// The position of the batch that holds `offset`, starting from the sparse index.
Result<uint64_t> find_batch(io::FileSystem& fs, const Segment& segment, int64_t offset,
                            uint32_t chunk_bytes) {
  uint64_t pos = segment.index.lookup(offset).position;
  while (pos < segment.size) {
    auto header = header_at(fs, segment, pos, chunk_bytes);
    if (!header.ok()) return std::move(header).error();
    if (header->last_offset() >= offset) return pos;
    pos += header->total_bytes();
  }
  return corrupt(segment, pos, "offset " + std::to_string(offset) + " not found");
}

}  // namespace

size_t PartitionLog::Impl::segment_index(int64_t offset) const {
  auto it = std::upper_bound(segments.begin(), segments.end(), offset,
                             [](int64_t value, const std::unique_ptr<Segment>& segment) {
                               return value < segment->base_offset;
                             });
  return it == segments.begin() ? 0 : static_cast<size_t>(it - segments.begin() - 1);
}

Result<ReadResult> PartitionLog::Impl::read(int64_t offset, uint64_t max_bytes) const {
  if (offset < start_offset || offset > next_offset) {
    return Error(Errc::offset_out_of_range,
                 "offset " + std::to_string(offset) + " is outside the log [" +
                     std::to_string(start_offset) + ", " + std::to_string(next_offset) + "]");
  }
  ReadResult result;
  result.first_offset = result.next_offset = offset;
  int64_t want = offset;
  for (size_t i = segment_index(offset); i < segments.size(); ++i) {
    const Segment& segment = *segments[i];
    if (want >= segment.next_offset || want < segment.base_offset) continue;
    auto found = find_batch(fs, segment, want, options.chunk_bytes);
    if (!found.ok()) return std::move(found).error();
    for (uint64_t pos = *found; pos < segment.size;) {
      auto header = header_at(fs, segment, pos, options.chunk_bytes);
      if (!header.ok()) {
        if (result.batches == 0) return std::move(header).error();
        return result;
      }
      const uint64_t total = header->total_bytes();
      if (result.batches > 0 && result.bytes.size() + total > max_bytes) return result;
      const size_t old_size = result.bytes.size();
      result.bytes.resize(old_size + total);
      std::span<std::byte> batch(result.bytes.data() + old_size, total);
      SLUICE_TRY(segment.read(fs, pos, batch, options.chunk_bytes));
      if (!batch_crc_ok(batch)) {
        result.bytes.resize(old_size);
        if (result.batches == 0) {
          return corrupt(
              segment, pos,
              "batch at offset " + std::to_string(header->base_offset) + " failed its CRC");
        }
        return result;
      }
      if (result.batches == 0) result.first_offset = header->base_offset;
      result.next_offset = header->last_offset() + 1;
      ++result.batches;
      pos += total;
      if (result.bytes.size() >= max_bytes) return result;
    }
    want = segment.next_offset;
  }
  return result;
}

// The first record at or after `from` with a timestamp >= timestamp_ms in the batch at `pos`,
// or -1 when the batch has none.
static Result<int64_t> first_in_batch(io::FileSystem& fs, const Segment& segment, uint64_t pos,
                                      const BatchHeader& header, int64_t timestamp_ms, int64_t from,
                                      uint32_t chunk_bytes) {
  if (header.max_timestamp < timestamp_ms) return int64_t{-1};
  if (header.compression() != Compression::none) return std::max(header.base_offset, from);
  std::vector<std::byte> bytes(header.total_bytes());
  SLUICE_TRY(segment.read(fs, pos, bytes, chunk_bytes));
  if (!batch_crc_ok(bytes)) return corrupt(segment, pos, "batch failed its CRC");
  auto records = decode_records(bytes);
  if (!records.ok()) return std::move(records).error();
  for (const RecordView& record : *records) {
    if (record.offset >= from && record.timestamp >= timestamp_ms) return record.offset;
  }
  return int64_t{-1};
}

Result<int64_t> PartitionLog::Impl::offset_for_timestamp(int64_t timestamp_ms) const {
  for (const auto& owned : segments) {
    const Segment& segment = *owned;
    if (segment.empty() || segment.time_index.max_timestamp() < timestamp_ms) continue;
    const int64_t from = std::max(segment.time_index.lookup(timestamp_ms), start_offset);
    auto found = find_batch(fs, segment, from, options.chunk_bytes);
    if (!found.ok()) return std::move(found).error();
    for (uint64_t pos = *found; pos < segment.size;) {
      auto header = header_at(fs, segment, pos, options.chunk_bytes);
      if (!header.ok()) return std::move(header).error();
      auto first =
          first_in_batch(fs, segment, pos, *header, timestamp_ms, from, options.chunk_bytes);
      if (!first.ok()) return first;
      if (*first >= 0) return first;
      pos += header->total_bytes();
    }
  }
  return next_offset;
}

}  // namespace sluice::partitions
