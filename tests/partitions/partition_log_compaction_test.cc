// PartitionLog::delete_segments_before and PartitionLog::roll, the two operations a log compacted
// by a snapshot of its own state needs (the engine's __consumer_offsets and __queue_state): only
// whole sealed segments below the offset go, never the active one; the start offset moves, what
// is left reads back, the start survives a reopen, and readers on other threads see either the
// old records or offset_out_of_range, never anything else.
#include "io/memory_file_system.h"
#include "partitions/log_reader.h"
#include "partitions/partition_log.h"
#include "tests/support/batches.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace sluice::partitions {
namespace {

using testing::make_batch;
using testing::offsets_of;

constexpr const char* kDir = "/data/__queue_state-0";

class PartitionLogCompactionTest : public ::testing::Test {
 protected:
  LogOptions options() {
    LogOptions o;
    o.segment_bytes = 1 << 20;  // large: only roll() makes new segments here
    o.chunk_bytes = 16 * 1024;
    o.tail_cache_bytes = 256 * 1024;
    o.max_batch_bytes = 64 * 1024;
    o.clock_ms = [] { return int64_t{1'000'000}; };
    return o;
  }
  std::unique_ptr<PartitionLog> open() {
    auto log = PartitionLog::open(fs_, kDir, options());
    EXPECT_TRUE(log.ok()) << log.error().to_string();
    return log.ok() ? std::move(log).value() : nullptr;
  }
  // Appends `batches` batches of 10 records and syncs.
  void fill(PartitionLog& log, int batches) {
    for (int i = 0; i < batches; ++i)
      ASSERT_TRUE(log.append(make_batch("r", 10), Durability::none).ok());
    ASSERT_TRUE(log.sync().ok());
  }

  io::MemoryFileSystem fs_;
};

TEST_F(PartitionLogCompactionTest, DeletesWholeSealedSegmentsBelowTheOffset) {
  auto log = open();
  fill(*log, 5);  // [0, 50)
  ASSERT_TRUE(log->roll().ok());
  fill(*log, 5);  // [50, 100)
  ASSERT_TRUE(log->roll().ok());
  fill(*log, 2);  // [100, 120), active
  ASSERT_EQ(log->info().segments, 3u);

  // 75 is inside the second segment: only the first one is wholly below it.
  auto deleted = log->delete_segments_before(75);
  ASSERT_TRUE(deleted.ok()) << deleted.error().to_string();
  EXPECT_EQ(*deleted, 1u);
  EXPECT_EQ(log->start_offset(), 50);
  EXPECT_EQ(log->reader()->start_offset(), 50);
  EXPECT_EQ(log->read(49, 1 << 20).code(), Errc::offset_out_of_range);
  auto read = log->read(50, 1 << 20);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(offsets_of(*read).front(), 50);
  EXPECT_EQ(read->next_offset, 120);

  // Everything below the next offset: the active segment stays.
  deleted = log->delete_segments_before(log->next_offset());
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 1u);
  EXPECT_EQ(log->start_offset(), 100);
  EXPECT_EQ(log->info().segments, 1u);
  // Nothing more to delete.
  EXPECT_EQ(log->delete_segments_before(log->next_offset()).value(), 0u);

  // The start survives a reopen (the files are gone).
  log.reset();
  log = open();
  EXPECT_EQ(log->start_offset(), 100);
  EXPECT_EQ(log->next_offset(), 120);
  EXPECT_EQ(log->info().segments, 1u);
}

TEST_F(PartitionLogCompactionTest, RollOfAnEmptyActiveSegmentDoesNothing) {
  auto log = open();
  ASSERT_TRUE(log->roll().ok());
  EXPECT_EQ(log->info().segments, 1u);
  fill(*log, 1);
  ASSERT_TRUE(log->roll().ok());
  ASSERT_TRUE(log->roll().ok());  // the new active segment is empty
  EXPECT_EQ(log->info().segments, 2u);
  EXPECT_EQ(log->delete_segments_before(10).value(), 1u);
  EXPECT_EQ(log->start_offset(), 10);
  EXPECT_EQ(log->next_offset(), 10);
  fill(*log, 1);
  EXPECT_EQ(offsets_of(*log->read(10, 1 << 20)).front(), 10);
}

TEST_F(PartitionLogCompactionTest, ASegmentIsDeletedOnlyOnceSealed) {
  auto log = open();
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(log->append(make_batch("r", 10), Durability::none).ok());
  // Rolled with its writes still in flight (nothing polled yet): not sealed.
  ASSERT_TRUE(log->roll().ok());
  auto deleted = log->delete_segments_before(50);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 0u);
  EXPECT_EQ(log->start_offset(), 0);
  fill(*log, 1);  // sync: the old segment is written and sealed
  deleted = log->delete_segments_before(50);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 1u);
  EXPECT_EQ(log->start_offset(), 50);
}

TEST_F(PartitionLogCompactionTest, ReadersOnOtherThreadsSeeRecordsOrOutOfRange) {
  auto log = open();
  std::shared_ptr<LogReader> reader = log->reader();
  std::atomic<bool> done{false};
  std::atomic<uint64_t> reads{0};
  std::atomic<uint64_t> bad{0};
  std::thread reading([&] {
    while (!done.load(std::memory_order_acquire)) {
      const int64_t start = reader->start_offset();
      const int64_t end = reader->high_watermark();
      for (int64_t offset = start; offset < end; offset += 7) {
        auto read = reader->read(offset, 4096);
        if (read.ok()) {
          if (read->batches == 0 || offsets_of(*read).empty() ||
              offsets_of(*read).front() > offset) {
            bad.fetch_add(1, std::memory_order_relaxed);
          }
        } else if (read.code() != Errc::offset_out_of_range) {
          bad.fetch_add(1, std::memory_order_relaxed);
        }
        reads.fetch_add(1, std::memory_order_relaxed);
      }
    }
  });
  for (int round = 0; round < 200; ++round) {
    fill(*log, 3);
    ASSERT_TRUE(log->roll().ok());
    fill(*log, 1);
    ASSERT_TRUE(log->delete_segments_before(log->next_offset() - 10).ok());
    EXPECT_EQ(log->start_offset(), log->next_offset() - 10);
  }
  done.store(true, std::memory_order_release);
  reading.join();
  EXPECT_GT(reads.load(), 0u);
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_EQ(log->info().segments, 1u);
}

}  // namespace
}  // namespace sluice::partitions
