// sluice-bench: whole-path throughput and tail-latency benchmarks. `sluice-bench help` lists
// them.
#include "bench/sluice_bench/embedded_bench.h"
#include "bench/sluice_bench/limits_bench.h"
#include "bench/sluice_bench/remote_bench.h"
#include "bench/sluice_bench/storage_bench.h"

#include <cstdio>
#include <string>
#include <vector>

namespace {

constexpr const char* kUsage =
    "usage: sluice-bench <benchmark> [options]\n"
    "  storage   appends to one partition log (sluice-bench storage --help)\n"
    "  embedded  the engine through its public API: produce, e2e, query\n"
    "            (sluice-bench embedded --help)\n"
    "  kafka     a Kafka server (sluiced) through librdkafka: produce, consume, e2e\n"
    "  http      sluiced's HTTP API: query (single-event reads), queue (receive + ack)\n"
    "  redis     Redis Streams, for comparison: xadd, xrange\n"
    "  limits    this machine's memcpy and loopback TCP bandwidth, loopback round trip, paced\n"
    "            hand-off\n"
    "Each takes --help.\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> words(argv + 1, argv + argc);
  if (words.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  if (words[0] == "help" || words[0] == "--help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  using namespace sluice::bench;
  const std::span<const std::string> rest = std::span<const std::string>(words).subspan(1);
  if (words[0] == "storage") return storage_command(rest);
  if (words[0] == "embedded") return embedded_command(rest);
  if (words[0] == "kafka") return remote_command(RemoteBenchmark::kafka, rest);
  if (words[0] == "http") return remote_command(RemoteBenchmark::http, rest);
  if (words[0] == "redis") return remote_command(RemoteBenchmark::redis, rest);
  if (words[0] == "limits") return limits_command(rest);
  std::fprintf(stderr, "sluice-bench: unknown benchmark '%s'\n%s", words[0].c_str(), kUsage);
  return 2;
}
