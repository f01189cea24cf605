// Test helpers for record batches: build a batch of text records, and read back the values of
// a ReadResult.
#pragma once

#include "partitions/partition_log.h"
#include "partitions/record_batch.h"

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::testing {

// A batch of `count` records with values "<prefix>-<i>" (and keys "k<i>"), timestamps from
// `timestamp_ms` on, one millisecond apart. `value_bytes`, when set, pads values to that size.
std::vector<std::byte> make_batch(const std::string& prefix, int count, int64_t timestamp_ms = 1000,
                                  size_t value_bytes = 0);

// Every record value in the read bytes, in order; fails the test on a bad batch.
std::vector<std::string> values_of(const partitions::ReadResult& read);

// The offsets of every record in the read bytes.
std::vector<int64_t> offsets_of(const partitions::ReadResult& read);

}  // namespace sluice::testing
