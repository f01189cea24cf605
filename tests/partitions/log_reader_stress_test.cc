// LogReader under load: the owner appends (small segments, so it rolls; a small tail cache, so
// chunks recycle; retention now and then) while reader threads read random and sequential
// offsets and look up timestamps. Every record's value and timestamp follow from its offset,
// so each reader checks every byte it gets, and that nothing at or past the high watermark
// comes back. At the end the log closes under the readers. A variant on the in-memory twin
// fails a write now and then, so that the log drops its unwritten tail (a rollback) under the
// readers: they may then get an error, and the high watermark moves back, but every record
// they get is still exact. Run it under ThreadSanitizer too.
#include "io/logger.h"
#include "io/memory_file_system.h"
#include "io/uring_file_system.h"
#include "partitions/log_reader.h"
#include "partitions/partition_log.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <limits>
#include <random>
#include <string>
#include <thread>

namespace sluice::partitions {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kAppendTime = std::chrono::milliseconds(2000);
constexpr int kReaders = 3;

int64_t timestamp_of(int64_t offset) {
  return 1'000'000 + offset;
}

// 20 to 219 bytes, all determined by the offset.
std::string value_of(int64_t offset) {
  std::string value = "value-" + std::to_string(offset) + "-";
  const size_t size = 20 + static_cast<size_t>(offset * 7919 % 200);
  while (value.size() < size)
    value += static_cast<char>('a' + (offset + static_cast<int64_t>(value.size())) % 26);
  value.resize(size);
  return value;
}

std::vector<std::byte> make_batch(int64_t base_offset, int records) {
  BatchBuilder builder;
  for (int i = 0; i < records; ++i) {
    const int64_t offset = base_offset + i;
    builder.add("k" + std::to_string(offset), value_of(offset), timestamp_of(offset));
  }
  auto bytes = builder.finish();
  return {bytes.begin(), bytes.end()};
}

// Checks every record of a read that asked for `offset`; returns the number of records.
size_t check_read(std::span<const std::byte> bytes, const ReadInfo& info, int64_t offset,
                  int64_t high_watermark_after) {
  EXPECT_LE(info.first_offset, offset);
  EXPECT_LE(info.next_offset, high_watermark_after);
  int64_t expected = info.first_offset;
  size_t records = 0;
  while (!bytes.empty()) {
    auto header = decode_batch_header(bytes);
    if (!header.ok()) {
      ADD_FAILURE() << header.error().to_string();
      return records;
    }
    auto batch = bytes.first(header->total_bytes());
    EXPECT_TRUE(batch_crc_ok(batch));
    EXPECT_EQ(header->base_offset, expected);
    auto decoded = decode_records(batch);
    if (!decoded.ok()) {
      ADD_FAILURE() << decoded.error().to_string();
      return records;
    }
    for (const RecordView& record : *decoded) {
      EXPECT_EQ(record.offset, expected);
      EXPECT_LT(record.offset, high_watermark_after);
      EXPECT_EQ(record.timestamp, timestamp_of(record.offset));
      auto value = record.value.value_or(std::span<const std::byte>{});
      const std::string text(reinterpret_cast<const char*>(value.data()), value.size());
      if (text != value_of(record.offset)) {
        ADD_FAILURE() << "offset " << record.offset << ": wrong value " << text.substr(0, 40);
      }
      ++expected;
      ++records;
    }
    bytes = bytes.subspan(header->total_bytes());
  }
  EXPECT_EQ(expected, info.next_offset);
  EXPECT_GT(expected, offset);
  return records;
}

struct ReaderStats {
  uint64_t reads = 0;
  uint64_t records = 0;
  uint64_t time_lookups = 0;
  uint64_t closed = 0;
};

class Reader {
 public:
  Reader(std::shared_ptr<LogReader> reader, const std::atomic<bool>& closing, uint64_t seed,
         bool rollbacks)
      : reader_(std::move(reader)), closing_(closing), random_(seed), rollbacks_(rollbacks) {}

  // Runs until `stop`; returns what it did.
  ReaderStats run(const std::atomic<bool>& stop) {
    int64_t next = 0;  // the sequential consumer's position
    while (!stop.load(std::memory_order_relaxed) && !::testing::Test::HasFailure()) {
      const int kind = static_cast<int>(random_() % 8);
      if (kind == 0) {
        time_lookup();
      } else if (kind < 4) {
        const int64_t start = reader_->start_offset();
        const int64_t high = reader_->high_watermark();
        read_at(start + static_cast<int64_t>(random_() % static_cast<uint64_t>(high - start + 1)));
      } else {
        next = std::max(next, reader_->start_offset());
        if (rollbacks_) next = std::min(next, reader_->high_watermark());
        next = read_at(next);
      }
    }
    return stats_;
  }

