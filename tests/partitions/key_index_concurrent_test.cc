// One writer and several readers on one KeyIndex, as the shard and the query path use it.
// Meant to run under ThreadSanitizer too (tools/dev test).
#include "partitions/key_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace sluice::partitions {
namespace {

constexpr uint64_t kKeys = 4000;
constexpr int kRoundsMin = 50;
constexpr int kRoundsMax = 100000;
// The writer goes on past kRoundsMin until every reader made this many reads.
constexpr uint64_t kReadsMin = 200000;
constexpr int kReaders = 3;

// Key k's hashes are spread (and one of them is 0, the empty marker) so the table both fills
// and grows while readers probe it.
uint64_t hash_of(uint64_t key) {
  return key * 0x9E3779B97F4A7C15ull;  // key 0 -> hash 0
}

// Round r puts offset r * kKeys + k for the keys [0, keys_in_round(r)).
uint64_t keys_in_round(int round) {
  return std::min<uint64_t>(kKeys, static_cast<uint64_t>(round + 1) * kKeys / 4);
}

int64_t offset_of(int round, uint64_t key) {
  return static_cast<int64_t>(round) * static_cast<int64_t>(kKeys) + static_cast<int64_t>(key);
}

// Every key's offsets grow from round to round, and an offset names its key (offset % kKeys).
// New keys (and so growth) keep coming during the first rounds, while readers probe.
TEST(KeyIndexConcurrentTest, ReadersNeverSeeAnOffsetGoBackOrOneNeverPut) {
  KeyIndex index(16);
  std::atomic<bool> done{false};
  // Release by the writer after each round: readers that acquire it must then see at least
  // that round's offsets.
  std::atomic<int> rounds_done{0};
  // The writer starts once every reader runs, so that growth happens under reads.
  std::atomic<int> started{0};

  std::vector<std::thread> readers;
  std::vector<std::atomic<uint64_t>> reads(kReaders);  // relaxed counters
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&, r] {
      std::vector<int64_t> last(kKeys, -1);
      uint64_t key = static_cast<uint64_t>(r);
      started.fetch_add(1, std::memory_order_relaxed);
      // Acquire: pairs with the writer's release store of `done`.
      while (!done.load(std::memory_order_acquire)) {
        int finished = rounds_done.load(std::memory_order_acquire);
        for (int i = 0; i < 64; ++i) {
          key = (key * 7919 + 13) % kKeys;
          auto got = index.get(hash_of(key));
          reads[r].fetch_add(1, std::memory_order_relaxed);
          if (!got) {
            ASSERT_EQ(last[key], -1) << "key " << key << " vanished";
            continue;
          }
          ASSERT_EQ(static_cast<uint64_t>(*got) % kKeys, key) << "an offset never put";
          ASSERT_GE(*got, last[key]) << "key " << key << " went back";
          // Round `finished - 1` completed before this read began, so its offset of this
          // key (when the round covered the key) or a later one is visible.
          if (finished > 0 && key < keys_in_round(finished - 1)) {
            ASSERT_GE(*got, offset_of(finished - 1, key)) << "a finished round is missing";
          }
          last[key] = *got;
        }
      }
    });
  }

  while (started.load(std::memory_order_relaxed) < kReaders)
    std::this_thread::yield();
  auto readers_want_more = [&] {
    for (const auto& count : reads)
      if (count.load(std::memory_order_relaxed) < kReadsMin) return true;
    return false;
  };
  int round = 0;
  for (; round < kRoundsMin || (round < kRoundsMax && readers_want_more()); ++round) {
    for (uint64_t k = 0; k < keys_in_round(round); ++k)
      index.put(hash_of(k), offset_of(round, k));
    // Release: publishes this round's puts to readers that acquire rounds_done.
    rounds_done.store(round + 1, std::memory_order_release);
  }
  done.store(true, std::memory_order_release);
  for (auto& reader : readers)
    reader.join();

  EXPECT_EQ(index.size(), kKeys);
  for (uint64_t k = 0; k < kKeys; ++k)
    EXPECT_EQ(index.get(hash_of(k)), offset_of(round - 1, k));
  for (int r = 0; r < kReaders; ++r)
    EXPECT_GT(reads[r].load(), 0u);
}

// Every put is a new key, so the table grows from 16 slots to millions while readers look up
// keys the writer has announced: each must be there, with exactly its offset.
TEST(KeyIndexConcurrentTest, GrowthUnderReadsLosesNoKey) {
  constexpr uint64_t kNewKeys = 1u << 18;
  KeyIndex index(16);
  // Release by the writer after each put: keys [0, published) are in the index.
  std::atomic<uint64_t> published{0};
  std::atomic<int> started{0};
  std::vector<std::thread> readers;
  std::vector<uint64_t> found(kReaders, 0);
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&, r] {
      started.fetch_add(1, std::memory_order_relaxed);
      uint64_t seed = static_cast<uint64_t>(r) + 1;
      for (;;) {
        // Acquire: pairs with the writer's release of `published`.
        uint64_t upto = published.load(std::memory_order_acquire);
        if (upto == kNewKeys) break;
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t key = upto == 0 ? 0 : (seed >> 20) % upto;
        auto got = index.get(hash_of(key + 1));
        if (upto == 0) continue;
        ASSERT_TRUE(got.has_value()) << "key " << key << " lost while the index grew";
        ASSERT_EQ(*got, static_cast<int64_t>(key));
        ++found[r];
        // A key past what was announced is either absent or right.
        auto ahead = index.get(hash_of(upto + 1));
        if (ahead) {
          ASSERT_EQ(*ahead, static_cast<int64_t>(upto));
        }
      }
    });
  }
  while (started.load(std::memory_order_relaxed) < kReaders)
    std::this_thread::yield();
  for (uint64_t k = 0; k < kNewKeys; ++k) {
    index.put(hash_of(k + 1), static_cast<int64_t>(k));
    // Release: publishes the put above to readers that acquire `published`.
    published.store(k + 1, std::memory_order_release);
  }
  for (auto& reader : readers)
    reader.join();
  EXPECT_EQ(index.size(), kNewKeys);
  EXPECT_GE(index.capacity(), kNewKeys * 4 / 3);
  for (int r = 0; r < kReaders; ++r)
    EXPECT_GT(found[r], 0u);
}

}  // namespace
}  // namespace sluice::partitions
