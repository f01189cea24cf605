// GrowingArray<T>: an append-only array that one thread (the owner) appends to while any thread
// reads the prefix published so far. Entries live in blocks that double in size (64, 128, 256,
// ... entries) and are never moved, rewritten or freed before the array is, so a reader may
// binary-search the prefix while the owner appends behind it.
//
// Thread-safety: push_back() from the owner only. size() and operator[] from any thread; the
// reader loads size() once (acquire) and reads only entries below it. T must be trivially
// copyable: an entry is written once, before the count that covers it is published.
#pragma once

#include "io/assert.h"

#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>

namespace sluice::partitions {

template <typename T>
class GrowingArray {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  GrowingArray() = default;
  GrowingArray(const GrowingArray&) = delete;
  GrowingArray& operator=(const GrowingArray&) = delete;

  // Owner only.
  void push_back(const T& value) {
    // Relaxed: only the owner writes the count, so it reads its own last store.
    const size_t i = count_.load(std::memory_order_relaxed);
    const Place place = locate(i);
    SLUICE_ASSERT(place.block < kBlocks);
    if (place.within == 0 && blocks_[place.block] == nullptr) {
      blocks_[place.block] = std::make_unique<T[]>(block_size(place.block));
    }
    blocks_[place.block][place.within] = value;
    // Release: the entry (and its block pointer) are written before a reader can see the count
    // that covers them.
    count_.store(i + 1, std::memory_order_release);
  }

  // Any thread: the published count (acquire: the entries below it are visible).
  size_t size() const { return count_.load(std::memory_order_acquire); }

  // Any thread, for i below a size() the caller loaded.
  const T& operator[](size_t i) const {
    const Place place = locate(i);
    return blocks_[place.block][place.within];
  }

  // The number of leading entries among the first n for which below(entry) holds; below must be
  // true for a prefix and false after it (as for std::partition_point).
  template <typename Below>
  size_t partition_point(size_t n, Below&& below) const {
    size_t low = 0;
    size_t high = n;
    while (low < high) {
      const size_t mid = low + (high - low) / 2;
      if (below((*this)[mid])) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    return low;
  }

 private:
  static constexpr size_t kFirstBlock = 64;
  static constexpr size_t kBlocks = 40;  // 64 * (2^40 - 1) entries: never the limit

  struct Place {
    size_t block;
    size_t within;
  };
  static size_t block_size(size_t block) { return kFirstBlock << block; }
  // Block k holds entries [64 * (2^k - 1), 64 * (2^(k+1) - 1)).
  static Place locate(size_t i) {
    const size_t block = static_cast<size_t>(std::bit_width(i / kFirstBlock + 1)) - 1;
    return {block, i - kFirstBlock * ((size_t{1} << block) - 1)};
  }

  // Written by the owner before the count that first covers each block is released.
  std::array<std::unique_ptr<T[]>, kBlocks> blocks_{};
  std::atomic<size_t> count_{0};
};

}  // namespace sluice::partitions
