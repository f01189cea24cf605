// PartitionLog on the in-memory twin: append, read, durability, roll, retention, lookups by
// time, backpressure, and the faults the twin injects (failed writes, a full disk, a failed
// fdatasync, power loss, flipped bytes).
#include "partitions/partition_log.h"

#include "io/memory_file_system.h"
#include "partitions/endian.h"
#include "partitions/segment_files.h"
#include "tests/support/batches.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>

namespace sluice::partitions {
namespace {

using testing::make_batch;
using testing::offsets_of;
using testing::values_of;

constexpr const char* kDir = "/data/orders-0";

std::vector<std::byte> make_empty_batch() {
  std::vector<std::byte> batch(kBatchHeaderBytes);
  store_be<int32_t>(batch.data() + 8, static_cast<int32_t>(kBatchHeaderBytes - kBatchLogOverhead));
  store_be<int32_t>(batch.data() + 12, -1);
  batch[16] = std::byte{kMagicV2};
  store_be<int64_t>(batch.data() + 43, -1);
  store_be<int16_t>(batch.data() + 51, -1);
  store_be<int32_t>(batch.data() + 53, -1);
  store_be<uint32_t>(batch.data() + kBatchCrcOffset, compute_batch_crc(batch));
  return batch;
}

class PartitionLogTest : public ::testing::Test {
 protected:
  LogOptions options() {
    LogOptions o;
    o.segment_bytes = 64 * 1024;
    o.chunk_bytes = 16 * 1024;
    o.tail_cache_bytes = 256 * 1024;
    o.max_batch_bytes = 64 * 1024;
    o.clock_ms = [this] { return now_ms_; };
    return o;
  }

  std::unique_ptr<PartitionLog> open(const LogOptions& o) {
    auto log = PartitionLog::open(fs_, kDir, o);
    EXPECT_TRUE(log.ok()) << log.error().to_string();
    return log.ok() ? std::move(log).value() : nullptr;
  }
  std::unique_ptr<PartitionLog> open() { return open(options()); }

  // Appends and polls until the durability is reached; returns the append's result.
  Result<AppendInfo> append_wait(PartitionLog& log, std::span<const std::byte> batch,
                                 Durability durability) {
    std::optional<Result<AppendInfo>> completed;
    auto appended =
        log.append(batch, durability, [&](const Result<AppendInfo>& r) { completed.emplace(r); });
    if (!appended.ok() || durability == Durability::none) return appended;
    log.flush();
    for (int i = 0; i < 1000 && !completed; ++i)
      fs_.poll(std::chrono::milliseconds(1));
    EXPECT_TRUE(completed.has_value()) << "the append's callback never ran";
    return completed ? *completed : Result<AppendInfo>(Errc::timed_out, "never completed");
  }

  // Appends `count` batches of `records` values (padded to `value_bytes`) named
  // "<prefix><i>", written durability, polling `polls` times after each; `written` counts the
  // acknowledged ones (and must outlive them).
  void append_counting(PartitionLog& log, const std::string& prefix, int count, int records,
                       size_t value_bytes, int polls, int& written) {
    for (int i = 0; i < count; ++i) {
      auto appended = log.append(make_batch(prefix + std::to_string(i), records, 1000, value_bytes),
                                 Durability::written,
                                 [&written](const Result<AppendInfo>& r) { written += r.ok(); });
      ASSERT_TRUE(appended.ok()) << appended.error().to_string();
      for (int k = 0; k < polls; ++k)
        fs_.poll(std::chrono::milliseconds(0));
    }
  }

  int64_t now_ms_ = 1'000'000;
  io::MemoryFileSystem fs_;
};

TEST_F(PartitionLogTest, AppendAssignsOffsetsAndReadsBack) {
  auto log = open();
  auto a = log->append(make_batch("a", 5), Durability::none);
  auto b = log->append(make_batch("b", 3), Durability::none);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->base_offset, 0);
  EXPECT_EQ(a->last_offset, 4);
  EXPECT_EQ(b->base_offset, 5);
  EXPECT_EQ(b->last_offset, 7);
  EXPECT_EQ(log->next_offset(), 8);
  EXPECT_EQ(log->high_watermark().load(std::memory_order_acquire), 8);

