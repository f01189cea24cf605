#include "partitions/chunk_pool.h"

#include "io/assert.h"
#include "io/file_system.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace sluice::partitions {

ChunkPool::ChunkPool(uint32_t chunk_bytes, uint32_t count) : chunk_bytes_(chunk_bytes) {
  SLUICE_ASSERT(chunk_bytes > 0 && chunk_bytes % io::kDirectIoAlignment == 0);
  SLUICE_ASSERT(count >= 2);
  all_.reserve(count);
  free_.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    void* memory = std::aligned_alloc(io::kDirectIoAlignment, chunk_bytes);
    SLUICE_ASSERT_MSG(memory != nullptr, "out of memory for the tail cache");
    // Zeroed once here and again on release, so that the padding of a partial page written
    // with O_DIRECT is always zero.
    std::memset(memory, 0, chunk_bytes);
    all_.push_back(static_cast<std::byte*>(memory));
    free_.push_back(static_cast<std::byte*>(memory));
  }
}

ChunkPool::~ChunkPool() {
  SLUICE_ASSERT(free_.size() == all_.size());
  for (std::byte* chunk : all_)
    std::free(chunk);
}

std::byte* ChunkPool::acquire() {
  if (free_.empty()) return nullptr;
  std::byte* chunk = free_.back();
  free_.pop_back();
  return chunk;
}

void ChunkPool::release(std::byte* chunk) {
  SLUICE_ASSERT(std::find(all_.begin(), all_.end(), chunk) != all_.end());
  SLUICE_ASSERT(free_.size() < all_.size());
  std::memset(chunk, 0, chunk_bytes_);
  free_.push_back(chunk);
}

}  // namespace sluice::partitions
