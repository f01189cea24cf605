#include "partitions/key_index.h"

#include "partitions/endian.h"
#include "partitions/record_batch.h"
#include "tests/support/compressed_batches.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace sluice::partitions {
namespace {

using Bytes = std::vector<std::byte>;

// The inverse of KeyIndex's Fibonacci multiplier modulo 2^64 (Newton's iteration), so that
// hash_at_home(i) = i * inverse lands every small i on home slot 0 of any table: the worst
// clustering the index can meet.
uint64_t fibonacci_inverse() {
  constexpr uint64_t kFibonacci = 0x9E3779B97F4A7C15ull;
  uint64_t x = kFibonacci;  // correct to 3 bits for an odd number
  for (int i = 0; i < 6; ++i)
    x *= 2 - kFibonacci * x;
  EXPECT_EQ(x * kFibonacci, 1u);
  return x;
}

uint64_t colliding_hash(uint64_t i) {
  static const uint64_t inverse = fibonacci_inverse();
  return (i + 1) * inverse;  // never 0 for i + 1 < 2^64
}

void expect_matches(const KeyIndex& index, const std::unordered_map<uint64_t, int64_t>& model) {
  EXPECT_EQ(index.size(), model.size());
  for (const auto& [hash, offset] : model) {
    auto got = index.get(hash);
    ASSERT_TRUE(got.has_value()) << hash;
    EXPECT_EQ(*got, offset) << hash;
  }
}

TEST(KeyIndexTest, EmptyIndexFindsNothing) {
  KeyIndex index;
  EXPECT_EQ(index.size(), 0u);
  EXPECT_FALSE(index.get(1).has_value());
  EXPECT_FALSE(index.get(0).has_value());
  EXPECT_FALSE(index.get(~0ull).has_value());
  EXPECT_EQ(index.capacity(), 1024u);
  EXPECT_EQ(index.memory_bytes(), 1024u * 16);
}

TEST(KeyIndexTest, PutThenGet) {
  KeyIndex index;
  index.put(42, 7);
  index.put(43, 8);
  EXPECT_EQ(index.get(42), 7);
  EXPECT_EQ(index.get(43), 8);
  EXPECT_FALSE(index.get(44).has_value());
  EXPECT_EQ(index.size(), 2u);
}

TEST(KeyIndexTest, LaterOffsetWinsOlderIsIgnored) {
  KeyIndex index;
  index.put(42, 7);
  index.put(42, 9);
  EXPECT_EQ(index.get(42), 9);
  index.put(42, 3);  // replaying an older batch changes nothing
  EXPECT_EQ(index.get(42), 9);
  index.put(42, 9);
  EXPECT_EQ(index.get(42), 9);
  EXPECT_EQ(index.size(), 1u);
}

TEST(KeyIndexTest, OffsetZeroIsAValue) {
  KeyIndex index;
  index.put(5, 0);
  EXPECT_EQ(index.get(5), 0);
}

TEST(KeyIndexTest, HashZeroIsTheEmptyMarkerAndStillAKey) {
  KeyIndex index(16);
  EXPECT_FALSE(index.get(0).has_value());
  index.put(0, 11);
  EXPECT_EQ(index.get(0), 11);
  EXPECT_EQ(index.size(), 1u);
  index.put(0, 10);
  EXPECT_EQ(index.get(0), 11);
  index.put(0, 12);
  EXPECT_EQ(index.get(0), 12);
  EXPECT_EQ(index.size(), 1u);
  // Hash 0 lives apart from the table: filling and growing the table leaves it alone.
  for (uint64_t h = 1; h <= 100; ++h)
    index.put(h, static_cast<int64_t>(h));
  EXPECT_EQ(index.get(0), 12);
  EXPECT_EQ(index.size(), 101u);
  for (uint64_t h = 1; h <= 100; ++h)
    EXPECT_EQ(index.get(h), static_cast<int64_t>(h));
}

TEST(KeyIndexTest, HashesThatShareAHomeSlotAllStay) {
  KeyIndex index(16);
  std::unordered_map<uint64_t, int64_t> model;
  for (uint64_t i = 0; i < 500; ++i) {
    index.put(colliding_hash(i), static_cast<int64_t>(i) * 3);
    model[colliding_hash(i)] = static_cast<int64_t>(i) * 3;
  }
  expect_matches(index, model);
  // Hashes that are absent but probe through the same cluster.
  for (uint64_t i = 500; i < 600; ++i)
    EXPECT_FALSE(index.get(colliding_hash(i)).has_value());
}

TEST(KeyIndexTest, GrowsGeometricallyAndBoundsMemory) {
  KeyIndex index(16);
  EXPECT_EQ(index.capacity(), 16u);
  std::unordered_map<uint64_t, int64_t> model;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100000; ++i) {
    uint64_t hash = rng() | 1;
    index.put(hash, i);
    model[hash] = i;
    // Never more than 3/4 full, never less than 3/8 full once it grew.
    ASSERT_LE(index.size() * 4, index.capacity() * 3);
    // Retired tables sum to less than the current one.
    ASSERT_LT(index.memory_bytes(), 2 * index.capacity() * 16);
  }
  EXPECT_GE(index.size() * 8, index.capacity() * 3);
  expect_matches(index, model);
}

