#include "partitions/chunk_pool.h"

#include "io/assert.h"
#include "io/file_system.h"

#include <algorithm>
#include <cstdlib>
#include <thread>

namespace sluice::partitions {

ChunkPool::ChunkPool(std::shared_ptr<ChunkSlots> slots) : slots_(std::move(slots)) {
  SLUICE_ASSERT(slots_ != nullptr);
  SLUICE_ASSERT(slots_->chunk_bytes() % io::kDirectIoAlignment == 0);
  SLUICE_ASSERT(slots_->count() >= 2);
  free_.reserve(slots_->count());
  parked_.reserve(slots_->count());
}

ChunkPool::~ChunkPool() {
  close();
}

std::optional<Chunk> ChunkPool::acquire() {
  reclaim();
  if (free_.empty() && allocated_ < slots_->count()) {
    void* memory = std::aligned_alloc(io::kDirectIoAlignment, chunk_bytes());
    SLUICE_ASSERT_MSG(memory != nullptr, "out of memory for the tail cache");
    // Relaxed: published to readers by the release of the chunk's first odd generation.
    ChunkSlot& slot = slots_->slot(allocated_);
    slot.data.store(static_cast<std::byte*>(memory), std::memory_order_relaxed);
    slot.index.store(new ChunkIndexEntry[slots_->index_capacity()], std::memory_order_relaxed);
    free_.push_back(allocated_++);
  }
  if (free_.empty()) return std::nullopt;
  const uint32_t slot = free_.back();
  free_.pop_back();
  ChunkSlot& s = slots_->slot(slot);
  // Relaxed: the owner reads its own store.
  SLUICE_ASSERT(!generation_valid(s.generation.load(std::memory_order_relaxed)));
  return Chunk{s.data.load(std::memory_order_relaxed), 0, slot};
}

void ChunkPool::publish(const Chunk& chunk, int64_t segment_base) {
  ChunkSlot& slot = slots_->slot(chunk.slot);
  // Relaxed: only the owner writes the generation.
  const uint64_t generation = slot.generation.load(std::memory_order_relaxed);
  SLUICE_ASSERT(!generation_valid(generation));
  SLUICE_ASSERT(slot.data.load(std::memory_order_relaxed) == chunk.data);
  // Relaxed: the release below publishes them.
  slot.segment_base.store(segment_base, std::memory_order_relaxed);
  slot.file_pos.store(chunk.file_pos, std::memory_order_relaxed);
  // Release: the fields above and the chunk's bytes are visible to a reader that loads this.
  slot.generation.store(generation + 1, std::memory_order_release);
  slots_->set_latest(chunk.slot);
}

bool ChunkPool::hide(const Chunk& chunk) {
  ChunkSlot& slot = slots_->slot(chunk.slot);
  const uint64_t generation = slot.generation.load(std::memory_order_relaxed);
  if (generation_valid(generation)) {
    // Seq_cst: a reader that pins after this store sees it (chunk_slots.h).
    slot.generation.store(generation + 1, std::memory_order_seq_cst);
  }
  // Seq_cst (so also acquire): sees the pin of a reader that may still use the chunk; zero
  // means every copy made under a pin happened before this load.
  return slots_->pins(chunk.slot).load(std::memory_order_seq_cst) == 0;
}

void ChunkPool::republish(const Chunk& chunk) {
  publish(chunk, slots_->slot(chunk.slot).segment_base.load(std::memory_order_relaxed));
}

void ChunkPool::index_batch(const Chunk& chunk, int64_t offset, uint64_t position) {
  ChunkSlot& slot = slots_->slot(chunk.slot);
  SLUICE_ASSERT(position >= chunk.file_pos && position - chunk.file_pos < chunk_bytes());
  // Relaxed: the owner reads its own stores.
  const uint32_t count = slot.index_count.load(std::memory_order_relaxed);
  ChunkIndexEntry* entries = slot.index.load(std::memory_order_relaxed);
  if (count > 0) {
    const ChunkIndexEntry& last = entries[count - 1];
    SLUICE_ASSERT(offset > last.offset && position > last.position);
    if (position - last.position < kChunkIndexIntervalBytes) return;
  }
  SLUICE_ASSERT(count < slots_->index_capacity());
  entries[count] = {offset, position};
  // Release: the entry is written before a reader that loads the count reads it.
  slot.index_count.store(count + 1, std::memory_order_release);
}

void ChunkPool::truncate_index(const Chunk& chunk, uint64_t position) {
  ChunkSlot& slot = slots_->slot(chunk.slot);
  SLUICE_ASSERT(!generation_valid(slot.generation.load(std::memory_order_relaxed)));
  uint32_t count = slot.index_count.load(std::memory_order_relaxed);
  const ChunkIndexEntry* entries = slot.index.load(std::memory_order_relaxed);
  while (count > 0 && entries[count - 1].position >= position)
    --count;
  // Relaxed: no reader holds the chunk; republish() releases it.
  slot.index_count.store(count, std::memory_order_relaxed);
}

void ChunkPool::retire(const Chunk& chunk) {
  SLUICE_ASSERT(chunk.slot < allocated_);
  if (hide(chunk)) {
    free_chunk(chunk.slot);
  } else {
    parked_.push_back(chunk.slot);
  }
}

void ChunkPool::free_chunk(uint32_t slot) {
  ChunkSlot& s = slots_->slot(slot);
  // Relaxed: hidden and unheld; publish() releases the chunk again.
  s.index_count.store(0, std::memory_order_relaxed);
  SLUICE_ASSERT(free_.size() < allocated_);
  free_.push_back(slot);
}

// Frees the parked chunks that no reader holds any more.
void ChunkPool::reclaim() {
  for (size_t i = 0; i < parked_.size();) {
    // Seq_cst: as in hide(); the chunk was hidden before it was parked.
    if (slots_->pins(parked_[i]).load(std::memory_order_seq_cst) == 0) {
      free_chunk(parked_[i]);
      parked_[i] = parked_.back();
      parked_.pop_back();
    } else {
      ++i;
    }
  }
}

uint32_t ChunkPool::free_count() {
  reclaim();
  return static_cast<uint32_t>(free_.size()) + (slots_->count() - allocated_);
}

void ChunkPool::close() {
  for (uint32_t i = 0; i < allocated_; ++i) {
    Chunk chunk{nullptr, 0, i};
    // A reader holds a chunk for one copy of at most a batch: yield until it is done.
    while (!hide(chunk))
      std::this_thread::yield();
    ChunkSlot& slot = slots_->slot(i);
    std::free(slot.data.load(std::memory_order_relaxed));
    delete[] slot.index.load(std::memory_order_relaxed);
    // Relaxed: no reader can pin the slot any more (its generation is even for good).
    slot.data.store(nullptr, std::memory_order_relaxed);
    slot.index.store(nullptr, std::memory_order_relaxed);
    slot.index_count.store(0, std::memory_order_relaxed);
  }
  allocated_ = 0;
  free_.clear();
  parked_.clear();
}

}  // namespace sluice::partitions
