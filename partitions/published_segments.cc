#include "partitions/published_segments.h"

#include "io/assert.h"

#include <thread>

namespace sluice::partitions {

std::shared_ptr<const SegmentSet> PublishedSegments::load() const {
  for (;;) {
    // Seq_cst, here and below: ordered against the owner's swap and pin check.
    Holder* holder = current_.load(std::memory_order_seq_cst);
    if (holder == nullptr) return nullptr;
    holder->pins.fetch_add(1, std::memory_order_seq_cst);
    // Still current after the pin: the owner cannot change its set until the pin goes, and
    // the set written before it became current (a seq_cst store) is visible.
    if (current_.load(std::memory_order_seq_cst) == holder) {
      std::shared_ptr<const SegmentSet> set = holder->set;
      holder->pins.fetch_sub(1, std::memory_order_seq_cst);
      return set;
    }
    // Swapped meanwhile (a roll or retention): try the new one.
    holder->pins.fetch_sub(1, std::memory_order_seq_cst);
  }
}

// A holder that is not current and that no reader holds; a new one when there is none.
PublishedSegments::Holder* PublishedSegments::spare_holder() {
  // Relaxed: the owner is the only writer of current_.
  const Holder* current = current_.load(std::memory_order_relaxed);
  for (auto& holder : holders_) {
    // Seq_cst: after the store that made it not current (chunk_slots.h explains the pairing).
    if (holder.get() != current && holder->pins.load(std::memory_order_seq_cst) == 0) {
      return holder.get();
    }
  }
  holders_.push_back(std::make_unique<Holder>());
  return holders_.back().get();
}

void PublishedSegments::drop_unheld_sets() {
  const Holder* current = current_.load(std::memory_order_relaxed);
  for (auto& holder : holders_) {
    if (holder.get() != current && holder->pins.load(std::memory_order_seq_cst) == 0) {
      holder->set.reset();
    }
  }
}

void PublishedSegments::publish(std::shared_ptr<const SegmentSet> set) {
  SLUICE_ASSERT(set != nullptr);
  Holder* holder = spare_holder();
  holder->set = std::move(set);
  // Seq_cst (so also release): the set is in place before a reader finds the holder.
  current_.store(holder, std::memory_order_seq_cst);
  // Older sets keep their segments' files open: let them go once no reader holds them.
  drop_unheld_sets();
}

void PublishedSegments::close() {
  current_.store(nullptr, std::memory_order_seq_cst);
  for (auto& holder : holders_) {
    while (holder->pins.load(std::memory_order_seq_cst) != 0)
      std::this_thread::yield();
    holder->set.reset();
  }
}

}  // namespace sluice::partitions
