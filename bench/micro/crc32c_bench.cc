// CRC-32C throughput of the hardware (SSE4.2, three interleaved streams) and portable
// (slicing-by-8) paths, from a cache-resident 64 B to a 1 MiB buffer.
#include "partitions/crc32c.h"

#include <benchmark/benchmark.h>

#include <random>
#include <vector>

namespace sluice::partitions {
namespace {

std::vector<std::byte> random_buffer(size_t n) {
  std::mt19937_64 rng(1);
  std::vector<std::byte> out(n);
  for (auto& b : out)
    b = static_cast<std::byte>(rng());
  return out;
}

template <uint32_t (*Crc)(uint32_t, std::span<const std::byte>)>
void run(benchmark::State& state) {
  auto data = random_buffer(static_cast<size_t>(state.range(0)));
  uint32_t crc = 0;
  for (auto _ : state) {
    crc = Crc(crc, data);
    benchmark::DoNotOptimize(crc);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

void BM_Crc32cHardware(benchmark::State& state) {
  if (!crc32c_hardware_available()) {
    state.SkipWithError("no SSE4.2");
    return;
  }
  run<crc32c_hardware>(state);
}

void BM_Crc32cPortable(benchmark::State& state) {
  run<crc32c_portable>(state);
}

void BM_Crc32cDispatch(benchmark::State& state) {
  run<crc32c_extend>(state);
}

BENCHMARK(BM_Crc32cHardware)->Arg(64)->Arg(4 << 10)->Arg(64 << 10)->Arg(1 << 20);
BENCHMARK(BM_Crc32cPortable)->Arg(64)->Arg(4 << 10)->Arg(64 << 10)->Arg(1 << 20);
BENCHMARK(BM_Crc32cDispatch)->Arg(64)->Arg(4 << 10);

}  // namespace
}  // namespace sluice::partitions
