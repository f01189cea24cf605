// GrowingArray: entries stay where they were written while the array grows, and a reader on
// another thread sees a consistent prefix.
#include "partitions/growing_array.h"

#include <gtest/gtest.h>

#include <thread>

namespace sluice::partitions {
namespace {

struct Entry {
  int64_t key = 0;
  int64_t twice = 0;
};

TEST(GrowingArrayTest, EntriesNeverMove) {
  GrowingArray<Entry> array;
  EXPECT_EQ(array.size(), 0u);
  array.push_back({0, 0});
  const Entry* first = &array[0];
  for (int64_t i = 1; i < 100'000; ++i)
    array.push_back({i, 2 * i});
  EXPECT_EQ(array.size(), 100'000u);
  EXPECT_EQ(&array[0], first);
  for (int64_t i : {1, 63, 64, 65, 191, 192, 99'999})
    EXPECT_EQ(array[static_cast<size_t>(i)].twice, 2 * i);
  auto below = [](int64_t key) { return [key](const Entry& e) { return e.key < key; }; };
  EXPECT_EQ(array.partition_point(array.size(), below(0)), 0u);
  EXPECT_EQ(array.partition_point(array.size(), below(777)), 777u);
  EXPECT_EQ(array.partition_point(array.size(), below(1'000'000)), 100'000u);
  EXPECT_EQ(array.partition_point(10, below(777)), 10u);
}

TEST(GrowingArrayTest, AReaderSeesAConsistentPrefixWhileItGrows) {
  GrowingArray<Entry> array;
  constexpr int64_t kCount = 200'000;
  std::thread reader([&] {
    size_t seen = 0;
    while (seen < kCount) {
      const size_t n = array.size();
      ASSERT_GE(n, seen);
      if (n > 0) {
        const Entry& last = array[n - 1];
        ASSERT_EQ(last.twice, 2 * last.key);
        ASSERT_EQ(last.key, static_cast<int64_t>(n - 1));
        ASSERT_EQ(array.partition_point(n, [](const Entry& e) { return e.key < 5000; }),
                  std::min<size_t>(n, 5000));
      }
      seen = n;
    }
  });
  for (int64_t i = 0; i < kCount; ++i)
    array.push_back({i, 2 * i});
  reader.join();
}

}  // namespace
}  // namespace sluice::partitions
