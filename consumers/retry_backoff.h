// The delay before a failed event is delivered again (RetryBackoff, include/sluice/topic.h):
// the n-th retry waits min(maximum, initial * multiplier^(n-1)), times a jitter factor in
// [1 - jitter, 1 + jitter] drawn from `unit` (so up to maximum * (1 + jitter): events that
// reached the maximum still spread out).
//
// The random draw is a parameter so that tests can pin it; QueueTable draws it from its own
// seeded generator (SplitMix64 below).
//
// Thread-safety: pure functions; a SplitMix64 belongs to one thread (its owner's lock).
#pragma once

#include <sluice/topic.h>

#include <cstdint>

namespace sluice::consumers {

// retry >= 1 (the first retry is 1); unit in [0, 1): 0.5 is no jitter. Milliseconds, >= 0.
int64_t backoff_delay_ms(const RetryBackoff& backoff, uint32_t retry, double unit);

// A small, fast pseudo-random generator (SplitMix64): jitter draws and lock tokens. Not
// cryptographic: lock tokens name deliveries, they are not secrets.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

}  // namespace sluice::consumers
