// run_workers: the start gate, the threads and the progress line of the embedded benchmark.
#include "bench/sluice_bench/embedded_workers.h"

#include <unistd.h>

#include <cstdio>
#include <latch>
#include <optional>
#include <thread>
#include <vector>

namespace sluice::bench {
namespace {

// How often the waiting thread looks whether the workers are done.
constexpr std::chrono::milliseconds kCheckInterval{20};
constexpr int64_t kProgressIntervalNs = 1'000'000'000;

struct Gate {
  explicit Gate(size_t workers) : prepared(static_cast<std::ptrdiff_t>(workers)) {}
  std::latch prepared;
  std::latch go{1};
  // Written before go opens (the latch orders it), read after.
  int64_t start_ns = 0;
  bool abort = false;
  std::atomic<size_t> finished{0};  // acq_rel: publishes the worker's final state to the waiter
};

void work(Worker& worker, Gate& gate, std::optional<Error>& error) {
  Result<void> prepared = worker.prepare();
  if (!prepared.ok()) error = prepared.error();
  gate.prepared.count_down();
  gate.go.wait();
  if (!gate.abort && !error) {
    Result<void> ran = worker.run(gate.start_ns);
    if (!ran.ok()) error = ran.error();
  }
  gate.finished.fetch_add(1, std::memory_order_acq_rel);
}

uint64_t progress_of(std::span<Worker* const> workers) {
  uint64_t events = 0;
  for (const Worker* worker : workers)
    events += worker->progress();
  return events;
}

// On a terminal, rewrites one line of stderr about once a second until every worker is done.
void watch(std::span<Worker* const> workers, Gate& gate) {
  const bool terminal = isatty(STDERR_FILENO) != 0;
  int64_t next_print_ns = gate.start_ns + kProgressIntervalNs;
  bool printed = false;
  while (gate.finished.load(std::memory_order_acquire) < workers.size()) {
    std::this_thread::sleep_for(kCheckInterval);
    const int64_t now = steady_now_ns();
    if (!terminal || now < next_print_ns) continue;
    const double elapsed_s = static_cast<double>(now - gate.start_ns) / 1e9;
    std::fprintf(stderr, "\rsluice-bench: %.0f s, %.0f events/s   ", elapsed_s,
                 static_cast<double>(progress_of(workers)) / elapsed_s);
    std::fflush(stderr);
    printed = true;
    next_print_ns += kProgressIntervalNs;
  }
  if (printed) std::fputs("\r\033[K", stderr);  // clear the line for the summary
}

}  // namespace

Result<int64_t> run_workers(std::span<Worker* const> workers) {
  Gate gate(workers.size());
  std::vector<std::optional<Error>> errors(workers.size());
  std::vector<std::thread> threads;
  threads.reserve(workers.size());
  for (size_t i = 0; i < workers.size(); ++i) {
    threads.emplace_back(work, std::ref(*workers[i]), std::ref(gate), std::ref(errors[i]));
  }
  gate.prepared.wait();
  for (const auto& error : errors)
    gate.abort = gate.abort || error.has_value();
  gate.start_ns = steady_now_ns();
  gate.go.count_down();
  if (!gate.abort) watch(workers, gate);
  for (std::thread& thread : threads)
    thread.join();
  for (auto& error : errors) {
    if (error) return std::move(*error);
  }
  return gate.start_ns;
}

}  // namespace sluice::bench
