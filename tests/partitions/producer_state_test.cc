// ProducerStateTable: the sequence rules (new producers, duplicates of each of the last 5
// batches, gaps and rewinds, epochs, the INT32_MAX wrap), the LRU bound, truncation after a
// rollback, and the snapshot codec against every flipped byte and every cut.
#include "partitions/producer_state.h"

#include "partitions/crc32c.h"
#include "partitions/endian.h"

#include <gtest/gtest.h>

#include <limits>

namespace sluice::partitions {
namespace {

constexpr int32_t kMax = std::numeric_limits<int32_t>::max();

// Records a batch of `count` records for producer `id` at the next offsets.
struct Feeder {
  ProducerStateTable& table;
  int64_t next_offset = 0;
  ProducerBatch add(int64_t id, int16_t epoch, int32_t seq, int32_t count) {
    EXPECT_EQ(table.check(id, epoch, seq, count).verdict, SequenceVerdict::accept)
        << "producer " << id << " seq " << seq;
    table.record(id, epoch, seq, count, next_offset, next_offset + count - 1, 1000 + next_offset);
    ProducerBatch batch{seq, last_sequence_of(seq, count), next_offset, next_offset + count - 1,
                        1000 + next_offset};
    next_offset += count;
    return batch;
  }
};

TEST(ProducerStateTest, SequenceArithmeticWrapsAtInt32Max) {
  EXPECT_EQ(last_sequence_of(0, 1), 0);
  EXPECT_EQ(last_sequence_of(10, 5), 14);
  EXPECT_EQ(last_sequence_of(kMax, 1), kMax);
  EXPECT_EQ(last_sequence_of(kMax, 2), 0);
  EXPECT_EQ(last_sequence_of(kMax - 1, 4), 1);
  EXPECT_EQ(next_sequence_after(kMax), 0);
  EXPECT_EQ(next_sequence_after(41), 42);
}

TEST(ProducerStateTest, AnUnknownProducerStartsAtZero) {
  ProducerStateTable table;
  EXPECT_EQ(table.check(7, 0, 0, 3).verdict, SequenceVerdict::accept);
  EXPECT_EQ(table.check(7, 0, 1, 3).verdict, SequenceVerdict::unknown_producer_id);
  EXPECT_EQ(table.check(7, 5, 100, 1).verdict, SequenceVerdict::unknown_producer_id);
  // Any epoch may start: the state of the producer may have been lost (evicted).
  EXPECT_EQ(table.check(7, 9, 0, 1).verdict, SequenceVerdict::accept);
  EXPECT_TRUE(table.empty());
}

TEST(ProducerStateTest, InOrderBatchesAreAcceptedAndGapsAndRewindsAreNot) {
  ProducerStateTable table;
  Feeder feed{table};
  feed.add(1, 0, 0, 3);
  feed.add(1, 0, 3, 2);
  SequenceCheck gap = table.check(1, 0, 6, 1);
  EXPECT_EQ(gap.verdict, SequenceVerdict::out_of_order_sequence);
  EXPECT_EQ(gap.expected_sequence, 5);
  EXPECT_EQ(table.check(1, 0, 4, 1).verdict, SequenceVerdict::out_of_order_sequence);  // rewind
  EXPECT_EQ(table.check(1, 0, 1, 2).verdict, SequenceVerdict::out_of_order_sequence);  // inside
  EXPECT_EQ(table.check(1, 0, 5, 1).verdict, SequenceVerdict::accept);
}

TEST(ProducerStateTest, EachOfTheLastFiveBatchesIsADuplicateOfItsOriginal) {
  ProducerStateTable table;
  Feeder feed{table};
  std::vector<ProducerBatch> sent;
  int32_t seq = 0;
  for (int i = 0; i < 7; ++i) {
    const int32_t count = 1 + i % 3;
    sent.push_back(feed.add(42, 3, seq, count));
    seq += count;
    feed.add(43, 0, i, 1);  // another producer in between changes nothing
  }
  for (size_t i = 2; i < sent.size(); ++i) {
    const int32_t count = sent[i].last_sequence - sent[i].first_sequence + 1;
    SequenceCheck dup = table.check(42, 3, sent[i].first_sequence, count);
    ASSERT_EQ(dup.verdict, SequenceVerdict::duplicate) << "batch " << i;
    EXPECT_EQ(dup.original, sent[i]);
  }
  // Older than the last five: no longer known, so out of order (not silently accepted).
  for (size_t i = 0; i < 2; ++i) {
    const int32_t count = sent[i].last_sequence - sent[i].first_sequence + 1;
    EXPECT_EQ(table.check(42, 3, sent[i].first_sequence, count).verdict,
              SequenceVerdict::out_of_order_sequence);
  }
  // Same first sequence, another length: not the same batch.
  EXPECT_EQ(table.check(42, 3, sent.back().first_sequence, 7).verdict,
            SequenceVerdict::out_of_order_sequence);
  auto entry = table.find(42);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->batches.size(), kProducerBatchesKept);
  EXPECT_EQ(entry->batches.back(), sent.back());
}

TEST(ProducerStateTest, EpochsFenceOlderProducersAndANewEpochStartsAtZero) {
  ProducerStateTable table;
  Feeder feed{table};
  const ProducerBatch old_batch = feed.add(5, 2, 0, 4);
  EXPECT_EQ(table.check(5, 1, 4, 1).verdict, SequenceVerdict::invalid_producer_epoch);
  EXPECT_EQ(table.check(5, 1, 0, 4).verdict, SequenceVerdict::invalid_producer_epoch);
  SequenceCheck bumped_late = table.check(5, 3, 4, 1);
  EXPECT_EQ(bumped_late.verdict, SequenceVerdict::out_of_order_sequence);
  EXPECT_EQ(bumped_late.current_epoch, 2);
  EXPECT_EQ(bumped_late.expected_sequence, 0);
  feed.add(5, 3, 0, 2);
  // The old epoch is fenced now, its batches included.
  EXPECT_EQ(table.check(5, 2, old_batch.first_sequence, 4).verdict,
            SequenceVerdict::invalid_producer_epoch);
  EXPECT_EQ(table.check(5, 3, 0, 2).verdict, SequenceVerdict::duplicate);
  EXPECT_EQ(table.check(5, 3, 2, 1).verdict, SequenceVerdict::accept);
  EXPECT_EQ(table.find(5)->batches.size(), 1u);
  EXPECT_EQ(table.find(5)->epoch, 3);
}

TEST(ProducerStateTest, SequencesWrapFromInt32MaxToZero) {
  ProducerStateTable table;
  Feeder feed{table};
  feed.add(9, 0, 0, 1);
  // Jump near the top by replaying history (record makes no check), as a long-lived producer
  // would get there.
  table.record(9, 0, kMax - 2, 2, feed.next_offset, feed.next_offset + 1, 0);
  feed.next_offset += 2;
  const ProducerBatch wrapped = feed.add(9, 0, kMax, 3);  // kMax, 0, 1
  EXPECT_EQ(wrapped.last_sequence, 1);
  EXPECT_EQ(table.check(9, 0, kMax, 3).verdict, SequenceVerdict::duplicate);
  EXPECT_EQ(table.check(9, 0, 2, 1).verdict, SequenceVerdict::accept);
  // Inside the wrapped batch: a rewind, not a duplicate.
  EXPECT_EQ(table.check(9, 0, 0, 2).verdict, SequenceVerdict::out_of_order_sequence);
  feed.add(9, 0, 2, 5);
}

TEST(ProducerStateTest, TheLeastRecentlyUsedProducerIsEvictedWhenFull) {
  ProducerStateTable table(3);
  Feeder feed{table};
  feed.add(1, 0, 0, 1);
  feed.add(2, 0, 0, 1);
  feed.add(3, 0, 0, 1);
  feed.add(1, 0, 1, 1);  // 1 is now the most recent: 2 goes first
  feed.add(4, 0, 0, 1);
  EXPECT_EQ(table.size(), 3u);
  EXPECT_FALSE(table.find(2).has_value());
  EXPECT_EQ(table.check(2, 0, 1, 1).verdict, SequenceVerdict::unknown_producer_id);
  feed.add(5, 0, 0, 1);
  EXPECT_FALSE(table.find(3).has_value());
  std::vector<int64_t> order;
  for (const ProducerEntry& entry : table.entries())
    order.push_back(entry.producer_id);
  EXPECT_EQ(order, (std::vector<int64_t>{1, 4, 5}));
}

TEST(ProducerStateTest, TruncateForgetsDroppedBatchesAndEmptiedProducers) {
  ProducerStateTable table;
  Feeder feed{table};
  feed.add(1, 0, 0, 2);  // offsets 0-1
  feed.add(2, 0, 0, 2);  // 2-3
  feed.add(1, 0, 2, 2);  // 4-5
  feed.add(2, 0, 2, 2);  // 6-7
  table.truncate(4);
  EXPECT_EQ(table.find(1)->batches.size(), 1u);
  EXPECT_EQ(table.find(2)->batches.size(), 1u);
  // The dropped batches were never stored: their retries go in as new.
  EXPECT_EQ(table.check(1, 0, 2, 2).verdict, SequenceVerdict::accept);
  table.truncate(2);
  EXPECT_FALSE(table.find(2).has_value());
  EXPECT_EQ(table.size(), 1u);
  table.truncate(0);
  EXPECT_TRUE(table.empty());
}

// A table with a few producers, one of them on its second epoch and one wrapped.
ProducerStateTable sample_table(int64_t* next_offset) {
  ProducerStateTable table;
  Feeder feed{table};
  for (int i = 0; i < 8; ++i)
    feed.add(100, 0, i * 2, 2);
  feed.add(7, 1, 0, 1);
  feed.add(7, 2, 0, 3);
  table.record(8, 0, kMax - 1, 4, feed.next_offset, feed.next_offset + 3, -1);
  feed.next_offset += 4;
  feed.add(100, 0, 16, 1);
  *next_offset = feed.next_offset;
  return table;
}

void expect_same(const ProducerStateTable& a, const ProducerStateTable& b) {
  auto ea = a.entries();
  auto eb = b.entries();
  ASSERT_EQ(ea.size(), eb.size());
  for (size_t i = 0; i < ea.size(); ++i) {
    EXPECT_EQ(ea[i].producer_id, eb[i].producer_id);
    EXPECT_EQ(ea[i].epoch, eb[i].epoch);
    EXPECT_EQ(ea[i].batches, eb[i].batches);
  }
}

TEST(ProducerStateTest, SnapshotRoundTripsInLruOrder) {
  int64_t next_offset = 0;
  ProducerStateTable table = sample_table(&next_offset);
  std::vector<std::byte> bytes = table.encode(next_offset + 10);
  auto decoded = ProducerStateTable::decode(bytes, kDefaultMaxProducers);
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  EXPECT_EQ(decoded->next_offset, next_offset + 10);
  expect_same(table, decoded->table);
  // The decoded table answers as the original does.
  EXPECT_EQ(decoded->table.check(8, 0, kMax - 1, 4).verdict, SequenceVerdict::duplicate);
  EXPECT_EQ(decoded->table.check(7, 1, 1, 1).verdict, SequenceVerdict::invalid_producer_epoch);
  // An empty table too.
  auto empty = ProducerStateTable::decode(ProducerStateTable().encode(0), 10);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->table.empty());
}

