// The report of sluice-bench embedded: one summary line on stdout and the JSON file, in the
// shape of the storage benchmark's (events_per_sec, bytes_per_sec, latency_us with p50, p99,
// p999, p9999 and max, and the options used).
#pragma once

#include "bench/sluice_bench/embedded_bench.h"

#include <sluice/result.h>

namespace sluice::bench {

void print_embedded_summary(const EmbeddedOptions& options, const EmbeddedResult& result);
Result<void> write_embedded_json(const EmbeddedOptions& options, const EmbeddedResult& result);

}  // namespace sluice::bench
