// sluice-bench storage: appends to one partition log for a while and measures throughput and
// the latency of each append's completion, from the append call (closed loop) or from the
// batch's intended send time (open loop, --rate), to the moment its durability is reached.
#pragma once

#include "bench/sluice_bench/latency_histogram.h"

#include <sluice/durability.h>
#include <sluice/result.h>

#include <cstdint>
#include <span>
#include <string>

namespace sluice::bench {

struct StorageOptions {
  uint64_t record_bytes = 100;  // value bytes per record
  uint64_t key_bytes = 16;
  Durability durability = Durability::written;
  double seconds = 10;
  std::string data_dir;  // empty: a temporary directory, removed afterwards
  uint64_t batch_bytes = 16384;
  double rate = 0;        // events per second; 0 runs closed-loop (as fast as it goes)
  uint64_t pipeline = 0;  // most batches awaiting durability; 0: until would_block
  std::string json_path;
  // Partition log options.
  bool direct_io = true;
  uint64_t small_write_bytes = 64 * 1024;  // LogOptions::small_write_bytes
  uint64_t segment_bytes = 1ull << 30;
  uint64_t chunk_bytes = 1u << 20;
  uint64_t tail_cache_bytes = 64ull << 20;
  uint64_t max_writes_in_flight = 8;
};

struct StorageResult {
  uint64_t records_per_batch = 0;
  uint64_t batch_bytes = 0;  // actual bytes of each batch on disk
  uint64_t batches = 0;      // completed (durability reached)
  uint64_t records = 0;
  double elapsed_s = 0;      // from the first append to the last completion
  uint64_t would_block = 0;  // appends refused for backpressure
  uint64_t errors = 0;
  std::string first_error;
  LatencyHistogram latency_ns;
  bool direct_io_used = true;  // false when the filesystem refused O_DIRECT

  double events_per_sec() const {
    return elapsed_s > 0 ? static_cast<double>(records) / elapsed_s : 0;
  }
  double bytes_per_sec() const {
    return elapsed_s > 0 ? static_cast<double>(batches * batch_bytes) / elapsed_s : 0;
  }
};

Result<StorageResult> run_storage_bench(const StorageOptions& options);

// The command: parses `words`, runs, prints a summary line, writes the JSON; an exit code.
int storage_command(std::span<const std::string> words);

}  // namespace sluice::bench
