#include "partitions/time_index.h"

#include "partitions/endian.h"

#include <gtest/gtest.h>

#include <random>

namespace sluice::partitions {
namespace {

constexpr int64_t kBase = 500;

struct Batch {
  int64_t base_offset = 0;
  int64_t max_timestamp = 0;
  std::vector<int64_t> timestamps;  // one per record
  uint64_t bytes = 0;
};

TEST(TimeIndexTest, Empty) {
  TimeIndex index(kBase, 4096);
  EXPECT_EQ(index.max_timestamp(), -1);
  EXPECT_EQ(index.lookup(0), kBase);
  EXPECT_EQ(index.lookup(std::numeric_limits<int64_t>::max()), kBase);
  EXPECT_TRUE(index.encode().empty());
}

TEST(TimeIndexTest, EntriesOnlyWhenTheMaximumGrows) {
  TimeIndex index(kBase, 0);  // interval 0: every batch is due
  index.on_batch(500, 100, 10);
  index.on_batch(501, 90, 10);   // older than the maximum: no entry
  index.on_batch(502, 100, 10);  // equal: no entry
  index.on_batch(503, 150, 10);
  index.on_batch(504, 120, 10);
  ASSERT_EQ(index.entries().size(), 2u);
  EXPECT_EQ(index.entries()[0].timestamp, 100);
  EXPECT_EQ(index.entries()[0].offset, 500);
  EXPECT_EQ(index.entries()[1].timestamp, 150);
  EXPECT_EQ(index.entries()[1].offset, 503);
  EXPECT_EQ(index.max_timestamp(), 150);
  EXPECT_EQ(index.lookup(50), kBase);
  EXPECT_EQ(index.lookup(100), kBase);  // batch 500 holds 100
  EXPECT_EQ(index.lookup(101), 500);    // everything up to batch 500 is older
  EXPECT_EQ(index.lookup(150), 500);    // batch 501..503 may hold 150
  EXPECT_EQ(index.lookup(151), 503);
}

TEST(TimeIndexTest, IntervalSpacesEntries) {
  TimeIndex index(kBase, 250);
  for (int i = 0; i < 10; ++i)
    index.on_batch(kBase + i, 1000 + i, 100);
  // Batches start at 0, 100, ...: an entry every third batch, as in OffsetIndex.
  ASSERT_EQ(index.entries().size(), 4u);
  EXPECT_EQ(index.entries()[1].offset, kBase + 3);
  EXPECT_EQ(index.entries()[1].timestamp, 1003);
  EXPECT_EQ(index.max_timestamp(), 1009);
}

TEST(TimeIndexTest, EntryCarriesTheRunningMaximumOfSkippedBatches) {
  TimeIndex index(kBase, 200);
  index.on_batch(500, 10, 100);  // entry (10, 500)
  index.on_batch(501, 99, 100);  // larger, but not due
  index.on_batch(502, 20, 100);  // due: the running maximum (99) with this batch's offset
  ASSERT_EQ(index.entries().size(), 2u);
  EXPECT_EQ(index.entries()[1].timestamp, 99);
  EXPECT_EQ(index.entries()[1].offset, 502);
  EXPECT_EQ(index.lookup(50), 500);
}

TEST(TimeIndexTest, NoTimestampBatchesGetNoEntry) {
  TimeIndex index(kBase, 0);
  index.on_batch(500, -1, 10);
  EXPECT_TRUE(index.entries().empty());
  index.on_batch(501, 7, 10);
  ASSERT_EQ(index.entries().size(), 1u);
  EXPECT_EQ(index.entries()[0].offset, 501);
}

// Random batches with non-monotonic timestamps; for every target, starting at lookup() never
// skips a record whose timestamp >= target.
TEST(TimeIndexTest, LookupNeverSkipsANewerRecord) {
  std::mt19937_64 random(11);
  for (int round = 0; round < 20; ++round) {
    const uint32_t interval = 1 + static_cast<uint32_t>(random() % 2000);
    TimeIndex index(kBase, interval);
    std::vector<Batch> batches;
    int64_t offset = kBase;
    for (int i = 0; i < 300; ++i) {
      Batch batch{offset, -1, {}, 61 + random() % 500};
      const int records = 1 + static_cast<int>(random() % 5);
      for (int r = 0; r < records; ++r) {
        // Mostly rising with jitter, sometimes far behind.
        int64_t ts = 1000 + i * 10 + static_cast<int64_t>(random() % 60) - 30;
        if (random() % 10 == 0) ts -= 500;
        batch.timestamps.push_back(ts);
        batch.max_timestamp = std::max(batch.max_timestamp, ts);
      }
      index.on_batch(batch.base_offset, batch.max_timestamp, batch.bytes);
      batches.push_back(batch);
      offset += records;
    }
    for (int64_t target = 0; target < 4500; target += 7) {
      const int64_t start = index.lookup(target);
      for (const Batch& batch : batches) {
        if (batch.base_offset >= start) break;
        for (int64_t ts : batch.timestamps) {
          ASSERT_LT(ts, target) << "lookup(" << target << ") = " << start << " skips offset "
                                << batch.base_offset;
        }
      }
    }
    // The same holds for the decoded index, which gains a closing entry.
    Result<TimeIndex> decoded = TimeIndex::decode(kBase, interval, index.encode());
    ASSERT_TRUE(decoded.ok()) << decoded.error().message();
    EXPECT_EQ(decoded->max_timestamp(), index.max_timestamp());
    for (int64_t target = 0; target < 4500; target += 7) {
      const int64_t start = decoded->lookup(target);
      for (const Batch& batch : batches) {
        if (batch.base_offset >= start) break;
        for (int64_t ts : batch.timestamps)
          ASSERT_LT(ts, target);
      }
    }
  }
}

TEST(TimeIndexTest, Truncate) {
  TimeIndex index(kBase, 0);
  index.on_batch(500, 10, 10);
  index.on_batch(501, 20, 10);
  index.on_batch(502, 30, 10);
  index.truncate(502);
  ASSERT_EQ(index.entries().size(), 2u);
  EXPECT_EQ(index.max_timestamp(), 20);
  index.truncate(1000);  // past every batch: nothing changes
  EXPECT_EQ(index.entries().size(), 2u);
  index.truncate(kBase);
  EXPECT_TRUE(index.entries().empty());
  EXPECT_EQ(index.max_timestamp(), -1);
  index.on_batch(500, 5, 10);
  EXPECT_EQ(index.entries().size(), 1u);
}

TEST(TimeIndexTest, TruncateKeepsLookupSafeForUnindexedBatches) {
  TimeIndex index(kBase, 250);
  index.on_batch(500, 10, 100);  // entry
  index.on_batch(501, 50, 100);  // not due: no entry, but its record is kept by the cut
  index.on_batch(502, 20, 100);  // due: entry (50, 502)
  index.truncate(502);
  EXPECT_EQ(index.max_timestamp(), 10);  // the last remaining entry's, as documented
  index.on_batch(502, 30, 300);
  index.on_batch(503, 40, 300);
  // Batch 501 holds 50: a lookup for 45 must not start past it.
  EXPECT_LE(index.lookup(45), 501);
}

TEST(TimeIndexTest, EncodeDecodeRoundTrip) {
  TimeIndex index(kBase, 0);
  index.on_batch(500, 1700000000000, 10);
  index.on_batch(503, 1700000000500, 10);
  std::vector<std::byte> bytes = index.encode();
  ASSERT_EQ(bytes.size(), 2 * kTimeIndexEntryBytes);
  EXPECT_EQ(load_be<int64_t>(bytes.data() + 12), 1700000000500);
  EXPECT_EQ(load_be<uint32_t>(bytes.data() + 20), 3u);
  Result<TimeIndex> decoded = TimeIndex::decode(kBase, 0, bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message();
  ASSERT_EQ(decoded->entries().size(), 2u);
  EXPECT_EQ(decoded->entries()[1].offset, 503);
  EXPECT_EQ(decoded->max_timestamp(), 1700000000500);
}

TEST(TimeIndexTest, EncodeAddsAClosingEntryForTheMaximum) {
  TimeIndex index(kBase, 1000);
  index.on_batch(500, 10, 100);
  index.on_batch(501, 70, 100);  // not due
  index.on_batch(502, 40, 100);
  ASSERT_EQ(index.entries().size(), 1u);
  Result<TimeIndex> decoded = TimeIndex::decode(kBase, 1000, index.encode());
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded->entries().size(), 2u);
  EXPECT_EQ(decoded->entries()[1].timestamp, 70);
  EXPECT_EQ(decoded->entries()[1].offset, 502);
  EXPECT_EQ(decoded->max_timestamp(), 70);
}

std::vector<std::byte> entries_bytes(std::initializer_list<std::pair<int64_t, uint32_t>> list) {
  std::vector<std::byte> bytes;
  for (const auto& [timestamp, relative] : list) {
    std::byte entry[kTimeIndexEntryBytes];
    store_be(entry, timestamp);
    store_be(entry + 8, relative);
    bytes.insert(bytes.end(), entry, entry + kTimeIndexEntryBytes);
  }
  return bytes;
}

TEST(TimeIndexTest, DecodeRejects) {
  std::vector<std::byte> partial = entries_bytes({{10, 0}, {20, 1}});
  partial.resize(partial.size() - 3);
  Result<TimeIndex> decoded = TimeIndex::decode(kBase, 0, partial);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.code(), Errc::corruption);

  decoded = TimeIndex::decode(kBase, 0, entries_bytes({{10, 0}, {10, 1}}));
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().message().find("timestamp 10 does not increase"), std::string::npos)
      << decoded.error().message();

  decoded = TimeIndex::decode(kBase, 0, entries_bytes({{10, 5}, {20, 5}}));
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().message().find("offset 505 does not increase"), std::string::npos)
      << decoded.error().message();

  decoded = TimeIndex::decode(std::numeric_limits<int64_t>::max() - 1, 0, entries_bytes({{1, 7}}));
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().message().find("below the base"), std::string::npos);
}

}  // namespace
}  // namespace sluice::partitions