TEST(KeyIndexTest, InitialCapacityIsRoundedUp) {
  EXPECT_EQ(KeyIndex(0).capacity(), 16u);
  EXPECT_EQ(KeyIndex(17).capacity(), 32u);
  EXPECT_EQ(KeyIndex(64).capacity(), 64u);
}

// Random puts and gets against std::unordered_map, over a small hash space (many updates of
// the same keys), with the sentinel and colliding hashes mixed in.
TEST(KeyIndexTest, RandomOperationsMatchAModel) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 rng(seed);
    KeyIndex index(16);
    std::unordered_map<uint64_t, int64_t> model;
    int64_t next_offset = 0;
    auto random_hash = [&]() -> uint64_t {
      switch (rng() % 8) {
        case 0:
          return 0;
        case 1:
          return colliding_hash(rng() % 64);
        case 2:
          return ~0ull - rng() % 4;
        default:
          return rng() % 2000;
      }
    };
    for (int op = 0; op < 20000; ++op) {
      uint64_t hash = random_hash();
      if (rng() % 3 == 0) {
        auto got = index.get(hash);
        auto it = model.find(hash);
        if (it == model.end()) {
          ASSERT_FALSE(got.has_value()) << "seed " << seed << " op " << op;
        } else {
          ASSERT_EQ(got, it->second) << "seed " << seed << " op " << op;
        }
        continue;
      }
      // Mostly increasing offsets, sometimes an older one (a replay).
      int64_t offset =
          rng() % 10 == 0 ? static_cast<int64_t>(rng() % (next_offset + 1)) : next_offset++;
      index.put(hash, offset);
      auto [it, inserted] = model.try_emplace(hash, offset);
      if (!inserted) it->second = std::max(it->second, offset);
    }
    expect_matches(index, model);
  }
}

// ---- index_batch_keys ----

Bytes build(const std::vector<std::optional<std::string>>& keys, int64_t base_offset) {
  BatchBuilder builder(BatchBuilder::Options{.base_offset = base_offset});
  for (size_t i = 0; i < keys.size(); ++i) {
    std::string value = "v" + std::to_string(i);
    std::optional<std::span<const std::byte>> key;
    if (keys[i]) key = std::as_bytes(std::span(keys[i]->data(), keys[i]->size()));
    builder.add(key, std::as_bytes(std::span(value.data(), value.size())), 1000);
  }
  auto bytes = builder.finish();
  return {bytes.begin(), bytes.end()};
}

void set_attributes(Bytes& batch, int16_t attributes) {
  store_be<int16_t>(batch.data() + kBatchCrcStart, attributes);
  store_be<uint32_t>(batch.data() + kBatchCrcOffset, compute_batch_crc(batch));
}

