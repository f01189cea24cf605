// Record batch encode (BatchBuilder: add + finish with its CRC) and decode (validate_batch +
// decode_records), for 100 records of 100 bytes and of 4 KiB values.
#include "partitions/record_batch.h"

#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

namespace sluice::partitions {
namespace {

constexpr int kRecords = 100;

std::vector<std::byte> random_bytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::byte> out(n);
  for (auto& b : out)
    b = static_cast<std::byte>(rng());
  return out;
}

// Keys of 16 bytes and values of range(0) bytes, as a typical keyed producer sends them.
struct Input {
  std::vector<std::vector<std::byte>> keys;
  std::vector<std::byte> value;

  explicit Input(size_t value_bytes) : value(random_bytes(value_bytes, 2)) {
    for (int i = 0; i < kRecords; ++i)
      keys.push_back(random_bytes(16, 100 + i));
  }
};

void build(BatchBuilder& builder, const Input& in, int64_t base_offset) {
  builder.reset(base_offset);
  for (int i = 0; i < kRecords; ++i) {
    builder.add(std::span<const std::byte>(in.keys[static_cast<size_t>(i)]),
                std::span<const std::byte>(in.value), 1'700'000'000'000 + i);
  }
}

void BM_BatchEncode(benchmark::State& state) {
  Input in(static_cast<size_t>(state.range(0)));
  BatchBuilder builder;
  size_t bytes = 0;
  for (auto _ : state) {
    build(builder, in, 0);
    auto batch = builder.finish();
    bytes = batch.size();
    benchmark::DoNotOptimize(batch.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kRecords);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}

void BM_BatchDecode(benchmark::State& state) {
  Input in(static_cast<size_t>(state.range(0)));
  BatchBuilder builder;
  build(builder, in, 0);
  auto span = builder.finish();
  std::vector<std::byte> batch(span.begin(), span.end());
  for (auto _ : state) {
    auto header = validate_batch(batch);
    auto records = decode_records(batch);
    if (!header.ok() || !records.ok()) {
      state.SkipWithError("decode failed");
      return;
    }
    benchmark::DoNotOptimize(records->data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kRecords);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * batch.size()));
}

BENCHMARK(BM_BatchEncode)->Arg(100)->Arg(4096);
BENCHMARK(BM_BatchDecode)->Arg(100)->Arg(4096);

}  // namespace
}  // namespace sluice::partitions
