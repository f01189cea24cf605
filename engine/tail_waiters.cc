#include "engine/tail_waiters.h"

#include "engine/shard.h"

namespace sluice::engine {

void wake_tail_waiters(PartitionSlot& slot, const std::vector<std::unique_ptr<Shard>>& shards) {
  // Orders the high watermark's release store before the load of the bits (a store may
  // otherwise pass a later load): pairs with the waiter's fetch_or before its check.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (slot.tail_waiters.load(std::memory_order_relaxed) == 0) return;
  const uint64_t waiting = slot.tail_waiters.exchange(0, std::memory_order_acq_rel);
  for (const auto& shard : shards) {
    if ((waiting & tail_waiter_bit(shard->id())) != 0) shard->wake();
  }
}

}  // namespace sluice::engine
