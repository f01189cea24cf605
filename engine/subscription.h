// Subscription: one consumer member's view of one partition, registered with the shard that
// owns the partition. After each append the shard pushes the new offset range into the
// subscription's ring and rings the consumer's doorbell, so a caught-up consumer learns of new
// events without polling every partition; it then copies them from the partition's in-memory
// tail through the LogReader (no disk read, no wait for the shard).
//
// The ring is bounded: when it is full the shard drops the notice and sets `overflowed`, and
// the consumer reads from its own position as usual. A slow or stalled consumer costs the
// shard nothing and never makes memory grow.
//
// Thread-safety: the shard thread pushes, the consumer's thread pops (single producer, single
// consumer). Registered and removed through the shard's control queue.
#pragma once

#include "engine/doorbell.h"

#include <boost/lockfree/spsc_queue.hpp>

#include <atomic>
#include <cstdint>

namespace sluice::engine {

struct TailNotice {
  int64_t first_offset = 0;
  int64_t next_offset = 0;  // the partition's high watermark after the append
};

class Subscription {
 public:
  explicit Subscription(Doorbell* bell) : bell_(bell) {}

  // Shard thread.
  void notify(const TailNotice& notice) {
    if (!ring_.push(notice)) overflowed_.store(true, std::memory_order_relaxed);
    bell_->ring();
  }

  // Consumer thread: the highest next_offset announced since the last call (-1 when none).
  int64_t take_latest() {
    int64_t latest = -1;
    ring_.consume_all([&](const TailNotice& notice) { latest = notice.next_offset; });
    if (overflowed_.exchange(false, std::memory_order_relaxed)) latest = INT64_MAX;
    return latest;
  }
  bool pending() const { return ring_.read_available() > 0; }

 private:
  Doorbell* bell_;
  boost::lockfree::spsc_queue<TailNotice, boost::lockfree::capacity<256>> ring_;
  // A notice was dropped: the consumer must check the partition itself.
  std::atomic<bool> overflowed_{false};
};

}  // namespace sluice::engine
