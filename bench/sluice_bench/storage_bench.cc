// The storage benchmark's run: the log's owner loop, as a shard would run it. It appends
// pre-built batches until the log says would_block or the pipeline is as deep as wanted, then
// flush() and fs.poll() (busy: a shard owns its core), and records each append's latency when
// its durability is reached.
//
// Batches are built once, before the clock starts (BatchBuilder, records of record_bytes with
// small keys): building them is the producer's work, measured by record_batch_bench, and the
// log copies each batch, so one buffer can be appended again and again.
#include "bench/sluice_bench/storage_bench.h"

#include "io/logger.h"
#include "io/uring_file_system.h"
#include "partitions/partition_log.h"
#include "tools/common/scratch_dir.h"

#include <chrono>
#include <cstdio>
#include <optional>
#include <random>
#include <vector>

namespace sluice::bench {
namespace {

using partitions::AppendInfo;
using partitions::PartitionLog;

constexpr size_t kDistinctBatches = 32;

int64_t now_ns() {
  using namespace std::chrono;
  return duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
}

int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

struct BatchSet {
  std::vector<std::vector<std::byte>> batches;
  uint64_t records_per_batch = 0;
};

// Batches of the same size (same record count, key and value lengths), with distinct keys.
BatchSet build_batches(const StorageOptions& options) {
  std::mt19937_64 rng(42);
  std::vector<std::byte> value(options.record_bytes);
  for (auto& b : value)
    b = static_cast<std::byte>(rng());
  std::vector<std::byte> key(options.key_bytes, std::byte{'k'});
  partitions::BatchBuilder builder;
  builder.add(std::span<const std::byte>(key), std::span<const std::byte>(value), 0);
  const uint64_t record_size = builder.size_bytes() - partitions::kBatchHeaderBytes;
  BatchSet set;
  set.records_per_batch = std::max<uint64_t>(
      1, (options.batch_bytes - std::min(options.batch_bytes, partitions::kBatchHeaderBytes)) /
             record_size);
  const int64_t timestamp = wall_ms();
  uint64_t key_number = 0;
  for (size_t b = 0; b < kDistinctBatches; ++b) {
    builder.reset();
    for (uint64_t r = 0; r < set.records_per_batch; ++r, ++key_number) {
      for (size_t i = 0; i < key.size() && i < 8; ++i) {
        key[key.size() - 1 - i] = static_cast<std::byte>('0' + (key_number >> (3 * i)) % 8);
      }
      builder.add(std::span<const std::byte>(key), std::span<const std::byte>(value), timestamp);
    }
    auto bytes = builder.finish();
    set.batches.emplace_back(bytes.begin(), bytes.end());
  }
  return set;
}

partitions::LogOptions log_options(const StorageOptions& options) {
  partitions::LogOptions log;
  log.direct_io = options.direct_io;
  log.small_write_bytes = static_cast<uint32_t>(options.small_write_bytes);
  log.segment_bytes = options.segment_bytes;
  log.chunk_bytes = static_cast<uint32_t>(options.chunk_bytes);
  log.tail_cache_bytes = options.tail_cache_bytes;
  log.max_writes_in_flight = static_cast<uint32_t>(options.max_writes_in_flight);
  log.max_batch_bytes =
      static_cast<uint32_t>(std::max<uint64_t>(1u << 20, options.batch_bytes * 2));
  return log;
}

class Runner {
 public:
  Runner(const StorageOptions& options, io::FileSystem& fs, PartitionLog& log,
         const BatchSet& batches, StorageResult& result)
      : options_(options), fs_(fs), log_(log), batches_(batches), result_(result) {
    if (options.rate > 0) {
      interval_ns_ = static_cast<double>(batches.records_per_batch) * 1e9 / options.rate;
    }
  }

  Result<void> run() {
    start_ns_ = now_ns();
    const int64_t end_ns = start_ns_ + static_cast<int64_t>(options_.seconds * 1e9);
    for (int64_t now = start_ns_; now < end_ns; now = now_ns()) {
      SLUICE_TRY(send_some(now));
      log_.flush();
      fs_.poll(std::chrono::microseconds(0));
    }
    int64_t last_ns = now_ns();
    if (options_.durability != Durability::none) {
      SLUICE_TRY(drain());
      last_ns = last_completion_ns_;
    }
    result_.elapsed_s = static_cast<double>(last_ns - start_ns_) / 1e9;
    return {};
  }

 private:
  bool pipeline_full() const { return options_.pipeline > 0 && outstanding_ >= options_.pipeline; }

