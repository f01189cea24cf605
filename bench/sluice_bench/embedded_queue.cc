// The queue workload: fills the topic (outside the measured time), then --readers worker
// threads share one Queue of a fresh group: each receives up to --batch-events events and acks
// them all in one call (durability --acks), until every filled event is acked or --seconds
// ran out. Throughput counts acked events; latency is from receive() returning to ack()
// returning, recorded once per event.
#include "bench/sluice_bench/embedded_workers.h"
#include "bench/sluice_bench/embedded_workloads.h"

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace sluice::bench {
namespace {

constexpr std::chrono::microseconds kFillLinger{5000};
constexpr std::chrono::milliseconds kFillFlushTimeout{120000};
constexpr std::chrono::milliseconds kReceiveWait{50};

Result<void> fill(const WorkloadSetup& setup) {
  const EmbeddedOptions& o = *setup.options;
  ProducerOptions options;
  options.durability = Durability::written;
  options.batch_bytes = static_cast<uint32_t>(o.batch_bytes);
  options.linger = kFillLinger;
  Result<Producer> producer = setup.engine->producer(options);
  if (!producer.ok()) return std::move(producer).error();
  const std::string value(o.event_bytes, 'q');
  const std::string key(o.key_bytes, 'k');
  for (uint64_t i = 0; i < o.fill_events; ++i) {
    Event event;
    event.value = value;
    if (!key.empty()) event.key = key;
    event.partition = static_cast<int32_t>(i % o.partitions);
    SLUICE_TRY(producer->send(setup.topic, std::move(event)));
  }
  return producer->flush(kFillFlushTimeout);
}

struct Shared {
  std::atomic<uint64_t> acked{0};
  std::atomic<int64_t> last_ack_ns{0};
  std::mutex mutex;  // guards the fields below
  LatencyHistogram latency_ns;
  uint64_t errors = 0;
  std::string first_error;
};

void work(Queue& queue, const EmbeddedOptions& o, int64_t deadline_ns, Shared& shared) {
  LatencyHistogram latency;
  uint64_t errors = 0;
  std::string first_error;
  std::vector<LockRef> refs;
  refs.reserve(o.batch_events);
  while (shared.acked.load(std::memory_order_relaxed) < o.fill_events &&
         steady_now_ns() < deadline_ns) {
    Result<std::vector<QueuedEvent>> got = queue.receive(o.batch_events, kReceiveWait);
    const int64_t received_ns = steady_now_ns();
    if (!got.ok()) {
      if (errors++ == 0) first_error = got.error().to_string();
      continue;
    }
    if (got->empty()) continue;
    refs.clear();
    for (const QueuedEvent& event : *got)
      refs.push_back({event.record.partition, event.record.offset, event.lock_token});
    Result<std::vector<LockOutcome>> acked = queue.ack(refs);
    const int64_t acked_ns = steady_now_ns();
    if (!acked.ok()) {
      if (errors++ == 0) first_error = acked.error().to_string();
      continue;
    }
    uint64_t ok = 0;
    for (const LockOutcome& outcome : *acked) {
      if (outcome.result.ok()) {
        ++ok;
      } else if (errors++ == 0) {
        first_error = outcome.result.error().to_string();
      }
    }
    for (uint64_t i = 0; i < ok; ++i)
      latency.record(static_cast<uint64_t>(acked_ns - received_ns));
    shared.acked.fetch_add(ok, std::memory_order_relaxed);
    int64_t last = shared.last_ack_ns.load(std::memory_order_relaxed);
    while (last < acked_ns &&
           !shared.last_ack_ns.compare_exchange_weak(last, acked_ns, std::memory_order_relaxed)) {
    }
  }
  std::lock_guard lock(shared.mutex);
  shared.latency_ns.merge(latency);
  if (shared.errors == 0 && errors > 0) shared.first_error = first_error;
  shared.errors += errors;
}

}  // namespace

Result<void> run_queue_workload(const WorkloadSetup& setup, EmbeddedResult& result) {
  const EmbeddedOptions& o = *setup.options;
  const int64_t fill_start = steady_now_ns();
  SLUICE_TRY(fill(setup));
  result.fill_s = static_cast<double>(steady_now_ns() - fill_start) / 1e9;
  result.filled_events = o.fill_events;

  QueueOptions options;
  options.group = setup.group;
  options.topic = setup.topic;
  options.durability = o.acks;
  options.max_in_flight = std::max<uint32_t>(100000, 2 * o.readers * o.batch_events);
  Result<Queue> queue = setup.engine->queue(options);
  if (!queue.ok()) return std::move(queue).error();

  Shared shared;
  const int64_t start_ns = steady_now_ns();
  const int64_t deadline_ns = start_ns + static_cast<int64_t>(o.seconds * 1e9);
  std::vector<std::thread> threads;
  for (uint32_t i = 0; i < o.readers; ++i)
    threads.emplace_back([&] { work(*queue, o, deadline_ns, shared); });
  for (auto& thread : threads)
    thread.join();
  result.events = shared.acked.load();
  result.sent = o.fill_events;
  result.missing = 0;
  const int64_t end_ns = std::max(shared.last_ack_ns.load(), start_ns + 1);
  result.elapsed_s = static_cast<double>(end_ns - start_ns) / 1e9;
  result.latency_ns = shared.latency_ns;
  result.errors = shared.errors;
  result.first_error = shared.first_error;
  return {};
}

}  // namespace sluice::bench
