// ChunkPool: the fixed set of page-aligned memory chunks that hold a partition's tail. All
// chunks are allocated when the pool is made; acquire() never allocates, and returns nullptr
// when every chunk is in use (the caller recycles one or reports backpressure).
//
// Thread-safety: owned by one thread (the log's owner).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sluice::partitions {

class ChunkPool {
 public:
  ChunkPool(uint32_t chunk_bytes, uint32_t count);
  ~ChunkPool();
  ChunkPool(const ChunkPool&) = delete;
  ChunkPool& operator=(const ChunkPool&) = delete;

  // A zero-filled chunk, or nullptr when none is free.
  std::byte* acquire();
  void release(std::byte* chunk);

  uint32_t chunk_bytes() const { return chunk_bytes_; }
  uint32_t capacity() const { return static_cast<uint32_t>(all_.size()); }
  uint32_t free_count() const { return static_cast<uint32_t>(free_.size()); }

 private:
  uint32_t chunk_bytes_;
  std::vector<std::byte*> all_;
  std::vector<std::byte*> free_;
};

}  // namespace sluice::partitions
