#include "partitions/offset_index.h"

#include "partitions/endian.h"

#include <gtest/gtest.h>

#include <random>

namespace sluice::partitions {
namespace {

constexpr int64_t kBase = 1000;

// Batches of 10 offsets and 100 bytes each, so batch i starts at offset kBase + 10 i and
// position 100 i.
OffsetIndex index_of(int batches, uint32_t interval) {
  OffsetIndex index(kBase, interval);
  for (int i = 0; i < batches; ++i)
    index.on_batch(kBase + 10 * i, 100u * i, 100);
  return index;
}

std::vector<std::byte> entry_bytes(uint32_t relative, uint32_t position) {
  std::vector<std::byte> bytes(kOffsetIndexEntryBytes);
  store_be(bytes.data(), relative);
  store_be(bytes.data() + 4, position);
  return bytes;
}

void append(std::vector<std::byte>& to, const std::vector<std::byte>& bytes) {
  to.insert(to.end(), bytes.begin(), bytes.end());
}

TEST(OffsetIndexTest, EmptyLookupIsTheBase) {
  OffsetIndex index(kBase, 4096);
  EXPECT_TRUE(index.entries().empty());
  OffsetIndexEntry entry = index.lookup(kBase + 5);
  EXPECT_EQ(entry.offset, kBase);
  EXPECT_EQ(entry.position, 0u);
  EXPECT_TRUE(index.encode().empty());
}

TEST(OffsetIndexTest, FirstBatchAlwaysGetsAnEntry) {
  OffsetIndex index = index_of(5, 1u << 30);
  ASSERT_EQ(index.entries().size(), 1u);
  EXPECT_EQ(index.entries()[0].offset, kBase);
  EXPECT_EQ(index.entries()[0].position, 0u);
}

TEST(OffsetIndexTest, EntryWhenABatchStartsAnIntervalAfterTheLastEntry) {
  // Interval 250: entries at positions 0, 300, 600, 900 (the first batch starting >= 250
  // bytes after the previous entry's batch).
  OffsetIndex index = index_of(10, 250);
  ASSERT_EQ(index.entries().size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(index.entries()[i].position, 300 * i);
    EXPECT_EQ(index.entries()[i].offset, kBase + 30 * static_cast<int64_t>(i));
  }
  // An interval equal to one batch indexes every batch.
  EXPECT_EQ(index_of(10, 100).entries().size(), 10u);
  // An interval of 0 does too.
  EXPECT_EQ(index_of(10, 0).entries().size(), 10u);
}

TEST(OffsetIndexTest, ScanFromAnEntryIsBoundedByTheInterval) {
  std::mt19937_64 random(7);
  const uint32_t interval = 4096;
  OffsetIndex index(0, interval);
  std::vector<std::pair<int64_t, uint64_t>> batches;  // base offset, position
  uint64_t position = 0;
  int64_t offset = 0;
  for (int i = 0; i < 2000; ++i) {
    const uint64_t bytes = 61 + random() % 3000;
    index.on_batch(offset, position, bytes);
    batches.emplace_back(offset, position);
    position += bytes;
    offset += 1 + static_cast<int64_t>(random() % 20);
  }
  for (const auto& [base, start] : batches) {
    OffsetIndexEntry entry = index.lookup(base);
    EXPECT_LE(entry.offset, base);
    EXPECT_LE(entry.position, start);
    EXPECT_LT(start - entry.position, interval) << "batch at " << start;
  }
}

TEST(OffsetIndexTest, Lookup) {
  OffsetIndex index = index_of(10, 250);     // entries at offsets 1000, 1030, 1060, 1090
  EXPECT_EQ(index.lookup(0).offset, kBase);  // before the first
  EXPECT_EQ(index.lookup(0).position, 0u);
  EXPECT_EQ(index.lookup(kBase).position, 0u);  // exact
  EXPECT_EQ(index.lookup(1030).position, 300u);
  EXPECT_EQ(index.lookup(1030).offset, 1030);
  EXPECT_EQ(index.lookup(1029).position, 0u);  // between
  EXPECT_EQ(index.lookup(1059).offset, 1030);
  EXPECT_EQ(index.lookup(1090).position, 900u);
  EXPECT_EQ(index.lookup(1000000).offset, 1090);  // after the last
}

TEST(OffsetIndexTest, Truncate) {
  OffsetIndex index = index_of(10, 250);  // positions 0, 300, 600, 900
  index.truncate(600);
  ASSERT_EQ(index.entries().size(), 2u);
  EXPECT_EQ(index.entries().back().position, 300u);
  // Appending again from the cut continues the interval from the entry at 300.
  index.on_batch(1060, 600, 100);
  EXPECT_EQ(index.entries().back().position, 600u);
  index.truncate(301);
  ASSERT_EQ(index.entries().size(), 2u);
  index.on_batch(1031, 301, 100);  // 1 byte after the entry at 300: no entry
  EXPECT_EQ(index.entries().size(), 2u);
  index.truncate(0);
  EXPECT_TRUE(index.entries().empty());
  index.on_batch(kBase, 0, 100);
  EXPECT_EQ(index.entries().size(), 1u);
}

TEST(OffsetIndexTest, EncodeDecodeRoundTrip) {
  OffsetIndex index = index_of(10, 250);
  std::vector<std::byte> bytes = index.encode();
  ASSERT_EQ(bytes.size(), 4 * kOffsetIndexEntryBytes);
  EXPECT_EQ(load_be<uint32_t>(bytes.data() + 8), 30u);    // relative offset
  EXPECT_EQ(load_be<uint32_t>(bytes.data() + 12), 300u);  // position
  Result<OffsetIndex> decoded = OffsetIndex::decode(kBase, 250, bytes, 1000);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message();
  ASSERT_EQ(decoded->entries().size(), index.entries().size());
  for (size_t i = 0; i < index.entries().size(); ++i) {
    EXPECT_EQ(decoded->entries()[i].offset, index.entries()[i].offset);
    EXPECT_EQ(decoded->entries()[i].position, index.entries()[i].position);
  }
  EXPECT_EQ(decoded->lookup(1075).position, 600u);
  Result<OffsetIndex> empty = OffsetIndex::decode(kBase, 250, {}, 0);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->entries().empty());
}

TEST(OffsetIndexTest, DecodeRejectsAPartialEntry) {
  std::vector<std::byte> bytes = index_of(10, 250).encode();
  bytes.pop_back();
  Result<OffsetIndex> decoded = OffsetIndex::decode(kBase, 250, bytes, 1000);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.code(), Errc::corruption);
  EXPECT_NE(decoded.error().message().find("whole number"), std::string::npos);
}