  auto read = log->read(0, 1 << 20);
  ASSERT_TRUE(read.ok()) << read.error().to_string();
  EXPECT_EQ(read->batches, 2u);
  EXPECT_EQ(read->first_offset, 0);
  EXPECT_EQ(read->next_offset, 8);
  EXPECT_EQ(offsets_of(*read), (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(values_of(*read)[5], "b-0");
}

TEST_F(PartitionLogTest, ReadBoundsAndPartialReads) {
  auto log = open();
  for (int i = 0; i < 4; ++i)
    ASSERT_TRUE(log->append(make_batch("x", 10), Durability::none).ok());
  auto middle = log->read(15, 1);  // inside the second batch; max_bytes below one batch
  ASSERT_TRUE(middle.ok());
  EXPECT_EQ(middle->batches, 1u);  // the first batch comes whole even above max_bytes
  EXPECT_EQ(middle->first_offset, 10);
  EXPECT_EQ(middle->next_offset, 20);

  auto at_end = log->read(40, 1 << 20);
  ASSERT_TRUE(at_end.ok());
  EXPECT_TRUE(at_end->bytes.empty());
  EXPECT_EQ(at_end->next_offset, 40);

  EXPECT_EQ(log->read(41, 1 << 20).code(), Errc::offset_out_of_range);
  EXPECT_EQ(log->read(-1, 1 << 20).code(), Errc::offset_out_of_range);
}

TEST_F(PartitionLogTest, BadInputIsRefusedAndChangesNothing) {
  auto log = open();
  ASSERT_TRUE(log->append(make_batch("ok", 2), Durability::none).ok());

  auto big = make_batch("big", 1, 1000, 70 * 1024);
  EXPECT_EQ(log->append(big, Durability::none).code(), Errc::too_large);

  auto flipped = make_batch("crc", 2);
  flipped[flipped.size() - 1] ^= std::byte{1};
  EXPECT_EQ(log->append(flipped, Durability::none).code(), Errc::corruption);

  auto cut = make_batch("cut", 2);
  cut.resize(cut.size() - 3);
  EXPECT_FALSE(log->append(cut, Durability::none).ok());
  EXPECT_FALSE(log->append(std::span<const std::byte>{}, Durability::none).ok());

  // An empty batch: a valid header with no records.
  auto empty = make_empty_batch();
  EXPECT_EQ(log->append(empty, Durability::none).code(), Errc::empty_batch);

  EXPECT_EQ(log->next_offset(), 2);
  auto read = log->read(0, 1 << 20);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(values_of(*read), (std::vector<std::string>{"ok-0", "ok-1"}));
}

TEST_F(PartitionLogTest, WrittenAndSyncedCallbacksFireInOrder) {
  auto log = open();
  std::vector<int64_t> written;
  std::vector<int64_t> synced;
  for (int i = 0; i < 50; ++i) {
    auto batch = make_batch("w", 4);
    Durability d = i % 2 ? Durability::synced : Durability::written;
    auto& sink = i % 2 ? synced : written;
    ASSERT_TRUE(log->append(batch, d,
                            [&sink](const Result<AppendInfo>& r) {
                              ASSERT_TRUE(r.ok()) << r.error().to_string();
                              sink.push_back(r->base_offset);
                            })
                    .ok());
  }
  log->flush();
  for (int i = 0; i < 100 && synced.size() < 25; ++i)
    fs_.poll(std::chrono::milliseconds(1));
  ASSERT_EQ(written.size(), 25u);
  ASSERT_EQ(synced.size(), 25u);
  EXPECT_TRUE(std::is_sorted(written.begin(), written.end()));
  EXPECT_TRUE(std::is_sorted(synced.begin(), synced.end()));
  EXPECT_EQ(log->synced_watermark().load(std::memory_order_acquire), 200);
  EXPECT_EQ(log->info().written_offset, 200);
}

TEST_F(PartitionLogTest, ReopenKeepsEverythingSynced) {
  {
    auto log = open();
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(
          append_wait(*log, make_batch("r" + std::to_string(i), 3), Durability::synced).ok());
    }
  }
  auto log = open();
  EXPECT_EQ(log->next_offset(), 60);
  auto read = log->read(30, 1 << 20);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(values_of(*read).front(), "r10-0");
  auto appended = log->append(make_batch("after", 1), Durability::none);
  ASSERT_TRUE(appended.ok());
  EXPECT_EQ(appended->base_offset, 60);
}

TEST_F(PartitionLogTest, RollsSegmentsAndReadsAcrossThem) {
  auto o = options();
  o.segment_bytes = 8 * 1024;
  {
    auto log = PartitionLog::open(fs_, kDir, o);
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 40; ++i) {
      ASSERT_TRUE(append_wait(**log, make_batch("s", 10, 1000, 90), Durability::written).ok());
    }
    EXPECT_GT((*log)->info().segments, 3u);
    ASSERT_TRUE((*log)->sync().ok());
  }
  auto names = fs_.list_directory(kDir);
  ASSERT_TRUE(names.ok());
  int logs = 0, indexes = 0;
  for (const auto& name : *names) {
    logs += parse_segment_file_name(name, kLogExtension).has_value();
    indexes += parse_segment_file_name(name, kIndexExtension).has_value();
  }
  EXPECT_GT(logs, 3);
  EXPECT_EQ(indexes, logs - 1);  // every sealed segment has its index; the active one not yet

