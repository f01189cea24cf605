// Tail waiters: shards whose threads wait for the next append to a partition another shard
// owns (the server's long-polling Kafka fetches), and the wake-up the owner gives them after
// that append, so that a waiting fetch answers as soon as data arrives instead of on its
// shard's next timer tick.
//
// A waiter sets its shard's bit in the slot's `tail_waiters` and only then checks the high
// watermark; the owner publishes the high watermark, then takes the bits with a
// read-modify-write and wakes those shards. One of the two sees the other: either the waiter's
// check finds the new data, or the owner finds the bit. A bit is taken by one wake-up; a waiter
// that still waits afterwards sets it again. Bits are shard ids modulo 64: beyond 64 shards two
// share a bit and both wake (harmless).
//
// Thread-safety: watch_tail from any shard thread; wake_tail_waiters from the owner's thread.
#pragma once

#include "engine/topic.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace sluice::engine {

class Shard;

inline uint64_t tail_waiter_bit(uint32_t shard_id) {
  return uint64_t{1} << (shard_id % 64);
}

// Registers `shard_id` for a wake-up after the slot's next append; call it before checking
// the high watermark. Cheap when already registered (one relaxed load).
inline void watch_tail(PartitionSlot& slot, uint32_t shard_id) {
  const uint64_t bit = tail_waiter_bit(shard_id);
  if ((slot.tail_waiters.load(std::memory_order_relaxed) & bit) != 0) return;
  slot.tail_waiters.fetch_or(bit, std::memory_order_seq_cst);
}

// After an append has published the slot's high watermark: wakes every registered shard of
// `shards` and clears their bits. Costs one uncontended atomic exchange when nobody waits.
void wake_tail_waiters(PartitionSlot& slot, const std::vector<std::unique_ptr<Shard>>& shards);

}  // namespace sluice::engine
