// ChunkPool: the page-aligned memory chunks that hold a partition's tail, at most `count` of
// chunk_bytes each. A chunk's memory is allocated the first time it is used, so an idle
// partition costs no tail memory; after that, acquire() never allocates, and returns nothing
// when every chunk is in use (the caller recycles one or reports backpressure).
//
// Each chunk has a slot in a ChunkSlots table shared with readers on other threads
// (chunk_slots.h): publish() makes a chunk's bytes findable, and the pool never hands out again
// a chunk that a reader has pinned. retire() parks such a chunk until its pins go; the pool
// never waits for a reader, except in close().
//
// The pool does not clear a chunk's bytes (acquire() returns whatever they were): the log
// zeroes the padding of each partial page it writes, the only bytes past the data that reach
// the file. Clearing whole chunks (1 MiB each) cost the append that crossed into a new chunk
// 0.2-0.45 ms on the machine of bench/RESULTS.md, a stall of the shard every 1 MiB.
//
// Thread-safety: owned by one thread (the log's owner); readers see only the ChunkSlots.
#pragma once

#include "partitions/chunk_slots.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace sluice::partitions {

// A chunk of the tail: file bytes [file_pos, file_pos + chunk_bytes) of its segment.
struct Chunk {
  std::byte* data = nullptr;
  uint64_t file_pos = 0;
  uint32_t slot = 0;
};

class ChunkPool {
 public:
  ChunkPool(std::shared_ptr<ChunkSlots> slots);
  // Closes the pool (see close()).
  ~ChunkPool();
  ChunkPool(const ChunkPool&) = delete;
  ChunkPool& operator=(const ChunkPool&) = delete;

  // A chunk that no reader can see yet (its bytes unspecified), or nothing when none is free.
  std::optional<Chunk> acquire();
  // Makes the chunk's bytes findable by readers as file_pos onward of the segment at
  // segment_base (release: its memory and fields are visible to a reader that finds it).
  void publish(const Chunk& chunk, int64_t segment_base);
  // Hides a published chunk from readers that have not pinned it yet (seq_cst); true when no
  // reader holds it, so that its bytes may be changed now. False: try again later.
  bool hide(const Chunk& chunk);
  // Publishes a hidden chunk again, unpinned, after its bytes changed (release).
  void republish(const Chunk& chunk);
  // Owner: notes, in the chunk's dense index, a batch that starts in it (in file order). The
  // count is published with release; the high watermark's release follows.
  void index_batch(const Chunk& chunk, int64_t offset, uint64_t position);
  // Drops the index entries at or past `position`; the chunk is hidden and unheld.
  void truncate_index(const Chunk& chunk, uint64_t position);
  // Gives a chunk back: hidden, and free once no reader holds it (at once, or on a later call
  // of acquire() or free_count()).
  void retire(const Chunk& chunk);

  // Chunks acquire() can give now (free ones plus ones never allocated).
  uint32_t free_count();
  uint32_t chunk_bytes() const { return slots_->chunk_bytes(); }
  uint32_t capacity() const { return slots_->count(); }
  // Chunks whose memory is allocated.
  uint32_t allocated() const { return allocated_; }

  // Hides every chunk, waits for the readers that hold one (each is in the middle of one
  // copy), and frees the memory. The pool is empty afterwards.
  void close();

 private:
  void reclaim();
  void free_chunk(uint32_t slot);

  std::shared_ptr<ChunkSlots> slots_;
  uint32_t allocated_ = 0;        // slots [0, allocated_) have memory
  std::vector<uint32_t> free_;    // allocated, unpublished, unheld
  std::vector<uint32_t> parked_;  // retired while pinned: hidden, not yet free
};

}  // namespace sluice::partitions
