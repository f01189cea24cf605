// Doorbell: how a thread that ran out of work waits for more, and how others wake it; the wait
// strategy of include/sluice/wait_strategy.h.
//
// The waiter calls wait(until, ready): it checks ready() while spinning (spin: until the
// deadline; park: for kSpinBeforePark), with a pause between checks and a yield of the core
// every 8 of them; a parking waiter then announces that it sleeps and sleeps on a futex until
// ring() or the deadline. Whoever makes ready() true calls ring() afterwards; ring() costs one
// atomic increment, plus a futex wake-up only when the waiter is asleep.
//
// Thread-safety: one waiter at a time; ring() from any thread.
#pragma once

#include <sluice/wait_strategy.h>

#include <atomic>
#include <chrono>
#include <cstdint>

namespace sluice::engine {

// How long a parking waiter spins before it sleeps: a few times the ~20 us a futex wake-up
// costs, so that steady traffic never sleeps and an idle thread stops burning its core soon.
inline constexpr std::chrono::microseconds kSpinBeforePark{50};

class Shard;

class Doorbell {
 public:
  // Wakes the waiter if it sleeps. Call it after the change that makes ready() true.
  void ring();
  // For a waiter that does not wait in wait() but in a shard's loop (the server's producers
  // live on shard threads): ring() also wakes that shard. The owner sets it, and clears it
  // (nullptr) when it goes while the bell may still ring: shards complete batches in flight
  // after their sender is gone, and the shard to wake may be destroyed before them.
  void also_wake(Shard* shard) { also_wake_.store(shard, std::memory_order_release); }
  // Returns true once ready() holds, false when `until` passes first.
  template <typename Ready>
  bool wait(WaitStrategy strategy, std::chrono::steady_clock::time_point until, Ready&& ready);

 private:
  // Sleeps while rings_ still holds `seen`, at most until `until` (and 100 ms).
  bool sleep_once(uint32_t seen, std::chrono::steady_clock::time_point until);
  static void relax();
  static void yield();

  // Bumped by ring() (seq_cst); a sleeper waits for it to change from the value it loaded
  // (acquire) before its last check of ready(), so a ring between the check and the sleep is
  // never lost: the futex sees the changed value and does not sleep.
  std::atomic<uint32_t> rings_{0};
  // Set (seq_cst) by a waiter about to sleep, read (seq_cst) by ring(): either the waiter sees
  // the change that made it ready, or the ringer sees that it must wake it.
  std::atomic<bool> sleeping_{false};
  // Release by also_wake(), acquire by ring(): publishes only the pointer.
  std::atomic<Shard*> also_wake_{nullptr};
};

template <typename Ready>
bool Doorbell::wait(WaitStrategy strategy, std::chrono::steady_clock::time_point until,
                    Ready&& ready) {
  using Clock = std::chrono::steady_clock;
  const auto park_at = Clock::now() + kSpinBeforePark;
  for (uint32_t spins = 0;; ++spins) {
    if (ready()) return true;
    // Every 8th check reads the clock (about 20 ns) and yields the core (bench/RESULTS.md: with
    // every 64th, e2e p99 was 20-60 % higher on 2 cores).
    if ((spins & 7) != 0) {
      relax();
      continue;
    }
    const auto now = Clock::now();
    if (now >= until) return ready();
    if (strategy == WaitStrategy::park && now >= park_at) break;
    // Let another runnable thread have the core now and then: spinning threads that outnumber
    // the cores otherwise starve the one that would make ready() true.
    yield();
  }
  while (true) {
    const uint32_t seen = rings_.load(std::memory_order_acquire);
    sleeping_.store(true, std::memory_order_seq_cst);
    if (ready()) {
      sleeping_.store(false, std::memory_order_relaxed);
      return true;
    }
    const bool in_time = sleep_once(seen, until) || rings_.load(std::memory_order_acquire) != seen;
    sleeping_.store(false, std::memory_order_relaxed);
    if (ready()) return true;
    if (!in_time) return false;
  }
}

}  // namespace sluice::engine
