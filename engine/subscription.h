// Subscription: one consumer member's view of one partition, registered with the shard that
// owns the partition. After each append the shard pushes the new offset range into the
// subscription's ring and rings the consumer's doorbell, so a caught-up consumer learns of new
// events without polling every partition; it then copies them from the partition's in-memory
// tail through the LogReader (no disk read, no wait for the shard).
//
// The ring is bounded: when it is full the shard drops the notice, and the consumer reads from
// its own position as usual (the high watermark, not the notices, says what there is to read).
// A slow or stalled consumer costs the shard nothing and never makes memory grow.
//
// A subscription made with a TailListener (callback delivery, engine/callback_delivery.h)
// has no ring and no doorbell: notify() calls the listener on the shard thread instead.
//
// Thread-safety: the shard thread pushes, the consumer's thread pops (single producer, single
// consumer). Registered and removed through the shard's control queue.
#pragma once

#include "engine/doorbell.h"

#include <boost/lockfree/spsc_queue.hpp>

#include <cstdint>

namespace sluice::engine {

struct TailNotice {
  int64_t first_offset = 0;
  int64_t next_offset = 0;  // the partition's high watermark after the append
};

// Called on the shard thread after each append to the partition.
class TailListener {
 public:
  virtual void on_tail(const TailNotice& notice) = 0;

 protected:
  ~TailListener() = default;
};

class Subscription {
 public:
  explicit Subscription(Doorbell* bell) : bell_(bell) {}
  explicit Subscription(TailListener* listener) : listener_(listener) {}

  // Shard thread.
  void notify(const TailNotice& notice) {
    if (listener_ != nullptr) {
      listener_->on_tail(notice);
      return;
    }
    (void)ring_.push(notice);  // a full ring already wakes the consumer
    bell_->ring();
  }

  // Consumer thread: forgets the notices seen so far; pending() until the next notify().
  void drain() {
    ring_.consume_all([](const TailNotice&) {});
  }
  bool pending() const { return ring_.read_available() > 0; }

 private:
  Doorbell* bell_ = nullptr;
  TailListener* listener_ = nullptr;
  boost::lockfree::spsc_queue<TailNotice, boost::lockfree::capacity<256>> ring_;
};

}  // namespace sluice::engine
