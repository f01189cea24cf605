// sluice-bench: whole-path throughput and tail-latency benchmarks. `sluice-bench help` lists
// them.
#include "bench/sluice_bench/embedded_bench.h"
#include "bench/sluice_bench/storage_bench.h"

#include <cstdio>
#include <string>
#include <vector>

namespace {

constexpr const char* kUsage =
    "usage: sluice-bench <benchmark> [options]\n"
    "  storage   appends to one partition log (sluice-bench storage --help)\n"
    "  embedded  the engine through its public API: produce, e2e, query\n"
    "            (sluice-bench embedded --help)\n";

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
  if (words[0] == "storage") {
    return sluice::bench::storage_command(std::span<const std::string>(words).subspan(1));
  }
  if (words[0] == "embedded") {
    return sluice::bench::embedded_command(std::span<const std::string>(words).subspan(1));
  }
  std::fprintf(stderr, "sluice-bench: unknown benchmark '%s'\n%s", words[0].c_str(), kUsage);
  return 2;
}