  auto log = PartitionLog::open(fs_, kDir, o);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ((*log)->next_offset(), 400);
  int64_t offset = 0;
  while (offset < 400) {
    auto read = (*log)->read(offset, 2000);
    ASSERT_TRUE(read.ok()) << read.error().to_string();
    auto offsets = offsets_of(*read);
    ASSERT_FALSE(offsets.empty());
    EXPECT_EQ(offsets.front(), offset);
    for (size_t i = 1; i < offsets.size(); ++i)
      EXPECT_EQ(offsets[i], offsets[i - 1] + 1);
    offset = read->next_offset;
  }
}

// With a preallocation step, a segment's file grows a step at a time ahead of its writes (one
// page ahead at least), never to the whole segment at once; reopening goes on from there.
TEST_F(PartitionLogTest, PreallocatesInStepsAheadOfTheWrites) {
  LogOptions o = options();
  o.segment_bytes = 1 << 20;
  o.preallocate_step_bytes = 64 * 1024;
  auto file_size = [&] {
    auto names = fs_.list_directory(kDir);
    EXPECT_TRUE(names.ok());
    auto file = fs_.open(std::string(kDir) + "/00000000000000000000.log", {});
    EXPECT_TRUE(file.ok());
    const uint64_t size = *fs_.size(*file);
    EXPECT_TRUE(fs_.close(*file).ok());
    return size;
  };
  {
    auto log = open(o);
    EXPECT_EQ(file_size(), 64u * 1024);
    uint64_t appended = 0;
    while (appended < 200 * 1024) {
      const auto batch = make_batch("v", 40);
      ASSERT_TRUE(append_wait(*log, batch, Durability::written).ok());
      appended += batch.size();
    }
    const uint64_t size = file_size();
    EXPECT_GE(size, appended + 4096);
    EXPECT_LE(size, appended + 64 * 1024 + 4096);
    EXPECT_EQ(size % (64 * 1024), 0u);
  }
  auto log = open(o);
  EXPECT_TRUE(log->read(0, 1 << 20).ok());
}

TEST_F(PartitionLogTest, RebuildsAMissingIndex) {
  auto o = options();
  o.segment_bytes = 8 * 1024;
  {
    auto log = PartitionLog::open(fs_, kDir, o);
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 20; ++i)
      ASSERT_TRUE((*log)->append(make_batch("i", 10, 1000, 90), Durability::none).ok());
    ASSERT_TRUE((*log)->sync().ok());
  }
  std::string index = std::string(kDir) + "/" + segment_file_name(0, kIndexExtension);
  ASSERT_TRUE(fs_.remove_file(index).ok());
  auto log = PartitionLog::open(fs_, kDir, o);
  ASSERT_TRUE(log.ok()) << log.error().to_string();
  EXPECT_EQ((*log)->next_offset(), 200);
  EXPECT_TRUE(fs_.exists(index).value());
  auto read = (*log)->read(5, 100);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->first_offset, 0);
}