TEST(OffsetIndexTest, DecodeRejectsNonIncreasingEntries) {
  std::vector<std::byte> offsets;
  append(offsets, entry_bytes(0, 0));
  append(offsets, entry_bytes(10, 100));
  append(offsets, entry_bytes(10, 200));
  Result<OffsetIndex> decoded = OffsetIndex::decode(kBase, 1, offsets, 1000);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.code(), Errc::corruption);
  EXPECT_NE(decoded.error().message().find("entry 2: offset 1010 does not increase"),
            std::string::npos)
      << decoded.error().message();

  std::vector<std::byte> positions;
  append(positions, entry_bytes(0, 100));
  append(positions, entry_bytes(10, 50));
  decoded = OffsetIndex::decode(kBase, 1, positions, 1000);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().message().find("entry 1: position 50 does not increase"),
            std::string::npos)
      << decoded.error().message();
}

TEST(OffsetIndexTest, DecodeRejectsAPositionPastTheSegment) {
  std::vector<std::byte> bytes;
  append(bytes, entry_bytes(0, 0));
  append(bytes, entry_bytes(10, 1000));
  Result<OffsetIndex> decoded = OffsetIndex::decode(kBase, 1, bytes, 1000);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.code(), Errc::corruption);
  EXPECT_NE(decoded.error().message().find("position 1000 is past"), std::string::npos)
      << decoded.error().message();
  EXPECT_TRUE(OffsetIndex::decode(kBase, 1, bytes, 1001).ok());
}

TEST(OffsetIndexTest, DecodeRejectsAnOffsetBelowTheBase) {
  // Relative offsets are unsigned, so an offset lands below the base only by wrapping past
  // the top of int64.
  const int64_t base = std::numeric_limits<int64_t>::max() - 5;
  std::vector<std::byte> bytes = entry_bytes(10, 0);
  Result<OffsetIndex> decoded = OffsetIndex::decode(base, 1, bytes, 1000);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.code(), Errc::corruption);
  EXPECT_NE(decoded.error().message().find("below the base"), std::string::npos);
}

}  // namespace
}  // namespace sluice::partitions
