// The pieces of sluice-bench's JSON reports that every benchmark shares: a latency object
// {"p50", "p90", "p99", "p999", "p9999", "max", "count"} in microseconds, and strings made safe
// to print inside quotes.
//
// Thread-safety: plain functions on caller-owned values.
#pragma once

#include "bench/sluice_bench/latency_histogram.h"

#include <cstdio>
#include <string>

namespace sluice::bench {

inline double ns_to_us(uint64_t ns) {
  return static_cast<double>(ns) / 1000.0;
}

// Writes `,\n  "name": {...}` (the report's objects follow a first field, so each starts with
// the comma).
void print_latency_json(FILE* out, const char* name, const LatencyHistogram& h);

// `text` with quotes, backslashes and control characters replaced by spaces: the messages are
// sluice's or a server's own text, printed between quotes.
std::string json_safe(std::string text);

}  // namespace sluice::bench