TEST(KeyIndexTest, BatchKeysPointAtTheirLastRecord) {
  KeyIndex index;
  std::vector<std::byte> scratch;
  Bytes batch = build({"a", "b", std::nullopt, "a", "", "c"}, 100);
  ASSERT_TRUE(validate_batch(batch).ok());
  auto done = index_batch_keys(batch, index, scratch);
  ASSERT_TRUE(done.ok()) << done.error().to_string();
  EXPECT_EQ(done->keyed_records, 5u);
  EXPECT_FALSE(done->compressed);
  EXPECT_EQ(index.get(key_hash("a")), 103);
  EXPECT_EQ(index.get(key_hash("b")), 101);
  EXPECT_EQ(index.get(key_hash("")), 104);  // an empty key is a key
  EXPECT_EQ(index.get(key_hash("c")), 105);
  EXPECT_EQ(index.size(), 4u);

  // A later batch moves a key forward; replaying the first batch moves nothing back.
  ASSERT_TRUE(index_batch_keys(build({"b"}, 106), index, scratch).ok());
  ASSERT_TRUE(index_batch_keys(batch, index, scratch).ok());
  EXPECT_EQ(index.get(key_hash("b")), 106);
  EXPECT_EQ(index.get(key_hash("a")), 103);
}

TEST(KeyIndexTest, BatchWithoutKeysIndexesNothing) {
  KeyIndex index;
  std::vector<std::byte> scratch;
  auto done = index_batch_keys(build({std::nullopt, std::nullopt}, 0), index, scratch);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->keyed_records, 0u);
  EXPECT_EQ(index.size(), 0u);
}

TEST(KeyIndexTest, CompressedBatchesAreDecompressedAndIndexed) {
  const Bytes plain = build({"a", "b", std::nullopt, "a"}, 40);
  for (Compression codec :
       {Compression::gzip, Compression::snappy, Compression::lz4, Compression::zstd}) {
    KeyIndex index;
    std::vector<std::byte> scratch;
    auto done = index_batch_keys(testing::compress_batch(plain, codec), index, scratch);
    ASSERT_TRUE(done.ok()) << done.error().to_string();
    EXPECT_TRUE(done->compressed);
    EXPECT_EQ(done->keyed_records, 3u);
    EXPECT_EQ(index.get(key_hash("a")), 43);
    EXPECT_EQ(index.get(key_hash("b")), 41);
    EXPECT_EQ(index.size(), 2u);
  }
}

TEST(KeyIndexTest, ACompressedStreamThatDoesNotDecodeIsCorruptionAndChangesNothing) {
  KeyIndex index;
  std::vector<std::byte> scratch;
  Bytes batch = build({"a", "b"}, 0);
  set_attributes(batch, static_cast<int16_t>(Compression::zstd));  // records left plain
  auto done = index_batch_keys(batch, index, scratch);
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.code(), Errc::corruption);
  EXPECT_EQ(index.size(), 0u);
}

TEST(KeyIndexTest, ControlBatchIsSkipped) {
  KeyIndex index;
  std::vector<std::byte> scratch;
  Bytes batch = build({"a"}, 0);
  set_attributes(batch, 0x20 | 0x10);
  auto done = index_batch_keys(batch, index, scratch);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->keyed_records, 0u);
  EXPECT_EQ(index.size(), 0u);
}

TEST(KeyIndexTest, MalformedRecordsAreCorruptionAndChangeNothing) {
  KeyIndex index;
  std::vector<std::byte> scratch;
  Bytes batch = build({"a", "b", "c"}, 0);
  // Claim one more record than the batch holds.
  store_be<int32_t>(batch.data() + kBatchHeaderBytes - 4, 4);
  auto done = index_batch_keys(batch, index, scratch);
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.code(), Errc::corruption);
  EXPECT_EQ(index.size(), 0u);

  Bytes short_header(10);
  EXPECT_FALSE(index_batch_keys(short_header, index, scratch).ok());
}

TEST(KeyIndexTest, KeyHashIsXxh3OfTheBytes) {
  std::string key = "order-17";
  EXPECT_EQ(key_hash(key), key_hash(std::as_bytes(std::span(key.data(), key.size()))));
  EXPECT_NE(key_hash("a"), key_hash("b"));
  // XXH3-64 of the empty input with seed 0 (the reference value of xxHash).
  EXPECT_EQ(key_hash(""), 0x2D06800538D394C2ull);
}

}  // namespace
}  // namespace sluice::partitions
