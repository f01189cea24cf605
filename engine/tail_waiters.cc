#include "engine/tail_waiters.h"

#include "engine/shard.h"

namespace sluice::engine {

void wake_tail_waiters(PartitionSlot& slot, const std::vector<std::unique_ptr<Shard>>& shards) {
  // A read-modify-write, not a load (which could pass the high watermark's store): the bits
  // and the waiters' fetch_or are in one modification order. A waiter whose fetch_or came first
  // is taken here; one whose fetch_or came after reads this exchange (release), and with it the
  // high watermark stored before, when it checks.
  const uint64_t waiting = slot.tail_waiters.exchange(0, std::memory_order_acq_rel);
  if (waiting == 0) return;
  for (const auto& shard : shards) {
    if ((waiting & tail_waiter_bit(shard->id())) != 0) shard->wake();
  }
}

}  // namespace sluice::engine
