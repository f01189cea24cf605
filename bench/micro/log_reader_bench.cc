// LogReader: one 100-byte event read at a random offset, from the tail cache (a memory copy)
// and from the segment files (the page cache, through FileSystem::read), on the real file
// system in a temporary directory under $TMPDIR (see Where below). Each batch holds one event, so a
// read walks the most batch headers between the sparse index entry and its batch (index entries
// every 4 KiB, about 24 batches apart). Besides the mean, each run times every read and reports its
// p50 and p99 (in ns; the timing adds about 20 ns).
#include "io/uring_file_system.h"
#include "partitions/log_reader.h"
#include "partitions/partition_log.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace sluice::partitions {
namespace {

constexpr size_t kEventBytes = 100;
constexpr uint64_t kLogBytes = 16ull << 20;

std::string make_temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/sluice-bench-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) return {};
  return pattern;
}

std::vector<std::byte> make_event_batch(int64_t i) {
  std::string value(kEventBytes, 'v');
  const std::string key = "key-" + std::to_string(i);
  BatchBuilder builder;
  builder.add(key, value, 1'700'000'000'000 + i);
  auto bytes = builder.finish();
  return {bytes.begin(), bytes.end()};
}

// Appends kLogBytes of one-event batches and syncs; returns the batches appended.
Result<int64_t> fill(io::FileSystem& fs, PartitionLog& log) {
  int64_t appended = 0;
  for (uint64_t bytes = 0; bytes < kLogBytes;) {
    const auto batch = make_event_batch(appended);
    auto result = log.append(batch, Durability::none);
    if (!result.ok() && result.code() != Errc::would_block) return std::move(result).error();
    if (!result.ok()) {
      fs.poll(std::chrono::microseconds(100));
      continue;
    }
    bytes += batch.size();
    ++appended;
  }
  SLUICE_TRY(log.sync());
  return appended;
}

void report_percentiles(benchmark::State& state, std::vector<int64_t>& ns) {
  if (ns.empty()) return;
  std::sort(ns.begin(), ns.end());
  state.counters["p50_ns"] = static_cast<double>(ns[ns.size() / 2]);
  state.counters["p99_ns"] = static_cast<double>(ns[ns.size() * 99 / 100]);
  state.counters["p999_ns"] = static_cast<double>(ns[ns.size() * 999 / 1000]);
}

// Reads one event at random offsets in [from, to); timed one by one on every 4th pass.
void read_random(benchmark::State& state, const LogReader& reader, int64_t from, int64_t to) {
  std::mt19937_64 random(7);
  std::vector<std::byte> buffer;
  buffer.reserve(4096);
  std::vector<int64_t> ns;
  ns.reserve(1 << 20);
  uint64_t pass = 0;
  for (auto _ : state) {
    const int64_t offset = from + static_cast<int64_t>(random() % static_cast<uint64_t>(to - from));
    const bool timed = (++pass & 3) == 0 && ns.size() < ns.capacity();
    const auto start =
        timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    auto info = reader.read_into(offset, 1, buffer);
    if (timed) ns.push_back((std::chrono::steady_clock::now() - start).count());
    if (!info.ok() || info->first_offset != offset) {
      state.SkipWithError(info.ok() ? "wrong batch" : info.error().to_string().c_str());
      break;
    }
    benchmark::DoNotOptimize(buffer.data());
  }
  report_percentiles(state, ns);
}

// Where the events read lie: anywhere in the 16 MiB log, all in the 64 MiB tail cache (random
// reads of memory, so mostly cache misses); in its newest 64 KiB (a query of recent events:
// the CPU caches hold them); in the files (a 256 KiB tail cache holds only the end, and the
// reads stay below it; the page cache holds the files).
enum class Where { tail_cache = 0, newest = 1, files = 2 };

void BM_ReadOneEvent(benchmark::State& state) {
  const auto where = static_cast<Where>(state.range(0));
  const bool from_files = where == Where::files;
  const std::string dir = make_temp_dir();
  auto fs = io::make_uring_file_system();
  if (dir.empty() || !fs.ok()) return state.SkipWithError("no temporary directory or io_uring");
  {
    LogOptions options;
    if (from_files) {
      options.chunk_bytes = 64 * 1024;
      options.max_batch_bytes = 64 * 1024;
      options.tail_cache_bytes = 256 * 1024;
    }
    auto log = PartitionLog::open(**fs, dir + "/p", options);
    if (!log.ok()) return state.SkipWithError(log.error().to_string().c_str());
    auto events = fill(**fs, **log);
    if (!events.ok()) return state.SkipWithError(events.error().to_string().c_str());
    const int64_t per_kib = 1024 / (kEventBytes + 80);  // a batch is about 170 bytes
    int64_t from = 0;
    int64_t to = *events;
    // From the files: stay clear of the last 512 KiB, which the tail cache may hold.
    if (where == Where::files) to = *events - 512 * per_kib;
    if (where == Where::newest) from = *events - 64 * per_kib;
    read_random(state, *(*log)->reader(), from, to);
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

BENCHMARK(BM_ReadOneEvent)
    ->Arg(static_cast<int>(Where::tail_cache))
    ->Arg(static_cast<int>(Where::newest))
    ->Arg(static_cast<int>(Where::files))
    ->ArgName("where")
    ->MinTime(1.0)
    ->Unit(benchmark::kNanosecond);

}  // namespace
}  // namespace sluice::partitions