TEST_F(PartitionLogTest, RetentionByBytesAndTime) {
  auto o = options();
  o.segment_bytes = 8 * 1024;
  o.retention_bytes = 20 * 1024;
  auto log = open(o);
  for (int i = 0; i < 60; ++i) {
    ASSERT_TRUE(append_wait(*log, make_batch("t", 10, now_ms_, 90), Durability::written).ok());
  }
  ASSERT_TRUE(log->sync().ok());
  auto deleted = log->apply_retention();
  ASSERT_TRUE(deleted.ok());
  EXPECT_GT(*deleted, 0u);
  EXPECT_GE(log->info().size_bytes, 20u * 1024);
  EXPECT_LT(log->info().size_bytes, 20u * 1024 + 8 * 1024);
  EXPECT_GT(log->start_offset(), 0);
  EXPECT_EQ(log->read(0, 100).code(), Errc::offset_out_of_range);
  EXPECT_TRUE(log->read(log->start_offset(), 100).ok());

  // By time: once the clock moves past the limit, the active segment rolls by age and every
  // sealed segment is older than the limit: the log keeps only a new, empty segment.
  o.retention_bytes = -1;
  o.retention_ms = 60'000;
  o.segment_ms = 60'000;
  log.reset();
  log = open(o);
  const int64_t next = log->next_offset();
  now_ms_ += 30'000;
  ASSERT_EQ(log->apply_retention().value(), 0u);
  now_ms_ += 90'000;
  ASSERT_GT(log->apply_retention().value(), 0u);
  EXPECT_EQ(log->info().segments, 1u);
  EXPECT_EQ(log->start_offset(), next);
  EXPECT_EQ(log->next_offset(), next);
}

TEST_F(PartitionLogTest, OffsetForTimestamp) {
  auto log = open();
  ASSERT_TRUE(log->append(make_batch("a", 10, 1000), Durability::none).ok());  // 1000..1009
  ASSERT_TRUE(log->append(make_batch("b", 10, 2000), Durability::none).ok());  // 2000..2009
  EXPECT_EQ(log->offset_for_timestamp(0).value(), 0);
  EXPECT_EQ(log->offset_for_timestamp(1005).value(), 5);
  EXPECT_EQ(log->offset_for_timestamp(1010).value(), 10);
  EXPECT_EQ(log->offset_for_timestamp(2009).value(), 19);
  EXPECT_EQ(log->offset_for_timestamp(5000).value(), 20);
}

TEST_F(PartitionLogTest, BackpressureWhenTheTailIsFull) {
  auto o = options();
  o.tail_cache_bytes = 4 * o.chunk_bytes;
  o.max_batch_bytes = 2 * o.chunk_bytes;
  auto log = open(o);
  int accepted = 0;
  Result<AppendInfo> last = AppendInfo{};
  while (true) {
    last = log->append(make_batch("bp", 10, 1000, 100), Durability::none);
    if (!last.ok()) break;
    ++accepted;
    ASSERT_LT(accepted, 10000);
  }
  EXPECT_EQ(last.code(), Errc::would_block);
  const int64_t next = log->next_offset();
  log->flush();
  while (fs_.poll(std::chrono::milliseconds(1)) > 0) {
  }
  EXPECT_TRUE(log->append(make_batch("bp", 10, 1000, 100), Durability::none).ok());
  EXPECT_EQ(log->next_offset(), next + 10);
  // Older data was recycled from memory and is read back from the file.
  auto read = log->read(0, 100);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->first_offset, 0);
}

TEST_F(PartitionLogTest, DirectWritesAreAlignedAndPaddedPagesAreRewritten) {
  auto o = options();
  o.direct_io = true;  // the twin refuses any unaligned direct write
  auto log = open(o);
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(append_wait(*log, make_batch("d" + std::to_string(i), 3), Durability::synced).ok());
  }
  log.reset();
  log = open(o);
  EXPECT_EQ(log->next_offset(), 90);
  auto read = log->read(87, 100);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(values_of(*read), (std::vector<std::string>{"d29-0", "d29-1", "d29-2"}));
}

// Chunks are reused without being cleared: the padding after the data in each partial page
// written must still be zeros (FORMAT.md 2.4), not bytes of a chunk's earlier use.
TEST_F(PartitionLogTest, ThePaddingOfAPartialPageIsZeroInReusedChunks) {
  auto o = options();
  o.direct_io = true;
  o.segment_bytes = 1 << 20;
  o.chunk_bytes = 16 * 1024;
  o.max_batch_bytes = 16 * 1024;
  o.tail_cache_bytes = 64 * 1024;  // 4 chunks: reused after 64 KiB
  auto log = open(o);
  const std::string path = std::string(kDir) + "/" + segment_file_name(0, ".log");
  uint64_t data_end = 0;
  int checked = 0;
  for (int i = 0; i < 1500; ++i) {
    const auto batch = make_batch(std::string(1 + i % 150, 'x') + std::to_string(i), 1 + i % 5);
    ASSERT_TRUE(append_wait(*log, batch, Durability::written).ok());
    data_end += batch.size();
    if (data_end % 4096 == 0) continue;
    Result<std::string> file = fs_.contents(path);
    ASSERT_TRUE(file.ok());
    const uint64_t page_end = (data_end + 4095) / 4096 * 4096;
    ASSERT_GE(file->size(), page_end);
    for (uint64_t at = data_end; at < page_end; ++at)
      ASSERT_EQ((*file)[at], '\0') << "byte " << at << " after append " << i;
    ++checked;
  }
  EXPECT_GT(data_end, 4 * o.tail_cache_bytes);  // every chunk was reused a few times
  EXPECT_GT(checked, 1000);
}

