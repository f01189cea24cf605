// EngineStats: what the engine measures about itself for the server's /metrics: the latency of
// group-commit fdatasync rounds (every partition, every shard). Each update is one relaxed
// atomic add: a count, publishing nothing.
//
// Thread-safety: record from any thread (shards), read from any thread.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace sluice::engine {

// Microsecond latencies in power-of-two buckets: bucket i counts values <= 2^i us (the last
// one everything above).
class LatencyBuckets {
 public:
  static constexpr size_t kBuckets = 27;
  void observe_us(uint64_t us) {
    const size_t i = us <= 1 ? 0 : std::min<size_t>(std::bit_width(us - 1), kBuckets - 1);
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    sum_us_.fetch_add(us, std::memory_order_relaxed);
  }
  uint64_t bucket(size_t i) const { return buckets_[i].load(std::memory_order_relaxed); }
  static uint64_t bucket_bound_us(size_t i) { return uint64_t{1} << i; }
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  uint64_t sum_us() const { return sum_us_.load(std::memory_order_relaxed); }

 private:
  std::array<std::atomic<uint64_t>, kBuckets> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_us_{0};
};

struct EngineStats {
  LatencyBuckets fdatasync;  // one observation per group-commit round of a partition
};

}  // namespace sluice::engine
