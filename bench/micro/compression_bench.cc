// Decoding compressed record batches: engine::decode_into (the path of Engine::read, consumers
// and queues) over one 16 KiB batch of 100-byte records, uncompressed and with each Kafka codec,
// beside memcpy of the same bytes as the physical reference. Items are records, bytes the
// uncompressed records section (what a reader gets out). decompress() alone is measured too, and
// memcpy of 64 MiB for the machine's memory bandwidth.
//
//   build-comp/bin/compression_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true   (one command line)
#include "engine/record_decoding.h"
#include "partitions/compression.h"
#include "partitions/record_batch.h"
#include "tests/support/compressed_batches.h"

#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace sluice {
namespace {

using partitions::Compression;

constexpr size_t kBatchBytes = 16 * 1024;
constexpr size_t kValueBytes = 100;

// Values of 100 bytes like JSON events: a few fields that repeat, numbers that do not.
std::string event_value(std::mt19937& rng, int i) {
  std::string v = R"({"id":)" + std::to_string(i) + R"(,"user":"u)" + std::to_string(rng() % 5000) +
                  R"(","amount":)" + std::to_string(rng() % 100000) + R"(,"kind":"order"})";
  v.resize(kValueBytes, ' ');
  return v;
}

struct Sample {
  std::vector<std::byte> batch;  // the whole batch, compressed with the codec
  size_t records = 0;
  size_t records_bytes = 0;  // the uncompressed records section
};

Sample make_sample(Compression codec) {
  std::mt19937 rng(7);
  partitions::BatchBuilder builder;
  int i = 0;
  while (builder.size_bytes() + kValueBytes + 24 <= kBatchBytes) {
    builder.add("user-" + std::to_string(i % 64), event_value(rng, i), 1'700'000'000'000 + i);
    ++i;
  }
  const auto plain = builder.finish();
  Sample sample;
  sample.records = static_cast<size_t>(builder.record_count());
  sample.records_bytes = plain.size() - partitions::kBatchHeaderBytes;
  if (codec == Compression::none) {
    sample.batch.assign(plain.begin(), plain.end());
  } else {
    sample.batch = testing::compress_batch(plain, codec);
  }
  return sample;
}

void set_counters(benchmark::State& state, const Sample& sample) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * sample.records));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * sample.records_bytes));
  state.counters["stored_bytes"] = static_cast<double>(sample.batch.size());
}

void BM_DecodeInto(benchmark::State& state) {
  const auto codec = static_cast<Compression>(state.range(0));
  state.SetLabel(std::string(partitions::compression_name(codec)));
  const Sample sample = make_sample(codec);
  std::vector<Record> out;
  for (auto _ : state) {
    out.clear();
    auto progress = engine::decode_into("t", 0, sample.batch, 0, UINT32_MAX, out);
    if (!progress.ok() || progress->records != sample.records) {
      state.SkipWithError(progress.ok() ? "records missing" : progress.error().message().c_str());
      return;
    }
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(state, sample);
}

void BM_Decompress(benchmark::State& state) {
  const auto codec = static_cast<Compression>(state.range(0));
  state.SetLabel(std::string(partitions::compression_name(codec)));
  const Sample sample = make_sample(codec);
  const auto section = std::span(sample.batch).subspan(partitions::kBatchHeaderBytes);
  std::vector<std::byte> out;
  for (auto _ : state) {
    auto n = partitions::decompress(codec, section, partitions::kMaxDecompressedBatchBytes, out);
    if (!n.ok()) {
      state.SkipWithError(n.error().message().c_str());
      return;
    }
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(state, sample);
}

// The physical reference: copying the uncompressed records section once.
void BM_Memcpy(benchmark::State& state) {
  const Sample sample = make_sample(Compression::none);
  std::vector<std::byte> out(sample.batch.size());
  for (auto _ : state) {
    std::memcpy(out.data(), sample.batch.data(), sample.batch.size());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, sample);
}

// Memory bandwidth: 64 MiB copied, far past the caches (the reference the other results in
// bench/RESULTS.md use).
void BM_MemcpyLarge(benchmark::State& state) {
  const size_t bytes = size_t{64} << 20;
  std::vector<std::byte> from(bytes, std::byte{1});
  std::vector<std::byte> to(bytes);
  for (auto _ : state) {
    std::memcpy(to.data(), from.data(), bytes);
    benchmark::DoNotOptimize(to.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}

BENCHMARK(BM_DecodeInto)->DenseRange(0, 4);
BENCHMARK(BM_Decompress)->DenseRange(1, 4);
BENCHMARK(BM_Memcpy);
BENCHMARK(BM_MemcpyLarge);

}  // namespace
}  // namespace sluice