// write_interval: a partial page written a moment ago is not rewritten for each append (the
// twin's timer completes at every poll, and the interval has not passed), until a synced append
// wants it on disk; closing writes what was held.
TEST_F(PartitionLogTest, APartialPageIsRewrittenAtMostOncePerInterval) {
  auto o = options();
  o.write_interval = std::chrono::seconds(30);
  auto log = open(o);
  ASSERT_TRUE(append_wait(*log, make_batch("first", 1), Durability::written).ok());
  const uint64_t writes = fs_.async_writes();
  int written = 0;
  append_counting(*log, "held", 20, 1, 0, 5, written);
  EXPECT_EQ(fs_.async_writes(), writes);  // all of them wait in the one partial page
  EXPECT_EQ(written, 0);
  EXPECT_EQ(log->high_watermark().load(), 21);  // readers see them meanwhile
  // A synced append is not held: it writes (and syncs) everything before it too.
  ASSERT_TRUE(append_wait(*log, make_batch("synced", 1), Durability::synced).ok());
  EXPECT_EQ(written, 20);
  EXPECT_GT(fs_.async_writes(), writes);
  // Held again; closing writes it.
  ASSERT_TRUE(log->append(make_batch("last", 1), Durability::written).ok());
  fs_.poll(std::chrono::milliseconds(0));
  log.reset();
  log = open(o);
  EXPECT_EQ(log->next_offset(), 23);
}

// With a short interval the held page goes out by itself once the interval has passed.
TEST_F(PartitionLogTest, AHeldPartialPageIsWrittenWhenTheIntervalPasses) {
  auto o = options();
  o.write_interval = std::chrono::milliseconds(2);
  auto log = open(o);
  ASSERT_TRUE(append_wait(*log, make_batch("first", 1), Durability::written).ok());
  bool done = false;
  ASSERT_TRUE(log->append(make_batch("second", 1), Durability::written,
                          [&](const Result<AppendInfo>& r) { done = r.ok(); })
                  .ok());
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!done && std::chrono::steady_clock::now() < until) {
    fs_.poll(std::chrono::milliseconds(0));
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  EXPECT_TRUE(done);
}

// Options for the write_interval tests below: chunks large enough that no chunk end forces a
// write, and an interval that never passes during a test; `small_writes` off makes every write
// O_DIRECT (no page is then written apart from the rest).
LogOptions held_write_options(LogOptions o, bool small_writes = true) {
  if (!small_writes) o.small_write_bytes = 0;
  o.chunk_bytes = 1u << 20;
  o.tail_cache_bytes = 4u << 20;
  o.segment_bytes = 4u << 20;
  o.write_interval = std::chrono::seconds(30);
  return o;
}

// Full pages wait for the interval as well, and the write after the hold takes them and the
// partial last page in one.
TEST_F(PartitionLogTest, FullPagesWaitForTheIntervalAndGoInOneWrite) {
  auto log = open(held_write_options(options(), false));
  ASSERT_TRUE(append_wait(*log, make_batch("first", 1), Durability::written).ok());
  const uint64_t writes = fs_.async_writes();
  int written = 0;
  append_counting(*log, "page", 10, 4, 1000, 5, written);  // about 41 KiB: ten pages
  EXPECT_EQ(fs_.async_writes(), writes);
  EXPECT_EQ(written, 0);
  ASSERT_TRUE(append_wait(*log, make_batch("synced", 1), Durability::synced).ok());
  EXPECT_EQ(written, 10);
  EXPECT_EQ(fs_.async_writes(), writes + 1);
  log.reset();
  log = open(held_write_options(options(), false));
  auto read = log->read(0, 1 << 20);
  ASSERT_TRUE(read.ok());
  const std::vector<std::string> values = values_of(*read);
  ASSERT_EQ(values.size(), 42u);
  EXPECT_EQ(values.front(), "first-0");
  EXPECT_EQ(values.back(), "synced-0");
}

