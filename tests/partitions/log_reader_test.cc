// LogReader's contract on the in-memory twin and on the real file system: reads from the tail
// cache and from the files, across rolls, after retention, after the log is closed, into a
// reused buffer, with bad offsets, and lookups by time.
#include "partitions/log_reader.h"

#include "io/memory_file_system.h"
#include "io/uring_file_system.h"
#include "partitions/partition_log.h"
#include "tests/support/batches.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace sluice::partitions {
namespace {

using testing::make_batch;
using testing::offsets_of;
using testing::values_of;

enum class Fs { memory, uring };

class LogReaderTest : public ::testing::TestWithParam<Fs> {
 protected:
  void SetUp() override {
    if (GetParam() == Fs::memory) {
      fs_ = std::make_unique<io::MemoryFileSystem>();
      dir_ = "/data/orders-0";
      return;
    }
    auto made = io::make_uring_file_system();
    if (!made.ok()) GTEST_SKIP() << "io_uring unavailable: " << made.error().to_string();
    fs_ = std::move(made).value();
    dir_ = temp_.file("orders-0");
  }

  LogOptions options() {
    LogOptions o;
    o.segment_bytes = 64 * 1024;
    o.chunk_bytes = 16 * 1024;
    o.tail_cache_bytes = 64 * 1024;
    o.max_batch_bytes = 16 * 1024;
    o.clock_ms = [this] { return now_ms_; };
    return o;
  }

  std::unique_ptr<PartitionLog> open(const LogOptions& o) {
    auto log = PartitionLog::open(*fs_, dir_, o);
    EXPECT_TRUE(log.ok()) << log.error().to_string();
    return log.ok() ? std::move(log).value() : nullptr;
  }

  // Appends `batches` batches of 10 records "<name><i>-<r>", 100-byte values, polling while
  // the tail cache is full.
  void append(PartitionLog& log, int batches, const std::string& name = "r") {
    for (int i = 0; i < batches; ++i)
      append_batch(log, make_batch(name + std::to_string(i), 10, now_ms_, 100));
  }
  void append_batch(PartitionLog& log, const std::vector<std::byte>& batch) {
    auto appended = log.append(batch, Durability::none);
    for (int tries = 0; !appended.ok() && appended.code() == Errc::would_block; ++tries) {
      ASSERT_LT(tries, 10000);
      fs_->poll(std::chrono::milliseconds(1));
      appended = log.append(batch, Durability::none);
    }
    ASSERT_TRUE(appended.ok()) << appended.error().to_string();
  }

  // Every offset from `from` to the high watermark, read in steps of max_bytes.
  static std::vector<int64_t> read_all(const LogReader& reader, int64_t from, uint64_t max_bytes) {
    std::vector<int64_t> offsets;
    for (int64_t offset = from; offset < reader.high_watermark();) {
      auto read = reader.read(offset, max_bytes);
      EXPECT_TRUE(read.ok()) << read.error().to_string();
      if (!read.ok() || read->batches == 0) break;
      for (int64_t o : offsets_of(*read))
        offsets.push_back(o);
      offset = read->next_offset;
    }
    return offsets;
  }

  static std::vector<int64_t> iota(int64_t from, int64_t to) {
    std::vector<int64_t> v;
    for (int64_t i = from; i < to; ++i)
      v.push_back(i);
    return v;
  }

