// The wait strategy's costs (engine/doorbell.h): the latency of a hand-off between two threads
// when the waiter spins and when it parks, and the CPU an idle waiter burns under each.
//
// PingPong: thread A publishes a value and rings; thread B waits for it, answers the same way;
// the time is per round trip (two hand-offs). With `park` and a gap between messages longer
// than the spin phase, every hand-off pays a futex wake-up. IdleCpu: one thread waits 100 ms
// with nothing to come; the counter is its CPU time per second of waiting.
#include "engine/doorbell.h"

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <thread>

namespace sluice::engine {
namespace {

struct Mailbox {
  std::atomic<uint64_t> value{0};
  Doorbell bell;
};

// Waits until the mailbox holds `expected`.
void await(Mailbox& box, uint64_t expected, WaitStrategy strategy) {
  box.bell.wait(strategy, std::chrono::steady_clock::now() + std::chrono::seconds(10),
                [&] { return box.value.load(std::memory_order_acquire) >= expected; });
}

void post(Mailbox& box, uint64_t value) {
  box.value.store(value, std::memory_order_release);
  box.bell.ring();
}

// range(0): 0 spin, 1 park; range(1): microseconds the pinger sleeps between rounds.
void BM_PingPong(benchmark::State& state) {
  const WaitStrategy strategy = state.range(0) == 0 ? WaitStrategy::spin : WaitStrategy::park;
  const auto gap = std::chrono::microseconds(state.range(1));
  Mailbox ping, pong;
  std::atomic<bool> stop{false};
  std::thread echo([&] {
    for (uint64_t n = 1; !stop.load(std::memory_order_relaxed); ++n) {
      await(ping, n, strategy);
      if (stop.load(std::memory_order_relaxed)) break;
      post(pong, n);
    }
  });
  uint64_t n = 0;
  int64_t busy_ns = 0;
  for (auto _ : state) {
    if (gap.count() > 0) {
      state.PauseTiming();
      std::this_thread::sleep_for(gap);
      state.ResumeTiming();
    }
    const auto start = std::chrono::steady_clock::now();
    post(ping, ++n);
    await(pong, n, strategy);
    const auto took = std::chrono::steady_clock::now() - start;
    busy_ns += took.count();
    state.SetIterationTime(std::chrono::duration<double>(took).count());
  }
  stop.store(true);
  post(ping, n + 1);
  echo.join();
  state.counters["round_trip_us"] =
      benchmark::Counter(static_cast<double>(busy_ns) / 1000.0 / static_cast<double>(n));
}
BENCHMARK(BM_PingPong)
    ->ArgNames({"park", "gap_us"})
    ->Args({0, 0})
    ->Args({1, 0})
    ->Args({1, 200})
    ->UseManualTime()
    ->Iterations(20000);

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

void BM_IdleCpu(benchmark::State& state) {
  const WaitStrategy strategy = state.range(0) == 0 ? WaitStrategy::spin : WaitStrategy::park;
  Mailbox box;
  double cpu = 0;
  double wall = 0;
  for (auto _ : state) {
    const double cpu_start = thread_cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    box.bell.wait(strategy, start + std::chrono::milliseconds(100), [] { return false; });
    wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    cpu += thread_cpu_seconds() - cpu_start;
  }
  state.counters["cpu_per_wall"] = benchmark::Counter(cpu / wall);
}
BENCHMARK(BM_IdleCpu)->ArgNames({"park"})->Arg(0)->Arg(1)->Iterations(5);

}  // namespace
}  // namespace sluice::engine
