// LatencyHistogram (bench/sluice_bench): bucket layout and percentiles.
#include "bench/sluice_bench/latency_histogram.h"

#include <gtest/gtest.h>

#include <random>

namespace sluice::bench {
namespace {

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 100; ++v)
    h.record(v);
  EXPECT_EQ(h.count(), 100u);
  EXPECT_EQ(h.percentile(50), 50u);
  EXPECT_EQ(h.percentile(99), 99u);
  EXPECT_EQ(h.percentile(100), 100u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 100u);
}

TEST(LatencyHistogramTest, BucketsAreContiguousAndBounded) {
  for (size_t bucket = 1; bucket < LatencyHistogram::kBucketCount; ++bucket) {
    const uint64_t high = LatencyHistogram::bucket_high(bucket - 1);
    ASSERT_EQ(LatencyHistogram::bucket_of(high), bucket - 1);
    ASSERT_EQ(LatencyHistogram::bucket_of(high + 1), bucket) << bucket;
  }
  EXPECT_EQ(LatencyHistogram::bucket_of(UINT64_MAX), LatencyHistogram::kBucketCount - 1);
}

TEST(LatencyHistogramTest, LargeValuesWithinOnePercent) {
  LatencyHistogram h;
  std::mt19937_64 rng(7);
  std::vector<uint64_t> values;
  for (int i = 0; i < 100000; ++i) {
    values.push_back(1000 + rng() % 10'000'000);
    h.record(values.back());
  }
  std::sort(values.begin(), values.end());
  for (double p : {50.0, 99.0, 99.9, 99.99}) {
    const uint64_t exact = values[static_cast<size_t>(p / 100 * values.size()) - 1];
    const uint64_t reported = h.percentile(p);
    EXPECT_GE(reported, exact) << p;
    EXPECT_LE(static_cast<double>(reported), exact * 1.01) << p;
  }
  EXPECT_EQ(h.percentile(100), values.back());
}

TEST(LatencyHistogramTest, TailOutlierShowsInHighPercentiles) {
  LatencyHistogram h;
  for (int i = 0; i < 9990; ++i)
    h.record(1000);
  for (int i = 0; i < 10; ++i)
    h.record(5'000'000);
  // 1000 falls in a bucket 4 wide: the bucket's highest value, 1003, is reported.
  EXPECT_EQ(h.percentile(99), LatencyHistogram::bucket_high(LatencyHistogram::bucket_of(1000)));
  EXPECT_EQ(h.percentile(99.9), h.percentile(50));
  EXPECT_LE(h.percentile(99.9), 1010u);
  EXPECT_GE(h.percentile(99.99), 5'000'000u);
  EXPECT_EQ(h.max(), 5'000'000u);
}

TEST(LatencyHistogramTest, EmptyAndMerge) {
  LatencyHistogram a;
  EXPECT_EQ(a.percentile(50), 0u);
  EXPECT_EQ(a.min(), 0u);
  LatencyHistogram b;
  a.record(10);
  b.record(20);
  a.merge(b);
  EXPECT_EQ(a.count(), 2u);
  EXPECT_EQ(a.percentile(100), 20u);
  EXPECT_EQ(a.min(), 10u);
}

}  // namespace
}  // namespace sluice::bench
