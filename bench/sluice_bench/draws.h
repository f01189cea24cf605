// Draws: splitmix64, the random numbers of the read workloads (which partition, which offset):
// a few instructions per draw, a different stream per reader.
//
// Thread-safety: a plain value, owned by one reader's thread.
#pragma once

#include <cstdint>

namespace sluice::bench {

class Draws {
 public:
  explicit Draws(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_;
};

}  // namespace sluice::bench
