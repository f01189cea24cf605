#include "bench/sluice_bench/report_json.h"

namespace sluice::bench {

void print_latency_json(FILE* out, const char* name, const LatencyHistogram& h) {
  std::fprintf(out,
               ",\n  \"%s\": {\"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, \"p999\": %.3f, "
               "\"p9999\": %.3f, \"max\": %.3f, \"count\": %llu}",
               name, ns_to_us(h.percentile(50)), ns_to_us(h.percentile(90)),
               ns_to_us(h.percentile(99)), ns_to_us(h.percentile(99.9)),
               ns_to_us(h.percentile(99.99)), ns_to_us(h.max()),
               static_cast<unsigned long long>(h.count()));
}

std::string json_safe(std::string text) {
  for (char& c : text) {
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return text;
}

}  // namespace sluice::bench
