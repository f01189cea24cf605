// PartitionLog append throughput on the real file system (io_uring, a temporary directory under
// $TMPDIR, which must be on a disk for the figures to mean anything): batches of about 16 KiB
// of 100-byte or 4 KiB records, with each durability. The owner loop is the one a shard runs:
// append until would_block, then flush() and poll(). Each written or synced append carries a
// callback, as a producer's would; the figure is throughput, sluice-bench gives latencies.
#include "io/uring_file_system.h"
#include "partitions/partition_log.h"

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace sluice::partitions {
namespace {

constexpr size_t kBatchBytes = 16384;

std::vector<std::byte> make_batch(size_t record_bytes) {
  std::mt19937_64 rng(1);
  std::vector<std::byte> value(record_bytes);
  for (auto& b : value)
    b = static_cast<std::byte>(rng());
  BatchBuilder builder;
  int i = 0;
  do {
    const std::string key = "key-" + std::to_string(i++);
    builder.add(std::as_bytes(std::span(key)), std::span<const std::byte>(value),
                1'700'000'000'000);
  } while (builder.size_bytes() + record_bytes + 32 <= kBatchBytes);
  auto bytes = builder.finish();
  return {bytes.begin(), bytes.end()};
}

std::string make_temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/sluice-bench-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) return {};
  return pattern;
}

void BM_Append(benchmark::State& state) {
  const auto durability = static_cast<Durability>(state.range(0));
  const auto batch = make_batch(static_cast<size_t>(state.range(1)));
  const int32_t records = validate_batch(batch)->record_count;
  const std::string dir = make_temp_dir();
  auto fs = io::make_uring_file_system();
  if (dir.empty() || !fs.ok()) return state.SkipWithError("no temporary directory or io_uring");
  uint64_t completed = 0;
  {
    auto log = PartitionLog::open(**fs, dir + "/p", LogOptions{});
    if (!log.ok()) return state.SkipWithError(log.error().to_string().c_str());
    AppendCallback done;
    if (durability != Durability::none)
      done = [&completed](const Result<AppendInfo>&) { ++completed; };
    for (auto _ : state) {
      for (;;) {
        auto appended = (*log)->append(batch, durability, done);
        if (appended.ok()) break;
        if (appended.code() != Errc::would_block) {
          state.SkipWithError(appended.error().to_string().c_str());
          break;
        }
        (*log)->flush();
        (*fs)->poll(std::chrono::microseconds(0));
      }
    }
    // The last appends' durability, inside the figure: sync() waits for everything.
    if (!(*log)->sync().ok()) state.SkipWithError("sync failed");
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * records);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * batch.size()));
  state.counters["records_per_batch"] = records;
}

// Arguments: durability (0 none, 1 written, 2 synced), record bytes.
BENCHMARK(BM_Append)
    ->ArgsProduct({{0, 1, 2}, {100, 4096}})
    ->ArgNames({"durability", "record_bytes"})
    ->MinTime(2.0)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace sluice::partitions
