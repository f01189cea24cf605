#include "partitions/chunk_slots.h"

#include "io/assert.h"

namespace sluice::partitions {

ChunkSlots::ChunkSlots(uint32_t count, uint32_t chunk_bytes)
    : count_(count),
      chunk_bytes_(chunk_bytes),
      slots_(std::make_unique<ChunkSlot[]>(count)),
      pins_(std::make_unique<ChunkPins[]>(count)) {
  SLUICE_ASSERT(count > 0 && chunk_bytes > 0);
}

}  // namespace sluice::partitions
