// The threads of the embedded and the server benchmarks: each workload is a set of Workers,
// each on its own thread. run_workers() lets every worker prepare (make its producer or consumer,
// join its group), then starts them all from one start time and, on the caller's thread, shows the
// progress line until they are done.
//
// Thread-safety: a Worker's prepare() and run() run on its own thread; progress() is read from
// the caller's thread while it runs (hence the relaxed atomic counter).
#pragma once

#include "bench/sluice_bench/embedded_bench.h"

#include <sluice/result.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <span>
#include <string>

namespace sluice::bench {

inline int64_t steady_now_ns() {
  using namespace std::chrono;
  return duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
}

// A count with one writer and readers elsewhere: the writer's increment is a plain load and
// store (no locked instruction); readers see it a little late, which a progress line allows.
class alignas(64) ProgressCounter {
 public:
  void add(uint64_t n) {
    // relaxed: publishes nothing but the count itself.
    count_.store(count_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t load() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> count_{0};
};

// Errors a worker met on the way: counted, the first one kept for the report.
struct ErrorTally {
  uint64_t count = 0;
  std::string first;
  void add(const Error& error) {
    if (count++ == 0) first = error.to_string();
  }
  // Into any result with `errors` and `first_error` (the embedded and the server benchmarks').
  template <typename BenchResult>
  void merge_into(BenchResult& result) const {
    if (count > 0 && result.errors == 0) result.first_error = first;
    result.errors += count;
  }
};

class Worker {
 public:
  virtual ~Worker() = default;
  // Before the clock starts: make the producer or consumer.
  virtual Result<void> prepare() = 0;
  // The measured part, from `start_ns` (steady clock) on.
  virtual Result<void> run(int64_t start_ns) = 0;
  // Events done so far, for the progress line (0 for a worker that does not count them).
  virtual uint64_t progress() const = 0;
};

// Runs each worker on its own thread as described above. Returns the start time, or the first
// error of a prepare() or run() (the other workers still run to their end).
Result<int64_t> run_workers(std::span<Worker* const> workers);

}  // namespace sluice::bench
