// Test helpers for idempotent producers: batches with a producer id, epoch and base sequence,
// and a compressed batch made by hand (codec bits set, an opaque payload that is never
// decoded) to check that such batches are stored and served byte for byte. Shared by the
// partitions and engine tests.
#pragma once

#include "partitions/endian.h"
#include "partitions/record_batch.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace sluice::testing {

// `count` records with keys "k<i>" and values "<prefix>-<i>", as a Kafka client would send
// them: base offset 0, the producer's id, epoch and base sequence.
inline std::vector<std::byte> idempotent_batch(int64_t producer_id, int16_t epoch,
                                               int32_t base_sequence, int count,
                                               const std::string& prefix = "v",
                                               int64_t timestamp_ms = 1000) {
  partitions::BatchBuilder::Options options;
  options.producer_id = producer_id;
  options.producer_epoch = epoch;
  options.base_sequence = base_sequence;
  partitions::BatchBuilder builder(options);
  for (int i = 0; i < count; ++i) {
    builder.add("k" + std::to_string(i), prefix + "-" + std::to_string(i), timestamp_ms + i);
  }
  auto bytes = builder.finish();
  return {bytes.begin(), bytes.end()};
}

// A batch whose records are `payload`, opaque, with compression `codec` in the attributes
// (plus `extra_attributes`), `records` records, a good CRC.
inline std::vector<std::byte> opaque_batch(partitions::Compression codec, int32_t records,
                                           std::span<const std::byte> payload,
                                           int64_t producer_id = -1, int16_t epoch = -1,
                                           int32_t base_sequence = -1,
                                           int16_t extra_attributes = 0) {
  using partitions::store_be;
  std::vector<std::byte> batch(partitions::kBatchHeaderBytes + payload.size());
  std::byte* p = batch.data();
  store_be<int64_t>(p, 0);
  store_be<int32_t>(p + 8, static_cast<int32_t>(batch.size() - partitions::kBatchLogOverhead));
  store_be<int32_t>(p + 12, -1);
  p[16] = std::byte{partitions::kMagicV2};
  store_be<int16_t>(p + 21, static_cast<int16_t>(static_cast<int16_t>(codec) | extra_attributes));
  store_be<int32_t>(p + 23, records - 1);
  store_be<int64_t>(p + 27, 1'700'000'000'000);
  store_be<int64_t>(p + 35, 1'700'000'000'000 + records - 1);
  store_be<int64_t>(p + 43, producer_id);
  store_be<int16_t>(p + 51, epoch);
  store_be<int32_t>(p + 53, base_sequence);
  store_be<int32_t>(p + 57, records);
  std::copy(payload.begin(), payload.end(), batch.begin() + partitions::kBatchHeaderBytes);
  store_be<uint32_t>(p + partitions::kBatchCrcOffset, partitions::compute_batch_crc(batch));
  return batch;
}

// Bytes that look like nothing in particular (a stand-in for a compressed block).
inline std::vector<std::byte> opaque_payload(size_t bytes, uint32_t seed = 7) {
  std::vector<std::byte> out(bytes);
  uint32_t x = seed;
  for (auto& b : out) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<std::byte>(x >> 24);
  }
  return out;
}

}  // namespace sluice::testing