 private:
  // Reads at `offset`, checks it, and returns the offset after what was read.
  int64_t read_at(int64_t offset) {
    const int64_t high_before = reader_->high_watermark();
    const uint64_t max_bytes = 1 + random_() % 6000;
    auto info = reader_->read_into(offset, max_bytes, buffer_);
    const int64_t high_after = reader_->high_watermark();
    ++stats_.reads;
    if (!info.ok()) {
      expect_allowed(info.error(), offset);
      return offset;
    }
    EXPECT_EQ(info->bytes, buffer_.size());
    if (info->batches == 0) {
      // Only an offset not yet published when the read began may come back empty.
      EXPECT_GE(offset, high_before);
      EXPECT_TRUE(buffer_.empty());
      return offset;
    }
    // A rollback lowers the high watermark: what was read was below it when the read began.
    const int64_t bound = rollbacks_ ? std::numeric_limits<int64_t>::max() : high_after;
    stats_.records += check_read(buffer_, *info, offset, bound);
    return info->next_offset;
  }

  void time_lookup() {
    const int64_t start = reader_->start_offset();
    const int64_t high = reader_->high_watermark();
    if (high == start) return;
    const int64_t offset =
        start + static_cast<int64_t>(random_() % static_cast<uint64_t>(high - start));
    auto found = reader_->offset_for_timestamp(timestamp_of(offset));
    ++stats_.time_lookups;
    if (!found.ok()) {
      expect_allowed(found.error(), offset);
      return;
    }
    // Retention may have moved the start past `offset` meanwhile.
    if (*found != offset && !rollbacks_) {
      EXPECT_GT(*found, offset);
      EXPECT_LE(*found, reader_->start_offset());
    }
  }

  // Errors a reader may see: the log closed, or retention passed the offset.
  void expect_allowed(const Error& error, int64_t offset) {
    if (error.code() == Errc::closed && closing_.load(std::memory_order_relaxed)) {
      ++stats_.closed;
      return;
    }
    if (error.code() == Errc::offset_out_of_range && offset < reader_->start_offset()) return;
    // A read that overlaps a rollback may fail (log_reader.h).
    if (rollbacks_ &&
        (error.code() == Errc::offset_out_of_range || error.code() == Errc::corruption)) {
      return;
    }
    ADD_FAILURE() << "offset " << offset << ": " << error.to_string();
  }

  std::shared_ptr<LogReader> reader_;
  const std::atomic<bool>& closing_;
  std::mt19937_64 random_;
  const bool rollbacks_;
  std::vector<std::byte> buffer_;
  ReaderStats stats_;
};

enum class Fs { memory, uring, memory_failing_writes };

class LogReaderStressTest : public ::testing::TestWithParam<Fs> {
 protected:
  // Retention and rollbacks log what they do: keep errors only.
  void SetUp() override {
    previous_sink_ = set_log_sink([](LogLevel level, std::string_view line) {
      if (level == LogLevel::error) std::fprintf(stderr, "%.*s\n", int(line.size()), line.data());
    });
  }
  void TearDown() override { set_log_sink(previous_sink_); }

  LogOptions options() const {
    LogOptions o;
    o.segment_bytes = 16 * 1024;
    o.chunk_bytes = 4096;
    o.max_batch_bytes = 4096;
    o.tail_cache_bytes = 5 * 4096;
    o.retention_bytes = 96 * 1024;
    o.index_interval_bytes = 1024;
    return o;
  }

