// sluice demo [--data-dir D]: a short tour of the partition log, what `tools/dev run` starts
// until the server exists. It appends keyed events with each durability, shows when each
// durability is reached, reads the events back, then closes the log and reopens it (recovery)
// and prints the partition's state. Without --data-dir it works in a temporary directory that
// it removes afterwards.
#include "io/uring_file_system.h"
#include "partitions/partition_log.h"
#include "tools/common/scratch_dir.h"
#include "tools/sluice/cli_args.h"
#include "tools/sluice/commands.h"

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <optional>
#include <string>

namespace sluice::cli {
namespace {

using partitions::AppendInfo;
using partitions::PartitionLog;
using Clock = std::chrono::steady_clock;

constexpr const char* kUsage = "usage: sluice demo [--data-dir <dir>]\n";
constexpr int kEventsPerBatch = 3;

int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

partitions::LogOptions demo_options() {
  partitions::LogOptions options;
  options.segment_bytes = 8u << 20;  // small: the demo writes a few hundred bytes
  options.tail_cache_bytes = 4u << 20;
  return options;
}

// Appends one batch of keyed events; a written or synced append reports from fs.poll() once
// its durability is reached. Returns the number of callbacks still to come.
Result<int> append_batch(PartitionLog& log, Durability durability, int batch) {
  partitions::BatchBuilder builder;
  for (int i = 0; i < kEventsPerBatch; ++i) {
    const std::string key = "sensor-" + std::to_string(i);
    const std::string value = "{\"batch\":" + std::to_string(batch) +
                              ",\"celsius\":" + std::to_string(20 + batch * kEventsPerBatch + i) +
                              "}";
    builder.add(key, value, wall_ms());
  }
  const auto started = Clock::now();
  const std::string name(durability_name(durability));
  auto done = [name, started](const Result<AppendInfo>& result) {
    const auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started).count();
    if (!result.ok()) {
      std::printf("  %-7s append failed: %s\n", name.c_str(), result.error().to_string().c_str());
      return;
    }
    std::printf("  %-7s reached for offsets %" PRId64 "..%" PRId64 " after %lld us\n", name.c_str(),
                result->base_offset, result->last_offset, static_cast<long long>(us));
  };
  auto info = log.append(builder.finish(), durability,
                         durability == Durability::none ? partitions::AppendCallback{} : done);
  if (!info.ok()) return std::move(info).error();
  std::printf("appended %d events with durability %s: offsets %" PRId64 "..%" PRId64 "\n",
              kEventsPerBatch, name.c_str(), info->base_offset, info->last_offset);
  if (durability == Durability::none) {
    std::printf("  none    reached for offsets %" PRId64 "..%" PRId64 " when append returned\n",
                info->base_offset, info->last_offset);
    return 0;
  }
  return 1;
}

Result<void> wait_for_callbacks(io::FileSystem& fs, PartitionLog& log) {
  log.flush();
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (log.synced_watermark().load(std::memory_order_acquire) < log.next_offset() ||
         fs.in_flight() > 0) {
    if (Clock::now() > deadline) return Error(Errc::timed_out, "appends not durable after 10 s");
    fs.poll(std::chrono::milliseconds(10));
  }
  return {};
}

std::string text(const std::optional<std::span<const std::byte>>& bytes) {
  if (!bytes) return "null";
  return std::string(reinterpret_cast<const char*>(bytes->data()), bytes->size());
}

Result<void> read_back(const PartitionLog& log) {
  auto read = log.read(log.start_offset(), 1u << 20);
  if (!read.ok()) return std::move(read).error();
  std::printf("read back offsets %" PRId64 "..%" PRId64 " (%u batches):\n", read->first_offset,
              read->next_offset - 1, read->batches);
  std::span<const std::byte> rest(read->bytes);
  while (!rest.empty()) {
    auto header = partitions::decode_batch_header(rest);
    if (!header.ok()) return std::move(header).error();
    auto batch = rest.first(header->total_bytes());
    auto records = partitions::decode_records(batch);
    if (!records.ok()) return std::move(records).error();
    for (const auto& record : *records) {
      std::printf("  offset %" PRId64 "  key=%s  value=%s\n", record.offset,
                  text(record.key).c_str(), text(record.value).c_str());
    }
    rest = rest.subspan(batch.size());
  }
  return {};
}

void print_info(const partitions::PartitionInfo& info) {
  std::printf("partition after recovery: start offset %" PRId64 ", next offset %" PRId64
              ", written %" PRId64 ", synced %" PRId64 ", %" PRIu64 " bytes in %u segment(s)\n",
              info.start_offset, info.next_offset, info.written_offset, info.synced_offset,
              info.size_bytes, info.segments);
}

Result<void> run(const std::string& dir) {
  auto fs = io::make_uring_file_system();
  if (!fs.ok()) return std::move(fs).error();
  std::printf("partition directory: %s\n", dir.c_str());
  {
    auto log = PartitionLog::open(**fs, dir, demo_options());
    if (!log.ok()) return std::move(log).error();
    int batch = 0;
    for (Durability durability : {Durability::none, Durability::written, Durability::synced}) {
      auto appended = append_batch(**log, durability, batch++);
      if (!appended.ok()) return std::move(appended).error();
    }
    SLUICE_TRY(wait_for_callbacks(**fs, **log));
    SLUICE_TRY(read_back(**log));
    std::printf("closing the log and reopening it (recovery)\n");
  }
  auto reopened = PartitionLog::open(**fs, dir, demo_options());
  if (!reopened.ok()) return std::move(reopened).error();
  print_info((*reopened)->info());
  return read_back(**reopened);
}

}  // namespace

int run_demo(std::span<const std::string> words) {
  auto args = Flags::parse(words);
  if (!args.ok()) return usage_error("demo", args.error().message(), kUsage);
  auto data_dir = args->text("data-dir");
  if (auto unknown = args->first_unknown())
    return usage_error("demo", "unknown option " + *unknown, kUsage);
  if (!args->positionals().empty()) {
    return usage_error("demo", "unexpected argument '" + args->positionals()[0] + "'", kUsage);
  }
  std::optional<tools::ScratchDir> scratch;
  if (!data_dir) {
    auto created = tools::ScratchDir::create("sluice-demo");
    if (!created.ok()) return usage_error("demo", created.error().to_string(), kUsage);
    scratch.emplace(std::move(created).value());
  }
  const std::string dir = (data_dir ? *data_dir : scratch->path()) + "/demo-0";
  if (auto ran = run(dir); !ran.ok()) {
    std::fflush(stdout);
    std::fprintf(stderr, "sluice demo: %s\n", ran.error().to_string().c_str());
    return kExitUsage;
  }
  return kExitOk;
}

}  // namespace sluice::cli
