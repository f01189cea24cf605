// Test helpers for compressed record batches: compress bytes with each codec's own library, as
// Kafka clients do, and turn an uncompressed batch into the same records compressed.
//
// Thread-safety: pure functions.
#pragma once

#include "partitions/record_batch.h"

#include <cstddef>
#include <span>
#include <vector>

namespace sluice::testing {

// How a snappy stream is framed: a raw snappy block (librdkafka) or xerial blocks (Java).
enum class SnappyFraming { raw, xerial };

// `raw` compressed with `codec` (not none): a gzip stream (zlib, 16 + MAX_WBITS), raw snappy or
// xerial-framed snappy (blocks of `xerial_block_bytes` input each), an LZ4 frame
// (LZ4F_compressFrame) or a zstd frame (ZSTD_compress).
std::vector<std::byte> compress_bytes(partitions::Compression codec, std::span<const std::byte> raw,
                                      SnappyFraming framing = SnappyFraming::raw,
                                      size_t xerial_block_bytes = 32 * 1024);

// The batch `uncompressed` (whole and valid, compression none) with its records section
// compressed: the codec in its attributes, batch_length and CRC updated, the header otherwise
// unchanged.
std::vector<std::byte> compress_batch(std::span<const std::byte> uncompressed,
                                      partitions::Compression codec,
                                      SnappyFraming framing = SnappyFraming::raw);

// The same with the records section replaced by `section` as it is (for corrupt streams).
std::vector<std::byte> with_records_section(std::span<const std::byte> batch,
                                            partitions::Compression codec,
                                            std::span<const std::byte> section);

}  // namespace sluice::testing
