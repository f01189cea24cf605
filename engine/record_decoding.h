// Turns stored batches (whole Kafka v2 batches, as the log returns them) into the Records that
// consumers and queries receive.
//
// Thread-safety: pure functions.
#pragma once

#include <sluice/event.h>
#include <sluice/result.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace sluice::engine {

struct DecodeProgress {
  uint32_t records = 0;      // Records appended to `out`
  int64_t next_offset = -1;  // the offset after the last record taken (-1 when none was)
};

// Appends to `out` the records of `batches` whose offset is >= from_offset, at most
// max_records. Control batches (transaction markers) are skipped but move next_offset past
// them. Compressed batches (gzip, snappy, lz4, zstd) are decompressed into a buffer of the
// call's own, then decoded like the others; uncompressed batches are decoded in place.
// Errors: corruption (a malformed batch, record or compressed stream), too_large (a batch that
// decompresses to more than partitions::kMaxDecompressedBatchBytes).
Result<DecodeProgress> decode_into(std::string_view topic, int32_t partition,
                                   std::span<const std::byte> batches, int64_t from_offset,
                                   uint32_t max_records, std::vector<Record>& out);

}  // namespace sluice::engine
