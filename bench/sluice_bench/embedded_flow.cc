// The produce and e2e workloads: producer threads, plus one consumer thread for e2e.
#include "bench/sluice_bench/embedded_consumer.h"
#include "bench/sluice_bench/embedded_producer.h"
#include "bench/sluice_bench/embedded_workloads.h"

#include <algorithm>
#include <memory>
#include <vector>

namespace sluice::bench {
namespace {

std::vector<std::unique_ptr<ProducerWorker>> make_producers(const WorkloadSetup& setup,
                                                            SendTally* tally) {
  std::vector<std::unique_ptr<ProducerWorker>> producers;
  for (uint32_t i = 0; i < setup.options->producers; ++i) {
    ProducerPlan plan;
    plan.engine = setup.engine;
    plan.options = setup.options;
    plan.topic = setup.topic;
    plan.index = i;
    plan.tally = tally;
    plan.stamp_value = tally != nullptr;
    plan.count_progress = tally == nullptr;
    producers.push_back(std::make_unique<ProducerWorker>(std::move(plan)));
  }
  return producers;
}

struct Completions {
  uint64_t count = 0;
  int64_t last_ns = 0;
};

// Adds up the producers' figures (their send() -> callback latency into `ack_latency_ns`).
Completions merge_producers(const std::vector<std::unique_ptr<ProducerWorker>>& producers,
                            EmbeddedResult& result, LatencyHistogram& ack_latency_ns) {
  Completions completions;
  for (const auto& producer : producers) {
    ack_latency_ns.merge(producer->ack_latency_ns());
    result.send_delay_ns.merge(producer->send_delay_ns());
    result.sent += producer->sent();
    completions.count += producer->completed();
    completions.last_ns = std::max(completions.last_ns, producer->last_completion_ns());
    producer->errors().merge_into(result);
  }
  return completions;
}

double seconds_between(int64_t start_ns, int64_t end_ns) {
  return static_cast<double>(std::max<int64_t>(0, end_ns - start_ns)) / 1e9;
}

}  // namespace

Result<void> run_produce_workload(const WorkloadSetup& setup, EmbeddedResult& result) {
  auto producers = make_producers(setup, nullptr);
  std::vector<Worker*> workers;
  for (auto& producer : producers)
    workers.push_back(producer.get());
  Result<int64_t> start_ns = run_workers(workers);
  if (!start_ns.ok()) return std::move(start_ns).error();
  const Completions completions = merge_producers(producers, result, result.latency_ns);
  result.events = completions.count;
  result.elapsed_s = seconds_between(*start_ns, completions.last_ns);
  return {};
}

Result<void> run_e2e_workload(const WorkloadSetup& setup, EmbeddedResult& result) {
  SendTally tally;
  auto producers = make_producers(setup, &tally);
  ConsumerWorker consumer(
      ConsumerPlan{setup.engine, setup.options, setup.topic, setup.group, &tally});
  std::vector<Worker*> workers{&consumer};
  for (auto& producer : producers)
    workers.push_back(producer.get());
  Result<int64_t> start_ns = run_workers(workers);
  if (!start_ns.ok()) return std::move(start_ns).error();
  (void)merge_producers(producers, result, result.ack_latency_ns);
  result.latency_ns = consumer.latency_ns();
  result.latency_intended_ns = consumer.latency_intended_ns();
  result.events = consumer.received();
  result.missing = consumer.missing();
  consumer.errors().merge_into(result);
  result.elapsed_s = seconds_between(*start_ns, consumer.last_receive_ns());
  return {};
}

}  // namespace sluice::bench
