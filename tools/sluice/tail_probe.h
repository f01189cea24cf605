// Tail probe: after a scan of a partition's last segment stopped on damage, tells a torn tail
// (what a crash mid-write leaves, which recovery cuts) from corruption (damage with valid
// batches after it, which recovery would silently drop).
//
// It looks for a valid batch after the stop point: first where the damaged batch's own length
// says the next one starts, then at every position whose bytes could start a batch (magic 2 and
// a plausible base offset and length), checking the CRC of each candidate. Zero-filled
// (preallocated) space is skipped cheaply.
//
// Thread-safety: uses only the FileSystem's synchronous calls.
#pragma once

#include "io/file_system.h"
#include "partitions/segment_scan.h"

#include <sluice/result.h>

#include <cstdint>
#include <optional>

namespace sluice::cli {

struct TailProbe {
  // The first valid batch found after the damage: its position and base offset.
  std::optional<uint64_t> valid_batch_position;
  int64_t valid_batch_offset = 0;
  // From the stop point to the end of the last non-zero byte: the data recovery would drop.
  uint64_t damaged_bytes = 0;
};

// `scan` is the scan of `file` (`file_bytes` bytes) that stopped on damage.
Result<TailProbe> probe_tail(io::FileSystem& fs, io::FileHandle file, uint64_t file_bytes,
                             const partitions::ScanResult& scan,
                             const partitions::ScanOptions& options);

}  // namespace sluice::cli
