// EngineStats: what the engine measures about itself for the server's /metrics: the latency of
// group-commit fdatasync rounds (every partition, every shard) and the compactions of the
// internal topics. Each update is one relaxed
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

// The compaction of one internal topic (engine/internal_topic.h): its owner, the housekeeping
// thread, decides and updates; any thread reads the atomics (relaxed: statistics).
struct InternalCompaction {
  std::atomic<uint64_t> compactions{0};
  std::atomic<uint64_t> last_snapshot_bytes{0};
  // Owner only: the topic's bytes right after the last compaction (0: none since open), and a
  // cut whose segments could not all be deleted yet (not sealed): tried again at each check.
  uint64_t bytes_after = 0;
  int64_t pending_cut = -1;
};

struct EngineStats {
  LatencyBuckets fdatasync;               // one observation per group-commit round of a partition
  InternalCompaction offsets_compaction;  // __consumer_offsets
  InternalCompaction queue_state_compaction;  // __queue_state
};

}  // namespace sluice::engine