TEST(ProducerStateTest, SnapshotWithMoreProducersThanAllowedKeepsTheMostRecent) {
  int64_t next_offset = 0;
  ProducerStateTable table = sample_table(&next_offset);
  auto decoded = ProducerStateTable::decode(table.encode(next_offset), 2);
  ASSERT_TRUE(decoded.ok());
  auto entries = decoded->table.entries();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].producer_id, 8);
  EXPECT_EQ(entries[1].producer_id, 100);
}

TEST(ProducerStateTest, EveryFlippedByteOrCutOfASnapshotIsRefused) {
  int64_t next_offset = 0;
  ProducerStateTable table = sample_table(&next_offset);
  const std::vector<std::byte> good = table.encode(next_offset);
  for (size_t i = 0; i < good.size(); ++i) {
    std::vector<std::byte> bad = good;
    bad[i] ^= std::byte{0x5a};
    auto decoded = ProducerStateTable::decode(bad, kDefaultMaxProducers);
    ASSERT_FALSE(decoded.ok()) << "byte " << i;
    EXPECT_EQ(decoded.code(), Errc::corruption) << "byte " << i;
  }
  for (size_t size = 0; size < good.size(); ++size) {
    auto decoded = ProducerStateTable::decode(std::span(good).first(size), kDefaultMaxProducers);
    ASSERT_FALSE(decoded.ok()) << "cut at " << size;
  }
  std::vector<std::byte> longer = good;
  longer.push_back(std::byte{0});
  EXPECT_FALSE(ProducerStateTable::decode(longer, kDefaultMaxProducers).ok());
}

