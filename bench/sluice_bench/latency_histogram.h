// LatencyHistogram: a fixed-size log-linear histogram of non-negative integer values
// (nanoseconds, here), in the manner of HdrHistogram. Values below 2 * 128 are counted exactly;
// above, each power of two is split into 128 equal buckets, so a reported percentile is at
// most 1/128 (0.8 %) above the true value. All buckets are allocated at construction (about
// 60 KiB), so recording never allocates and costs a few instructions.
//
// Header-only so that tests can include it without linking the benchmark.
// Thread-safety: a plain value, owned by one thread.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace sluice::bench {

class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 7;
  static constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBucketBits;
  // Octaves above the exact range: 64 - kSubBucketBits, kSubBuckets buckets each.
  static constexpr size_t kBucketCount = (64 - kSubBucketBits + 1) * kSubBuckets;

  LatencyHistogram() : counts_(kBucketCount, 0) {}

  void record(uint64_t value) {
    ++counts_[bucket_of(value)];
    ++count_;
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }

  // The smallest bucket bound such that at least `percent` % of the values are at or below it
  // (the highest value the bucket holds, never above the maximum recorded). 0 when empty.
  uint64_t percentile(double percent) const {
    if (count_ == 0) return 0;
    // The rank of the value asked for, 1-based; the small tolerance keeps 99.9 % of 10000 at
    // 9990 although 0.999 * 10000 is a hair above it in binary floating point.
    const double exact = std::clamp(percent, 0.0, 100.0) / 100.0 * static_cast<double>(count_);
    const uint64_t rank =
        std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(exact - 1e-9 * exact)));
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(bucket_high(i), max_);
    }
    return max_;
  }

  void merge(const LatencyHistogram& other) {
    for (size_t i = 0; i < counts_.size(); ++i)
      counts_[i] += other.counts_[i];
    count_ += other.count_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }

  // Values v < 2 * kSubBuckets map to bucket v. Above, with e = floor(log2 v) and
  // shift = e - kSubBucketBits, the bucket is shift * kSubBuckets + (v >> shift), where
  // v >> shift lies in [kSubBuckets, 2 * kSubBuckets): the buckets continue without a gap.
  static size_t bucket_of(uint64_t value) {
    if (value < 2 * kSubBuckets) return static_cast<size_t>(value);
    const int shift = std::bit_width(value) - 1 - kSubBucketBits;
    return static_cast<size_t>(static_cast<uint64_t>(shift) * kSubBuckets + (value >> shift));
  }

  // The highest value that maps to `bucket`.
  static uint64_t bucket_high(size_t bucket) {
    if (bucket < 2 * kSubBuckets) return bucket;
    const uint64_t shift = bucket / kSubBuckets - 1;
    const uint64_t sub = bucket % kSubBuckets + kSubBuckets;
    const uint64_t low = sub << shift;
    const uint64_t width = uint64_t{1} << shift;
    return low > std::numeric_limits<uint64_t>::max() - (width - 1)
               ? std::numeric_limits<uint64_t>::max()
               : low + (width - 1);
  }

 private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t min_ = std::numeric_limits<uint64_t>::max();
  uint64_t max_ = 0;
};

}  // namespace sluice::bench