  // The owner: appends for kAppendTime, and on a slow disk longer (up to 60 s), until there
  // were enough appends for the checks below: more than 200, and (unless writes fail) enough
  // for retention to have moved the start. Returns the number of appends.
  static uint64_t append_for_a_while(io::FileSystem& fs, PartitionLog& log,
                                     io::MemoryFileSystem* failing) {
    std::mt19937_64 random(42);
    const auto until = Clock::now() + kAppendTime;
    const auto at_most = Clock::now() + std::chrono::seconds(60);
    uint64_t appends = 0;
    auto enough = [&] { return appends > 200 && (failing != nullptr || log.start_offset() > 0); };
    while ((Clock::now() < until || (!enough() && Clock::now() < at_most)) &&
           !::testing::Test::HasFailure()) {
      const auto batch = make_batch(log.next_offset(), 1 + static_cast<int>(random() % 12));
      const Durability durability = random() % 16 == 0 ? Durability::written : Durability::none;
      auto appended = log.append(batch, durability);
      if (!appended.ok()) {
        EXPECT_EQ(appended.code(), Errc::would_block) << appended.error().to_string();
        fs.poll(std::chrono::microseconds(200));
        continue;
      }
      ++appends;
      if (failing != nullptr && appends % 300 == 0) failing->fail_writes(Errc::io_error, 1);
      if (appends % 8 == 0) fs.poll(std::chrono::microseconds(0));
      if (appends % 200 == 0) {
        EXPECT_TRUE(log.apply_retention().ok());
      }
      if (appends % 1000 == 0) {
        auto synced = log.sync();
        // A failed write that hit the appends being synced is reported by sync().
        if (!synced.ok()) {
          EXPECT_TRUE(failing != nullptr) << synced.error().to_string();
        }
      }
    }
    return appends;
  }

  LogSink previous_sink_;
};

TEST_P(LogReaderStressTest, ReadersSeeExactlyWhatWasPublished) {
  testing::TempDir temp;
  std::unique_ptr<io::FileSystem> fs;
  io::MemoryFileSystem* failing = nullptr;
  if (GetParam() != Fs::uring) {
    auto memory = std::make_unique<io::MemoryFileSystem>();
    if (GetParam() == Fs::memory_failing_writes) failing = memory.get();
    fs = std::move(memory);
  } else {
    auto made = io::make_uring_file_system();
    if (!made.ok()) GTEST_SKIP() << "io_uring unavailable: " << made.error().to_string();
    fs = std::move(made).value();
  }
  auto o = options();
  if (failing != nullptr) {
    // A write that fails across a roll fails the log for good: one segment, no retention.
    o.segment_bytes = 1u << 30;
    o.preallocate = false;
  }
  auto opened = PartitionLog::open(*fs, temp.file("stress-0"), o);
  ASSERT_TRUE(opened.ok()) << opened.error().to_string();
  std::unique_ptr<PartitionLog> log = std::move(opened).value();

  std::atomic<bool> stop{false};
  std::atomic<bool> closing{false};
  std::vector<ReaderStats> stats(kReaders);
  std::vector<std::thread> threads;
  for (int i = 0; i < kReaders; ++i) {
    threads.emplace_back([&, i] {
      Reader reader(log->reader(), closing, 1000 + static_cast<uint64_t>(i), failing != nullptr);
      stats[static_cast<size_t>(i)] = reader.run(stop);
    });
  }
  const uint64_t appends = append_for_a_while(*fs, *log, failing);
  const int64_t end = log->next_offset();
  const int64_t start = log->start_offset();
  auto reader = log->reader();
  closing.store(true, std::memory_order_relaxed);
  log.reset();  // closes under the readers
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  stop.store(true, std::memory_order_relaxed);
  for (auto& thread : threads)
    thread.join();

  ReaderStats total;
  for (const ReaderStats& s : stats) {
    total.reads += s.reads;
    total.records += s.records;
    total.time_lookups += s.time_lookups;
    EXPECT_GT(s.records, 0u);
  }
  EXPECT_EQ(reader->high_watermark(), end);
  if (failing == nullptr) {
    EXPECT_GT(start, 0);  // retention ran
  }
  EXPECT_GT(appends, 100u);
  std::printf(
      "%llu appends up to offset %lld (start %lld); %llu reads, %llu records checked, "
      "%llu time lookups\n",
      static_cast<unsigned long long>(appends), static_cast<long long>(end),
      static_cast<long long>(start), static_cast<unsigned long long>(total.reads),
      static_cast<unsigned long long>(total.records),
      static_cast<unsigned long long>(total.time_lookups));
}

INSTANTIATE_TEST_SUITE_P(FileSystems, LogReaderStressTest,
                         ::testing::Values(Fs::memory, Fs::uring, Fs::memory_failing_writes),
                         [](const auto& param_info) {
                           switch (param_info.param) {
                             case Fs::memory:
                               return std::string("Memory");
                             case Fs::uring:
                               return std::string("Uring");
                             default:
                               return std::string("MemoryWithFailingWrites");
                           }
                         });

}  // namespace
}  // namespace sluice::partitions