  // Appends batches while the log takes them and (open loop) while they are due.
  Result<void> send_some(int64_t now) {
    while (!pipeline_full()) {
      int64_t intended = now;
      if (interval_ns_ > 0) {
        intended = start_ns_ + static_cast<int64_t>(static_cast<double>(sent_) * interval_ns_);
        if (intended > now) return {};
      }
      const auto& batch = batches_.batches[sent_ % batches_.batches.size()];
      partitions::AppendCallback done;
      if (options_.durability != Durability::none) {
        done = [this, intended](const Result<AppendInfo>& r) { on_complete(intended, r); };
      }
      auto appended = log_.append(batch, options_.durability, std::move(done));
      if (!appended.ok()) {
        if (appended.code() == Errc::would_block) {
          ++result_.would_block;
          return {};
        }
        return std::move(appended).error();
      }
      ++sent_;
      if (options_.durability == Durability::none) {
        complete(intended, now_ns());
      } else {
        ++outstanding_;
      }
      now = now_ns();
    }
    return {};
  }

  void complete(int64_t intended_ns, int64_t at_ns) {
    result_.latency_ns.record(static_cast<uint64_t>(std::max<int64_t>(0, at_ns - intended_ns)));
    ++result_.batches;
    result_.records += batches_.records_per_batch;
  }

  void on_complete(int64_t intended_ns, const Result<AppendInfo>& appended) {
    --outstanding_;
    last_completion_ns_ = now_ns();
    if (appended.ok()) {
      complete(intended_ns, last_completion_ns_);
    } else if (result_.errors++ == 0) {
      result_.first_error = appended.error().to_string();
    }
  }

  Result<void> drain() {
    const int64_t deadline = now_ns() + 60'000'000'000;
    while (outstanding_ > 0) {
      if (now_ns() > deadline) return Error(Errc::timed_out, "appends still pending after 60 s");
      log_.flush();
      fs_.poll(std::chrono::microseconds(0));
    }
    return {};
  }

  const StorageOptions& options_;
  io::FileSystem& fs_;
  PartitionLog& log_;
  const BatchSet& batches_;
  StorageResult& result_;
  double interval_ns_ = 0;
  int64_t start_ns_ = 0;
  int64_t last_completion_ns_ = 0;
  uint64_t sent_ = 0;
  uint64_t outstanding_ = 0;
};

// Notes from the log (recovery, an O_DIRECT fallback) go to stderr; the fallback is also
// remembered, as it changes what the run measures.
LogSink watch_log(bool* direct_refused) {
  return set_log_sink([direct_refused](LogLevel, std::string_view line) {
    if (line.find("O_DIRECT is not supported") != std::string_view::npos) *direct_refused = true;
    std::fprintf(stderr, "sluice-bench: log: %.*s\n", static_cast<int>(line.size()), line.data());
  });
}

Result<void> run_in(const std::string& dir, const StorageOptions& options, StorageResult& result) {
  auto fs = io::make_uring_file_system();
  if (!fs.ok()) return std::move(fs).error();
  const BatchSet batches = build_batches(options);
  result.records_per_batch = batches.records_per_batch;
  result.batch_bytes = batches.batches.front().size();
  bool direct_refused = false;
  LogSink previous = watch_log(&direct_refused);
  const int64_t open_ns = now_ns();
  auto log = PartitionLog::open(**fs, dir, log_options(options));
  if (!log.ok()) {
    set_log_sink(previous);
    return std::move(log).error();
  }
  if ((*log)->next_offset() > 0) {
    std::fprintf(stderr, "sluice-bench: reopened %s at offset %lld in %.1f ms\n", dir.c_str(),
                 static_cast<long long>((*log)->next_offset()),
                 static_cast<double>(now_ns() - open_ns) / 1e6);
  }
  Result<void> ran = Runner(options, **fs, **log, batches, result).run();
  log->reset();  // closes: writes and syncs what is left, outside the measured time
  set_log_sink(previous);
  result.direct_io_used = options.direct_io && !direct_refused;
  return ran;
}

}  // namespace

Result<StorageResult> run_storage_bench(const StorageOptions& options) {
  StorageResult result;
  std::optional<tools::ScratchDir> scratch;
  Result<std::string> base =
      tools::ScratchDir::given_or_scratch(options.data_dir, "sluice-bench", scratch);
  if (!base.ok()) return std::move(base).error();
  SLUICE_TRY(run_in(*base + "/storage-0", options, result));
  return result;
}

}  // namespace sluice::bench
