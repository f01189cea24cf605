#include "engine/record_decoding.h"

#include "partitions/record_batch.h"

namespace sluice::engine {
namespace {

std::string to_string(std::span<const std::byte> bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

Record to_record(std::string_view topic, int32_t partition, const partitions::RecordView& view) {
  Record record;
  record.topic = std::string(topic);
  record.partition = partition;
  record.offset = view.offset;
  record.timestamp_ms = view.timestamp;
  if (view.key) record.key = to_string(*view.key);
  if (view.value) record.value = to_string(*view.value);
  record.headers.reserve(view.headers.size());
  for (const auto& header : view.headers) {
    Header out;
    out.key = std::string(header.key);
    if (header.value) out.value = to_string(*header.value);
    record.headers.push_back(std::move(out));
  }
  return record;
}

}  // namespace

Result<DecodeProgress> decode_into(std::string_view topic, int32_t partition,
                                   std::span<const std::byte> batches, int64_t from_offset,
                                   uint32_t max_records, std::vector<Record>& out) {
  DecodeProgress progress;
  std::vector<std::byte> scratch;
  size_t pos = 0;
  while (pos < batches.size() && progress.records < max_records) {
    Result<partitions::BatchHeader> header = partitions::decode_batch_header(batches.subspan(pos));
    if (!header.ok()) return std::move(header).error();
    const uint64_t size = header->total_bytes();
    if (size > batches.size() - pos) {
      return Error(Errc::corruption, "batch at offset " + std::to_string(header->base_offset) +
                                         " runs past the bytes read");
    }
    const auto batch = batches.subspan(pos, size);
    pos += size;
    if (header->last_offset() < from_offset) continue;
    if (header->control()) {
      progress.next_offset = header->last_offset() + 1;
      continue;
    }
    // An uncompressed batch is decoded in place; a compressed one is decompressed into
    // `scratch`, which allocates only when the first compressed batch comes. The walk stops at
    // max_records: a query for one event of a large batch builds only that one.
    const size_t kept = out.size();
    Result<void> walked = partitions::visit_records(
        batch, scratch, from_offset, [&](const partitions::RecordView& view) {
          if (progress.records == max_records) return false;
          out.push_back(to_record(topic, partition, view));
          ++progress.records;
          progress.next_offset = view.offset + 1;
          return progress.records < max_records;
        });
    if (!walked.ok()) {
      // Nothing of a batch that does not decode: the records taken from it go again.
      out.resize(kept);
      return std::move(walked).error();
    }
  }
  return progress;
}

}  // namespace sluice::engine
