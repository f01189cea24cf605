// Pacer: the intended send times of one open-loop sender (a constant rate), and the wait for
// each of them.
//
// The k-th send of a sender is due at first_ns + k * interval_ns; a sender that falls behind
// sends at once, and its latencies still count from the intended times, so a stalled sender
// cannot hide the stall (coordinated omission). Waiting sleeps while the due time is more than
// kSleepAboveNs away (until kWakeEarlyNs before it, and at most kMaxSleepNs at a time so that
// `idle`, a producer's poll that runs its delivery callbacks, still runs often); closer, it
// yields the core while more than kYieldAboveNs remain and spins only the last microseconds.
// A sleeper that wakes is scheduled ahead of busy threads, a yielder behind them, and a pure
// spin starves the engine's own threads on a machine with few cores (measured on 2 cores, acks
// none at 50 000 events/s: p50 5.7 ms spinning, 27 us yielding).
//
// Thread-safety: a plain value, owned by its sender's thread.
#pragma once

#include <sys/prctl.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace sluice::bench {

class Pacer {
 public:
  static constexpr int64_t kSleepAboveNs = 40'000;
  static constexpr int64_t kWakeEarlyNs = 30'000;
  static constexpr int64_t kMaxSleepNs = 100'000;
  static constexpr int64_t kYieldAboveNs = 5'000;
  static constexpr unsigned long kTimerSlackNs = 1'000;

  // Call once on the sender's thread: a sleep then overshoots by about 15 us instead of the
  // default 50 us slack plus the wake-up (about 65 us measured).
  static void tighten_timer_slack() { prctl(PR_SET_TIMERSLACK, kTimerSlackNs, 0, 0, 0); }

  // `rate_per_sec` events per second for this sender; its first send is due at `first_ns`.
  Pacer(int64_t first_ns, double rate_per_sec)
      : first_ns_(first_ns), interval_ns_(1e9 / rate_per_sec) {}

  int64_t due_ns(uint64_t k) const {
    return first_ns_ + static_cast<int64_t>(static_cast<double>(k) * interval_ns_);
  }

  // Returns once `clock()` reaches `due_ns`, calling `idle()` while it waits.
  template <typename Clock, typename Idle>
  static void wait_until(int64_t due_ns, Clock&& clock, Idle&& idle) {
    while (true) {
      idle();
      const int64_t left_ns = due_ns - clock();
      if (left_ns <= 0) return;
      if (left_ns > kSleepAboveNs) {
        const int64_t sleep_ns = std::min(left_ns - kWakeEarlyNs, kMaxSleepNs);
        std::this_thread::sleep_for(std::chrono::nanoseconds(sleep_ns));
      } else if (left_ns > kYieldAboveNs) {
        std::this_thread::yield();
      } else {
        relax();
      }
    }
  }

  // One pause of a busy-wait.
  static void relax() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#endif
  }

 private:
  int64_t first_ns_;
  double interval_ns_;
};

}  // namespace sluice::bench