// 256 KiB or more waiting is written at once: the interval never caps throughput.
TEST_F(PartitionLogTest, AWriteIntervalDoesNotHoldAQuarterMebibyte) {
  auto log = open(held_write_options(options()));
  ASSERT_TRUE(append_wait(*log, make_batch("first", 1), Durability::written).ok());
  int written = 0;
  append_counting(*log, "big", 9, 8, 4000, 0, written);  // about 288 KiB
  for (int k = 0; k < 20 && written < 9; ++k)
    fs_.poll(std::chrono::milliseconds(0));
  EXPECT_EQ(written, 9);
}

// When the interval passes, everything held goes at once, the partial last page too, also when
// the first page goes apart (it was written through the buffered handle): no append waits for
// a second interval.
TEST_F(PartitionLogTest, EverythingHeldGoesWhenTheIntervalPasses) {
  auto o = held_write_options(options());
  o.write_interval = std::chrono::milliseconds(200);
  auto log = open(o);
  ASSERT_TRUE(append_wait(*log, make_batch("first", 1), Durability::written).ok());
  int written = 0;
  // About 80 KiB, ending in a partial page: held (under 256 KiB), then too long for the
  // buffered handle but for the first page.
  append_counting(*log, "held", 5, 4, 4000, 0, written);
  fs_.poll(std::chrono::milliseconds(0));
  EXPECT_EQ(written, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  for (int k = 0; k < 10 && written < 5; ++k)
    fs_.poll(std::chrono::milliseconds(0));
  EXPECT_EQ(written, 5);
  EXPECT_GE(fs_.async_direct_writes(), 1u);
}

// What a rolled segment has left is not held: it can be written, synced and sealed at once.
TEST_F(PartitionLogTest, ARolledSegmentIsNotHeld) {
  auto log = open(held_write_options(options()));
  ASSERT_TRUE(append_wait(*log, make_batch("first", 1), Durability::written).ok());
  bool done = false;
  ASSERT_TRUE(log->append(make_batch("held", 1), Durability::written,
                          [&](const Result<AppendInfo>& r) { done = r.ok(); })
                  .ok());
  for (int k = 0; k < 5; ++k)
    fs_.poll(std::chrono::milliseconds(0));
  EXPECT_FALSE(done);
  ASSERT_TRUE(log->roll().ok());
  for (int k = 0; k < 20 && !done; ++k)
    fs_.poll(std::chrono::milliseconds(0));
  EXPECT_TRUE(done);
}

// small_write_bytes: with O_DIRECT, a write shorter than it goes through the buffered handle,
// a longer one through the O_DIRECT handle, and both land in the one file.
TEST_F(PartitionLogTest, SmallWritesGoThroughTheBufferedHandleAndBulkWritesDirect) {
  auto o = options();
  o.chunk_bytes = 1u << 20;
  o.tail_cache_bytes = 4u << 20;
  o.segment_bytes = 4u << 20;
  auto log = open(o);
  ASSERT_TRUE(append_wait(*log, make_batch("small", 1), Durability::written).ok());
  EXPECT_GT(fs_.async_writes(), 0u);
  EXPECT_EQ(fs_.async_direct_writes(), 0u);
  // About 160 KiB: the first append starts a buffered write of 32 KiB, and while it is in flight
  // the rest go in O_DIRECT writes of 64 KiB or more.
  int written = 0;
  append_counting(*log, "bulk", 5, 8, 4000, 0, written);
  for (int k = 0; k < 20 && written < 5; ++k)
    fs_.poll(std::chrono::milliseconds(0));
  EXPECT_EQ(written, 5);
  EXPECT_GE(fs_.async_direct_writes(), 1u);
  EXPECT_LE(fs_.async_direct_writes(), 2u);
  // A small write that an fdatasync follows is O_DIRECT.
  const uint64_t direct = fs_.async_direct_writes();
  ASSERT_TRUE(append_wait(*log, make_batch("last", 1), Durability::synced).ok());
  EXPECT_EQ(fs_.async_direct_writes(), direct + 1);
  log.reset();
  log = open(o);
  auto read = log->read(0, 1 << 20);
  ASSERT_TRUE(read.ok());
  const std::vector<std::string> values = values_of(*read);
  ASSERT_EQ(values.size(), 42u);
  EXPECT_EQ(values[1].substr(0, 6), "bulk0-");
  EXPECT_EQ(values.back(), "last-0");
}

// An O_DIRECT write never covers a page written through the buffered handle (the kernel would
// first write it back and hand the write to a worker): that page goes buffered on its own.
TEST_F(PartitionLogTest, ABulkWriteLeavesTheBufferedPageToTheBufferedHandle) {
  auto o = options();
  o.chunk_bytes = 1u << 20;
  o.tail_cache_bytes = 4u << 20;
  o.segment_bytes = 4u << 20;
  o.max_batch_bytes = 1u << 20;
  auto log = open(o);
  ASSERT_TRUE(append_wait(*log, make_batch("small", 1), Durability::written).ok());
  ASSERT_EQ(fs_.async_writes(), 1u);  // its partial page, buffered
  ASSERT_EQ(fs_.async_direct_writes(), 0u);
  // About 100 KiB: the page the first batch began, buffered; the rest O_DIRECT; then the
  // new partial last page, buffered.
  ASSERT_TRUE(append_wait(*log, make_batch("big", 25, 1000, 4000), Durability::written).ok());
  for (int k = 0; k < 10; ++k)
    fs_.poll(std::chrono::milliseconds(0));
  EXPECT_EQ(fs_.async_direct_writes(), 1u);
  EXPECT_EQ(fs_.async_writes(), 4u);
  log.reset();
  log = open(o);
  auto read = log->read(0, 1 << 20);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(values_of(*read).size(), 26u);
}

// small_write_bytes 0 keeps every write O_DIRECT; without direct_io there is no O_DIRECT write.
TEST_F(PartitionLogTest, SmallWriteBytesZeroWritesEverythingDirect) {
  auto o = options();
  o.small_write_bytes = 0;
  auto log = open(o);
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(
        append_wait(*log, make_batch("d" + std::to_string(i), 3), Durability::written).ok());
  EXPECT_GT(fs_.async_writes(), 0u);
  EXPECT_EQ(fs_.async_direct_writes(), fs_.async_writes());
  log.reset();
  const uint64_t before = fs_.async_direct_writes();
  o = options();
  o.direct_io = false;
  log = open(o);
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(
        append_wait(*log, make_batch("b" + std::to_string(i), 3), Durability::written).ok());
  EXPECT_EQ(fs_.async_direct_writes(), before);
  EXPECT_EQ(log->next_offset(), 30);
}

TEST_F(PartitionLogTest, FailedWriteDropsTheUnwrittenAppendsAndGoesOn) {
  auto log = open();
  ASSERT_TRUE(append_wait(*log, make_batch("kept", 2), Durability::synced).ok());
  fs_.fail_writes(Errc::io_error, 1);
  auto failed = append_wait(*log, make_batch("lost", 2), Durability::written);
  EXPECT_EQ(failed.code(), Errc::io_error);
  EXPECT_EQ(log->next_offset(), 2);
  auto again = append_wait(*log, make_batch("again", 2), Durability::synced);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(again->base_offset, 2);
  log.reset();
  log = open();
  auto read = log->read(0, 1 << 20);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(values_of(*read), (std::vector<std::string>{"kept-0", "kept-1", "again-0", "again-1"}));
}

TEST_F(PartitionLogTest, FullDiskFailsAppendsUntilSpaceIsBack) {
  auto o = options();
  o.preallocate = false;  // so that the full disk shows at write time, not at segment creation
  o.segment_bytes = 16 * 1024;
  auto log = open(o);
  fs_.set_capacity(40 * 1024);
  std::vector<int64_t> acknowledged;
  Result<AppendInfo> last = AppendInfo{};
  for (int i = 0; i < 200; ++i) {
    last = append_wait(*log, make_batch("f" + std::to_string(i), 4, 1000, 100), Durability::synced);
    if (!last.ok()) break;
    acknowledged.push_back(last->base_offset);
  }
  ASSERT_FALSE(last.ok());
  EXPECT_EQ(last.code(), Errc::no_space) << last.error().to_string();
  EXPECT_FALSE(acknowledged.empty());
  const int64_t next = log->next_offset();
  EXPECT_EQ(next, acknowledged.back() + 4);
  auto read = log->read(0, 1 << 20);
  ASSERT_TRUE(read.ok());

  fs_.set_capacity(0);
  auto resumed = append_wait(*log, make_batch("resumed", 4), Durability::synced);
  ASSERT_TRUE(resumed.ok()) << resumed.error().to_string();
  EXPECT_EQ(resumed->base_offset, next);
  log.reset();
  log = open(o);
  EXPECT_EQ(log->next_offset(), next + 4);
}

TEST_F(PartitionLogTest, FailedSyncStopsTheLogUntilReopened) {
  auto log = open();
  ASSERT_TRUE(append_wait(*log, make_batch("a", 2), Durability::synced).ok());
  fs_.fail_syncs(1);
  auto failed = append_wait(*log, make_batch("b", 2), Durability::synced);
  EXPECT_EQ(failed.code(), Errc::io_error);
  EXPECT_EQ(log->append(make_batch("c", 1), Durability::none).code(), Errc::closed);
  log.reset();
  log = open();
  EXPECT_GE(log->next_offset(), 2);
  EXPECT_TRUE(log->append(make_batch("d", 1), Durability::none).ok());
}

TEST_F(PartitionLogTest, PowerLossKeepsEverySyncedAppend) {
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    io::MemoryFileSystem fs;
    fs.shuffle_completions(true, seed);
    std::mt19937_64 random(seed);
    std::vector<std::string> synced_values;
    auto o = options();
    o.segment_bytes = 8 * 1024;
    {
      auto log = PartitionLog::open(fs, kDir, o);
      ASSERT_TRUE(log.ok());
      for (int i = 0; i < 60; ++i) {
        std::string name = "p" + std::to_string(i);
        auto batch = make_batch(name, 2, 1000, 50 + random() % 200);
        Durability d = random() % 3 == 0 ? Durability::synced : Durability::none;
        auto appended = (*log)->append(batch, d, [&, name](const Result<AppendInfo>& r) {
          if (r.ok()) synced_values.push_back(name + "-1");
        });
        if (!appended.ok()) {
          ASSERT_EQ(appended.code(), Errc::would_block);
          continue;
        }
        (*log)->flush();
        if (random() % 4 == 0) fs.poll(std::chrono::microseconds(0));
      }
      fs.crash(seed % 2 == 0, seed);
    }
    auto log = PartitionLog::open(fs, kDir, o);
    ASSERT_TRUE(log.ok()) << log.error().to_string();
    std::vector<std::string> values;
    for (int64_t offset = 0; offset < (*log)->next_offset();) {
      auto read = (*log)->read(offset, 1 << 20);
      ASSERT_TRUE(read.ok()) << read.error().to_string();
      for (auto& value : values_of(*read))
        values.push_back(value.substr(0, value.find('.')));
      offset = read->next_offset;
    }
    for (const std::string& value : synced_values) {
      EXPECT_NE(std::find(values.begin(), values.end(), value), values.end())
          << "seed " << seed << ": synced " << value << " was lost; recovered " << values.size()
          << " values";
    }
  }
}

