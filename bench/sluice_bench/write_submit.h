// The cost of starting one file write through io_uring on the thread that submits it: the
// time io_uring_enter takes for a single 4 KiB write at the end of a preallocated file, as a
// shard starts its tail writes. With O_DIRECT the write reaches the device driver inside that
// call, and on a virtual machine the driver's notification of the device stops the thread
// until the host has taken the request; a buffered write only copies into the page cache (or
// is handed to a kernel worker). Writes are paced at 1,000/s, each awaited before the next, so
// the device is idle when each starts. Part of `sluice-bench limits`.
//
// Thread-safety: runs on the calling thread only.
#pragma once

#include "bench/sluice_bench/latency_histogram.h"

#include <sluice/result.h>

#include <string>

namespace sluice::bench {

// Writes a file in `dir` (removed afterwards) for `seconds`; records each submission's time.
// Errc::unsupported when `direct` and the filesystem of `dir` refuses O_DIRECT.
Result<void> measure_write_submits(const std::string& dir, bool direct, double seconds,
                                   LatencyHistogram& out);

}  // namespace sluice::bench
