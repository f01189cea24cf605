// CallbackDelivery: callback delivery (ConsumerOptions::on_events, include/sluice/consumer.h)
// of one assigned partition, carried out by the shard that owns the partition.
//
// Registered as the TailListener of the partition's Subscription, it reads the events the
// append just published through the LogReader (from the in-memory tail) and calls on_events
// right there, on the shard thread: the events reach the application without a hand-off to
// another thread. A partition that is behind its tail (a new assignment starting at the
// committed offset, a seek, a burst larger than one read) is read max_bytes at a time, one read
// per task the shard runs between its other work, until it is caught up; appends made while it
// catches up wait for those tasks instead of being delivered out of order.
//
// The position moves past a call's events after the call returns (release), so a commit read
// from the consumer's thread (acquire) never covers an event whose call has not returned.
// A read, decode or callback failure stops the delivery of the partition and is kept for the
// consumer's poll(); seek() starts it again.
//
// Thread-safety: start(), on_tail(), stop() and seek() on the owning shard's thread (the
// consumer calls them through Shard::run); position(), error_pending() and take_error() from
// any thread. Pending catch-up tasks hold a shared_ptr, so the object outlives them; after
// stop() they do nothing and on_events is never called again.
#pragma once

#include "engine/doorbell.h"
#include "engine/subscription.h"
#include "engine/topic.h"

#include <sluice/consumer.h>
#include <sluice/event.h>
#include <sluice/result.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace sluice::engine {

class Shard;

class CallbackDelivery final : public TailListener,
                               public std::enable_shared_from_this<CallbackDelivery> {
 public:
  struct Plan {
    std::shared_ptr<PartitionSlot> slot;
    Shard* shard = nullptr;                     // the owner of slot
    const EventsCallback* on_events = nullptr;  // the consumer's; called until stop()
    Doorbell* bell = nullptr;                   // rung when an error waits for poll()
    OffsetReset reset = OffsetReset::earliest;  // where to go on when retention passed us
    uint32_t max_events = 500;                  // per call
    uint64_t max_bytes = 1u << 20;              // per read
    int64_t position = 0;                       // the first offset to deliver
  };

  explicit CallbackDelivery(Plan plan);

  // ---- Shard thread ----
  // Delivers what is already there (called once the subscription is registered).
  void start() { deliver(); }
  void on_tail(const TailNotice& notice) override;
  // No call of on_events after this returns.
  void stop() { stopped_ = true; }
  // Moves the position (and resumes a delivery an error stopped).
  void seek(int64_t position);

  // ---- Any thread ----
  // The next offset to deliver: every event before it went through a call that returned.
  int64_t position() const { return position_.load(std::memory_order_acquire); }
  bool error_pending() const { return error_pending_.load(std::memory_order_acquire); }
  // The error that stopped the delivery, once.
  std::optional<Error> take_error();

 private:
  // One read of at most max_bytes from the position and one call of on_events; posts a
  // catch-up task when the partition is still behind its tail afterwards.
  void deliver();
  void catch_up_later();
  void fail(Error error);

  Plan plan_;
  // Shard thread.
  bool stopped_ = false;
  bool failed_ = false;
  bool catch_up_posted_ = false;
  std::vector<std::byte> buffer_;
  std::vector<Record> records_;

  std::atomic<int64_t> position_;
  std::atomic<bool> error_pending_{false};
  std::mutex error_mutex_;
  std::optional<Error> error_;  // under error_mutex_
};

}  // namespace sluice::engine