  int64_t now_ms_ = 1'000'000;
  testing::TempDir temp_;
  std::unique_ptr<io::FileSystem> fs_;
  std::string dir_;
};

TEST_P(LogReaderTest, ReadsWhatTheTailCacheHolds) {
  auto log = open(options());
  append(*log, 3);
  auto reader = log->reader();
  ASSERT_EQ(reader, log->reader());  // one per log
  EXPECT_EQ(reader->high_watermark(), 30);
  EXPECT_EQ(&reader->high_watermark_atomic(), &log->high_watermark());
  auto read = reader->read(15, 1);
  ASSERT_TRUE(read.ok()) << read.error().to_string();
  EXPECT_EQ(read->batches, 1u);  // the first batch comes whole even above max_bytes
  EXPECT_EQ(read->first_offset, 10);
  EXPECT_EQ(read->next_offset, 20);
  EXPECT_EQ(values_of(*read)[5].substr(0, 4), "r1-5");
  EXPECT_EQ(read_all(*reader, 0, 1 << 20), iota(0, 30));
}

TEST_P(LogReaderTest, BadOffsets) {
  auto log = open(options());
  append(*log, 2);
  auto reader = log->reader();
  EXPECT_EQ(reader->read(-1, 100).code(), Errc::offset_out_of_range);
  EXPECT_EQ(reader->read(21, 100).code(), Errc::offset_out_of_range);
  auto at_end = reader->read(20, 100);
  ASSERT_TRUE(at_end.ok());
  EXPECT_EQ(at_end->batches, 0u);
  EXPECT_TRUE(at_end->bytes.empty());
  EXPECT_EQ(at_end->next_offset, 20);
  std::vector<std::byte> out(10);
  auto into = reader->read_into(99, 100, out);
  EXPECT_EQ(into.code(), Errc::offset_out_of_range);
  EXPECT_TRUE(out.empty());
}

TEST_P(LogReaderTest, ReadsFromTheFilesOnceChunksAreRecycled) {
  auto log = open(options());
  // 60 batches of about 1.3 KiB: far more than the 64 KiB tail cache, across segments.
  for (int round = 0; round < 6; ++round) {
    append(*log, 10, "b" + std::to_string(round) + "-");
    ASSERT_TRUE(log->sync().ok());
  }
  auto reader = log->reader();
  EXPECT_GT(log->info().segments, 1u);
  auto first = reader->read(0, 1);
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  EXPECT_EQ(values_of(*first).front().substr(0, 8), "b0-0-0..");
  EXPECT_EQ(read_all(*reader, 0, 3000), iota(0, 600));
  EXPECT_EQ(read_all(*reader, 0, 1 << 20), iota(0, 600));
  EXPECT_EQ(read_all(*reader, 337, 1), iota(330, 600));
}

TEST_P(LogReaderTest, ReadsAfterReopening) {
  {
    auto log = open(options());
    append(*log, 60);
    ASSERT_TRUE(log->sync().ok());
  }
  auto log = open(options());
  auto reader = log->reader();
  EXPECT_EQ(reader->high_watermark(), 600);
  EXPECT_EQ(reader->start_offset(), 0);
  EXPECT_EQ(reader->size_bytes(), log->info().size_bytes);
  EXPECT_EQ(read_all(*reader, 0, 1 << 16), iota(0, 600));
  append(*log, 1, "after");
  EXPECT_EQ(read_all(*reader, 595, 1 << 16), iota(590, 610));
}

TEST_P(LogReaderTest, RetentionMovesTheStart) {
  auto o = options();
  o.segment_bytes = 8 * 1024;
  o.retention_bytes = 20 * 1024;
  auto log = open(o);
  append(*log, 60);
  ASSERT_TRUE(log->sync().ok());
  auto reader = log->reader();
  const uint64_t size_before = reader->size_bytes();
  auto deleted = log->apply_retention();
  ASSERT_TRUE(deleted.ok());
  ASSERT_GT(*deleted, 0u);
  EXPECT_EQ(reader->start_offset(), log->start_offset());
  EXPECT_GT(reader->start_offset(), 0);
  EXPECT_LT(reader->size_bytes(), size_before);
  EXPECT_EQ(reader->size_bytes(), log->info().size_bytes);
  EXPECT_EQ(reader->read(0, 100).code(), Errc::offset_out_of_range);
  EXPECT_EQ(reader->read(reader->start_offset() - 1, 100).code(), Errc::offset_out_of_range);
  EXPECT_EQ(read_all(*reader, reader->start_offset(), 5000), iota(reader->start_offset(), 600));
}

TEST_P(LogReaderTest, ReadIntoReusesTheCallersBuffer) {
  auto log = open(options());
  append(*log, 20);
  auto reader = log->reader();
  std::vector<std::byte> buffer;
  buffer.reserve(64 * 1024);
  const std::byte* memory = buffer.data();
  int64_t offset = 0;
  uint32_t batches = 0;
  while (offset < reader->high_watermark()) {
    auto info = reader->read_into(offset, 4096, buffer);
    ASSERT_TRUE(info.ok()) << info.error().to_string();
    ASSERT_GT(info->batches, 0u);
    EXPECT_EQ(info->first_offset, offset);
    EXPECT_EQ(info->bytes, buffer.size());
    EXPECT_EQ(buffer.data(), memory);  // no allocation
    batches += info->batches;
    offset = info->next_offset;
  }
  EXPECT_EQ(batches, 20u);
  EXPECT_EQ(offset, 200);
}

TEST_P(LogReaderTest, TheReaderOutlivesTheLog) {
  auto log = open(options());
  append(*log, 5);
  auto reader = log->reader();
  ASSERT_TRUE(reader->read(0, 100).ok());
  EXPECT_FALSE(reader->closed());
  log.reset();
  EXPECT_TRUE(reader->closed());
  EXPECT_EQ(reader->read(0, 100).code(), Errc::closed);
  std::vector<std::byte> out;
  EXPECT_EQ(reader->read_into(0, 100, out).code(), Errc::closed);
  EXPECT_EQ(reader->offset_for_timestamp(0).code(), Errc::closed);
  EXPECT_EQ(reader->high_watermark(), 50);
  EXPECT_EQ(reader->last_append_time_ms(), now_ms_);
}

TEST_P(LogReaderTest, OffsetForTimestamp) {
  auto o = options();
  o.segment_bytes = 8 * 1024;
  auto log = open(o);
  // Batch i holds timestamps 1000 * (i + 1) .. 1000 * (i + 1) + 9, across several segments.
  for (int i = 0; i < 30; ++i)
    append_batch(*log, make_batch("t", 10, 1000 * (i + 1), 100));
  auto reader = log->reader();
  EXPECT_GT(log->info().segments, 2u);
  EXPECT_EQ(reader->offset_for_timestamp(0).value(), 0);
  EXPECT_EQ(reader->offset_for_timestamp(1005).value(), 5);
  EXPECT_EQ(reader->offset_for_timestamp(1010).value(), 10);
  EXPECT_EQ(reader->offset_for_timestamp(17003).value(), 163);
  EXPECT_EQ(reader->offset_for_timestamp(30009).value(), 299);
  EXPECT_EQ(reader->offset_for_timestamp(40000).value(), 300);
  ASSERT_TRUE(log->sync().ok());
  EXPECT_EQ(reader->offset_for_timestamp(17003).value(), log->offset_for_timestamp(17003).value());
}

TEST_P(LogReaderTest, StatisticsFollowTheLog) {
  auto log = open(options());
  auto reader = log->reader();
  EXPECT_EQ(reader->last_append_time_ms(), -1);
  EXPECT_EQ(reader->size_bytes(), 0u);
  EXPECT_EQ(reader->dir(), dir_);
  append(*log, 3);
  EXPECT_EQ(reader->last_append_time_ms(), now_ms_);
  EXPECT_EQ(reader->size_bytes(), log->info().size_bytes);
  EXPECT_EQ(reader->high_watermark(), log->next_offset());
}

INSTANTIATE_TEST_SUITE_P(FileSystems, LogReaderTest, ::testing::Values(Fs::memory, Fs::uring),
                         [](const auto& param_info) {
                           return param_info.param == Fs::memory ? std::string("Memory")
                                                                 : std::string("Uring");
                         });

}  // namespace
}  // namespace sluice::partitions
