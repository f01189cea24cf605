#include "partitions/chunk_pin.h"

#include "io/assert.h"

namespace sluice::partitions {

// Whether slot i looks like it holds byte `pos` of the segment: a first filter, without a pin.
bool ChunkPin::describes(uint32_t i, int64_t segment_base, uint64_t pos) const {
  const ChunkSlot& slot = slots_.slot(i);
  // Acquire: pairs with the owner's release of an odd generation, after the fields below.
  if (!generation_valid(slot.generation.load(std::memory_order_acquire))) return false;
  // Relaxed: a hint only; try_pin checks again under the pin.
  if (slot.segment_base.load(std::memory_order_relaxed) != segment_base) return false;
  const uint64_t file_pos = slot.file_pos.load(std::memory_order_relaxed);
  return pos >= file_pos && pos - file_pos < slots_.chunk_bytes();
}

bool ChunkPin::try_pin(uint32_t i, int64_t segment_base, uint64_t pos) {
  const ChunkSlot& slot = slots_.slot(i);
  std::atomic<uint32_t>& pins = slots_.pins(i);
  // Seq_cst: ordered against the owner's invalidation (store) and pin check (load).
  pins.fetch_add(1, std::memory_order_seq_cst);
  // Seq_cst (so also acquire): an odd generation read here cannot be invalidated and reused
  // until the pin goes, and the fields written before it was released are visible.
  const uint64_t generation = slot.generation.load(std::memory_order_seq_cst);
  // Relaxed: stable while pinned under an odd generation (see above).
  const int64_t base = slot.segment_base.load(std::memory_order_relaxed);
  const uint64_t file_pos = slot.file_pos.load(std::memory_order_relaxed);
  if (!generation_valid(generation) || base != segment_base || pos < file_pos ||
      pos - file_pos >= slots_.chunk_bytes()) {
    // Seq_cst: see release().
    pins.fetch_sub(1, std::memory_order_seq_cst);
    return false;
  }
  slot_ = i;
  segment_base_ = base;
  file_pos_ = file_pos;
  data_ = slot.data.load(std::memory_order_relaxed);
  SLUICE_ASSERT(data_ != nullptr);
  return true;
}

bool ChunkPin::hold(int64_t segment_base, uint64_t pos) {
  if (held() && segment_base == segment_base_ && pos >= file_pos_ && pos < end()) return true;
  release();
  const uint32_t count = slots_.count();
  const uint32_t start = slots_.latest() % count;
  // From the latest chunk backwards: reads at the tail find theirs in a step or two.
  for (uint32_t step = 0; step < count; ++step) {
    const uint32_t i = (start + count - step) % count;
    if (describes(i, segment_base, pos) && try_pin(i, segment_base, pos)) return true;
  }
  return false;
}

void ChunkPin::release() {
  if (!held()) return;
  // Seq_cst (a release, and one modification order with the pins of other readers): the
  // copies made under the pin happen before the owner's reuse, which loads the count first.
  slots_.pins(slot_).fetch_sub(1, std::memory_order_seq_cst);
  slot_ = kNone;
  data_ = nullptr;
}

ChunkIndexEntry ChunkPin::index_lookup(int64_t offset) const {
  SLUICE_ASSERT(held());
  const ChunkSlot& slot = slots_.slot(slot_);
  // Acquire, under the pin: the entries below the count are written.
  const uint32_t count = slot.index_count.load(std::memory_order_acquire);
  const ChunkIndexEntry* entries = slot.index.load(std::memory_order_relaxed);
  uint32_t low = 0;
  uint32_t high = count;
  while (low < high) {
    const uint32_t mid = low + (high - low) / 2;
    if (entries[mid].offset <= offset) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  return low == 0 ? ChunkIndexEntry{} : entries[low - 1];
}

uint64_t ChunkPin::next_chunk_after(int64_t segment_base, uint64_t pos) const {
  uint64_t next = std::numeric_limits<uint64_t>::max();
  for (uint32_t i = 0; i < slots_.count(); ++i) {
    const ChunkSlot& slot = slots_.slot(i);
    // Acquire and relaxed as in describes(): a hint.
    if (!generation_valid(slot.generation.load(std::memory_order_acquire))) continue;
    if (slot.segment_base.load(std::memory_order_relaxed) != segment_base) continue;
    const uint64_t file_pos = slot.file_pos.load(std::memory_order_relaxed);
    if (file_pos > pos && file_pos < next) next = file_pos;
  }
  return next;
}

}  // namespace sluice::partitions