TEST(ProducerStateTest, SnapshotsWithGoodCrcsButBadValuesAreRefused) {
  int64_t next_offset = 0;
  ProducerStateTable table = sample_table(&next_offset);
  const std::vector<std::byte> good = table.encode(next_offset);
  // Rewrites a field and the CRC, as a bug (not a flipped bit) would.
  auto with = [&](size_t at, auto value) {
    std::vector<std::byte> bytes = good;
    store_be(bytes.data() + at, value);
    store_be<uint32_t>(bytes.data() + 4, crc32c(std::span(bytes).subspan(8)));
    return ProducerStateTable::decode(bytes, kDefaultMaxProducers);
  };
  // The first entry is producer 7 (least recently used): id at 24, epoch at 32, count at 34,
  // its batch at 36 (first seq, last seq, base offset, last offset, timestamp).
  EXPECT_EQ(with(12, int64_t{-1}).code(), Errc::corruption);          // next_offset
  EXPECT_EQ(with(12, int64_t{3}).code(), Errc::corruption);           // below batches
  EXPECT_EQ(with(20, uint32_t{99}).code(), Errc::corruption);         // producer count
  EXPECT_EQ(with(24, int64_t{-5}).code(), Errc::corruption);          // producer id
  EXPECT_EQ(with(24, int64_t{100}).code(), Errc::corruption);         // repeated id
  EXPECT_EQ(with(32, int16_t{-1}).code(), Errc::corruption);          // epoch
  EXPECT_EQ(with(34, uint8_t{0}).code(), Errc::corruption);           // no batches
  EXPECT_EQ(with(34, uint8_t{6}).code(), Errc::corruption);           // too many
  EXPECT_EQ(with(36, int32_t{-1}).code(), Errc::corruption);          // sequence
  EXPECT_EQ(with(44, int64_t{1'000'000}).code(), Errc::corruption);   // base > last
  EXPECT_EQ(with(10, uint16_t{1}).code(), Errc::corruption);          // reserved
  EXPECT_EQ(with(8, uint16_t{2}).code(), Errc::unsupported);          // a newer version
  EXPECT_EQ(with(0, uint32_t{0x534C5054}).code(), Errc::corruption);  // magic
}

}  // namespace
}  // namespace sluice::partitions