TEST_F(PartitionLogTest, FlippedBytesAreNeverReturned) {
  std::mt19937_64 random(7);
  for (int round = 0; round < 100; ++round) {
    io::MemoryFileSystem fs;
    auto o = options();
    std::vector<std::string> originals;
    uint64_t used = 0;
    {
      auto log = PartitionLog::open(fs, kDir, o);
      ASSERT_TRUE(log.ok());
      for (int i = 0; i < 8; ++i) {
        std::string name = "v" + std::to_string(i);
        ASSERT_TRUE((*log)->append(make_batch(name, 3), Durability::none).ok());
        for (int r = 0; r < 3; ++r)
          originals.push_back(name + "-" + std::to_string(r));
      }
      ASSERT_TRUE((*log)->sync().ok());
      used = (*log)->info().size_bytes;
    }
    std::string path = std::string(kDir) + "/" + segment_file_name(0, kLogExtension);
    const uint64_t flipped = random() % used;
    ASSERT_TRUE(fs.flip_byte(path, flipped, 1 + random() % 255).ok());
    auto log = PartitionLog::open(fs, kDir, o);
    ASSERT_TRUE(log.ok()) << log.error().to_string();
    auto read = (*log)->read((*log)->start_offset(), 1 << 20);
    ASSERT_TRUE(read.ok()) << read.error().to_string();
    auto values = values_of(*read);
    // Every batch before the damaged one survives; nothing returned differs from what was
    // written (a flip in the few bytes no check covers, the leader epoch, keeps its batch).
    const uint64_t batch_bytes = make_batch("v0", 3).size();
    EXPECT_GE(values.size(), 3 * (flipped / batch_bytes)) << "flip at " << flipped;
    ASSERT_LE(values.size(), originals.size());
    for (size_t i = 0; i < values.size(); ++i)
      EXPECT_EQ(values[i], originals[i]);
  }
}

}  // namespace
}  // namespace sluice::partitions
