#include "engine/doorbell.h"

#include "engine/shard.h"

#include "io/futex.h"

#include <immintrin.h>

#include <algorithm>
#include <thread>

namespace sluice::engine {

void Doorbell::ring() {
  rings_.fetch_add(1, std::memory_order_seq_cst);
  if (sleeping_.load(std::memory_order_seq_cst)) io::futex_wake_all(rings_);
  if (Shard* shard = also_wake_.load(std::memory_order_acquire)) shard->wake();
}

bool Doorbell::sleep_once(uint32_t seen, std::chrono::steady_clock::time_point until) {
  const auto left = until - std::chrono::steady_clock::now();
  if (left <= std::chrono::nanoseconds::zero()) return false;
  // At most 100 ms per sleep, so that a lost race costs no more than that.
  const auto nap = std::min<std::chrono::nanoseconds>(left, std::chrono::milliseconds(100));
  io::futex_wait(rings_, seen, nap);
  return std::chrono::steady_clock::now() < until;
}

void Doorbell::relax() {
  _mm_pause();
}

void Doorbell::yield() {
  std::this_thread::yield();
}

}  // namespace sluice::engine
