// KeyIndex: get (hit and miss) and put (update of a present key, and insert with growth), in
// ns per operation, for indexes of 1 Ki to 4 Mi keys (from cache-resident to DRAM-bound).
#include "partitions/key_index.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <vector>

namespace sluice::partitions {
namespace {

std::vector<uint64_t> random_hashes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint64_t> out(n);
  for (auto& h : out)
    h = rng() | 1;
  return out;
}

// An index holding `n` random hashes, and those hashes in a shuffled order.
struct Filled {
  explicit Filled(size_t n) : hashes(random_hashes(n, 1)) {
    for (size_t i = 0; i < n; ++i)
      index.put(hashes[i], static_cast<int64_t>(i));
    std::shuffle(hashes.begin(), hashes.end(), std::mt19937_64(2));
  }
  KeyIndex index;
  std::vector<uint64_t> hashes;
};

void BM_KeyIndexGetHit(benchmark::State& state) {
  Filled filled(static_cast<size_t>(state.range(0)));
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(filled.index.get(filled.hashes[i]));
    if (++i == filled.hashes.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void BM_KeyIndexGetMiss(benchmark::State& state) {
  Filled filled(static_cast<size_t>(state.range(0)));
  auto misses = random_hashes(filled.hashes.size(), 3);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(filled.index.get(misses[i]));
    if (++i == misses.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void BM_KeyIndexPutUpdate(benchmark::State& state) {
  Filled filled(static_cast<size_t>(state.range(0)));
  size_t i = 0;
  int64_t offset = static_cast<int64_t>(filled.hashes.size());
  for (auto _ : state) {
    filled.index.put(filled.hashes[i], offset++);
    if (++i == filled.hashes.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

// Inserting range(0) new keys into an index that starts at its smallest size: the cost per
// put includes every growth on the way.
void BM_KeyIndexPutInsert(benchmark::State& state) {
  auto hashes = random_hashes(static_cast<size_t>(state.range(0)), 4);
  for (auto _ : state) {
    KeyIndex index(16);
    for (size_t i = 0; i < hashes.size(); ++i)
      index.put(hashes[i], static_cast<int64_t>(i));
    benchmark::DoNotOptimize(index.size());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

BENCHMARK(BM_KeyIndexGetHit)->Arg(1 << 10)->Arg(64 << 10)->Arg(4 << 20);
BENCHMARK(BM_KeyIndexGetMiss)->Arg(1 << 10)->Arg(64 << 10)->Arg(4 << 20);
BENCHMARK(BM_KeyIndexPutUpdate)->Arg(1 << 10)->Arg(64 << 10)->Arg(4 << 20);
BENCHMARK(BM_KeyIndexPutInsert)->Arg(1 << 10)->Arg(64 << 10)->Arg(4 << 20);

}  // namespace
}  // namespace sluice::partitions
