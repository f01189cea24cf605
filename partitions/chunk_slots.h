// ChunkSlots: the table through which other threads find and read a partition's tail chunks.
// Slot i describes chunk i of the ChunkPool: which segment bytes it holds, under a generation,
// and how many readers have it pinned.
//
// The protocol (readers pin, the owner checks pins before reuse):
// - The owner publishes a chunk by writing its segment base and file position, then storing an
//   odd generation (release). Before it reuses or rewrites the chunk's published bytes it
//   stores the next, even generation (seq_cst) and then loads the pin count (seq_cst): only a
//   zero count lets it touch the memory; otherwise it tries again later, never waiting.
// - A reader (ChunkPin) increments the pin count (seq_cst), then loads the generation
//   (seq_cst): when it is odd and the slot still describes the bytes it wants, the memory
//   stays as it is until the reader decrements the pin count (seq_cst).
// Either the owner's pin load sees the reader's pin, or the reader's generation load sees the
// owner's invalidation: in the single total order of seq_cst operations one comes first.
//
// Thread-safety: the fields are atomics; the owner writes them, any thread reads them (always
// through ChunkPin). The table outlives the log while a LogReader holds it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace sluice::partitions {

// A dense index of each chunk, beside the segment's sparse one, so that a read served from
// memory walks at most this many bytes of batch headers: an entry for the first batch that
// starts in the chunk, then for the first that starts at least this far after the last entry.
inline constexpr uint32_t kChunkIndexIntervalBytes = 512;

struct ChunkIndexEntry {
  int64_t offset = 0;     // the batch's base offset
  uint64_t position = 0;  // where it starts in the segment file
};

// What a slot holds; read-mostly, packed so that a reader scans the table in few cache lines.
struct ChunkSlot {
  // Odd: the chunk holds file bytes [file_pos, file_pos + chunk_bytes) of the segment whose
  // base offset is segment_base. Even: the chunk is free or being reused.
  std::atomic<uint64_t> generation{0};
  // Written (relaxed) by the owner while the generation is even, before the odd one.
  std::atomic<int64_t> segment_base{-1};
  std::atomic<uint64_t> file_pos{0};
  // Set (relaxed) when the memory is allocated, before the first odd generation; cleared when
  // it is freed, after the last even one.
  std::atomic<std::byte*> data{nullptr};
  // The chunk's index, allocated and freed with `data`. Entries below index_count are written
  // once (by the owner, before its release store of the count, which precedes the high
  // watermark's); the count drops only while the generation is even and no reader holds it.
  std::atomic<ChunkIndexEntry*> index{nullptr};
  std::atomic<uint32_t> index_count{0};
};

// Readers in the middle of a copy from a slot; on its own cache line, as readers write it.
struct alignas(64) ChunkPins {
  std::atomic<uint32_t> count{0};
};

class ChunkSlots {
 public:
  ChunkSlots(uint32_t count, uint32_t chunk_bytes);

  uint32_t count() const { return count_; }
  uint32_t chunk_bytes() const { return chunk_bytes_; }
  uint32_t index_capacity() const { return chunk_bytes_ / kChunkIndexIntervalBytes + 1; }
  ChunkSlot& slot(uint32_t i) { return slots_[i]; }
  const ChunkSlot& slot(uint32_t i) const { return slots_[i]; }
  std::atomic<uint32_t>& pins(uint32_t i) const { return pins_[i].count; }

  // The slot most recently published, where readers of the tail start their search. A hint:
  // relaxed both ways, as the generation protocol decides what a reader may use.
  uint32_t latest() const { return latest_.load(std::memory_order_relaxed); }
  void set_latest(uint32_t i) { latest_.store(i, std::memory_order_relaxed); }

 private:
  uint32_t count_;
  uint32_t chunk_bytes_;
  std::unique_ptr<ChunkSlot[]> slots_;
  std::unique_ptr<ChunkPins[]> pins_;
  std::atomic<uint32_t> latest_{0};
};

inline bool generation_valid(uint64_t generation) {
  return (generation & 1) != 0;
}

}  // namespace sluice::partitions
