// scan_segment: reads a segment file from the start, batch by batch, checking what recovery
// checks: each batch's header (length, magic), that the whole batch is in the file, its CRC,
// and that its base offset continues the previous batch (the first must equal the segment's
// base offset). It stops at the first batch that fails and says why. Recovery, `sluice log
// verify` and `sluice log dump` all use it.
//
// Thread-safety: uses only synchronous FileSystem calls; safe from any thread.
#pragma once

#include "io/file_system.h"
#include "partitions/record_batch.h"

#include <sluice/result.h>

#include <cstdint>
#include <functional>
#include <string>

namespace sluice::partitions {

enum class ScanStop : uint8_t {
  end_of_file,   // the last batch ends exactly at the end of the file
  zero_fill,     // only zero bytes follow the last batch (preallocated or padded space)
  torn,          // a batch runs past the end of the file, or fewer than 61 bytes remain
  bad_header,    // a header that does not decode (magic, negative length or count)
  crc_mismatch,  // a batch whose CRC does not hold
  offset_gap,    // a batch whose base offset does not continue the previous batch
};
const char* scan_stop_name(ScanStop stop);

struct ScannedBatch {
  uint64_t position = 0;  // where the batch starts in the file
  BatchHeader header;
};

struct ScanResult {
  uint64_t file_bytes = 0;
  uint64_t valid_bytes = 0;  // end of the last good batch: where recovery would cut
  int64_t next_offset = 0;   // last good batch's last offset + 1 (the base when none)
  uint64_t batches = 0;
  uint64_t records = 0;
  int64_t max_timestamp = -1;
  ScanStop stop = ScanStop::end_of_file;
  std::string detail;  // for a failing stop: what failed, at which position and offset
  // True when the scan stopped on something other than end_of_file or zero_fill.
  bool damaged() const { return stop != ScanStop::end_of_file && stop != ScanStop::zero_fill; }
};

struct ScanOptions {
  bool verify_crc = true;
  uint64_t max_batch_bytes = 64u << 20;  // a larger batch_length is a bad header
  uint32_t read_block_bytes = 1u << 20;  // bytes read per synchronous read
};

// Scans `file` (of `file_bytes` bytes) whose first batch must have base offset
// `base_offset`. `on_batch`, if set, is called for every good batch in order. Fails only on an
// I/O error; damage is reported in the result.
Result<ScanResult> scan_segment(io::FileSystem& fs, io::FileHandle file, uint64_t file_bytes,
                                int64_t base_offset, const ScanOptions& options,
                                const std::function<void(const ScannedBatch&)>& on_batch = {});

}  // namespace sluice::partitions
