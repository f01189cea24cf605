// PublishedSegments: the segment set a log publishes for readers, swapped by the owner when
// segments come or go (roll, retention, a dropped tail, close) and loaded by readers on any
// thread without a lock.
//
// Why not std::atomic<std::shared_ptr>: libstdc++ 12 implements it with a spin lock in the
// pointer word whose load unlocks with relaxed order, which ThreadSanitizer rightly reports as
// a race with the next store. Here, as for the tail chunks (chunk_slots.h), a reader pins the
// holder it found current (seq_cst), checks that it is still current (seq_cst), copies the
// shared_ptr and unpins (seq_cst); the owner changes a holder's set only when the holder is
// not current and its pin count, loaded after the swap (seq_cst), is zero. Holders are never
// freed before the object, so a reader never pins freed memory; the owner makes a new one
// when every spare holder is pinned (so at most one per reader in the middle of a load).
//
// Thread-safety: publish() and close() from the owner only; load() from any thread.
#pragma once

#include "partitions/segment_view.h"

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>

namespace sluice::partitions {

class PublishedSegments {
 public:
  PublishedSegments() = default;
  PublishedSegments(const PublishedSegments&) = delete;
  PublishedSegments& operator=(const PublishedSegments&) = delete;

  // Owner: makes `set` the current one, and drops the sets no reader holds any more.
  void publish(std::shared_ptr<const SegmentSet> set);
  // Owner: publishes nothing from now on (load() gives nullptr), waiting for the readers in
  // the middle of a load (each is one shared_ptr copy from done), and drops every set.
  void close();
  // Any thread: the current set (nullptr before the first publish and after close).
  std::shared_ptr<const SegmentSet> load() const;

 private:
  struct Holder {
    std::shared_ptr<const SegmentSet> set;  // changed only while not current and unpinned
    std::atomic<uint32_t> pins{0};
  };
  Holder* spare_holder();
  void drop_unheld_sets();

  std::atomic<Holder*> current_{nullptr};
  std::deque<std::unique_ptr<Holder>> holders_;  // owner only
};

}  // namespace sluice::partitions
