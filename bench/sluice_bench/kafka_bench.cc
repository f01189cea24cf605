// sluice-bench kafka: makes the topic through the admin API, then runs the workload asked for
// with KafkaProducerWorker and KafkaConsumerWorker threads (see remote_bench.h).
#include "bench/sluice_bench/kafka_consumer.h"
#include "bench/sluice_bench/kafka_producer.h"
#include "bench/sluice_bench/remote_bench.h"
#include "io/socket.h"

#include <algorithm>
#include <memory>
#include <vector>

namespace sluice::bench {
namespace {

double seconds_between(int64_t start_ns, int64_t end_ns) {
  return static_cast<double>(std::max<int64_t>(0, end_ns - start_ns)) / 1e9;
}

// librdkafka retries an absent broker for a minute: a first connection says at once whether
// the first bootstrap server is there.
Result<void> check_reachable(const std::string& bootstrap) {
  Result<io::HostPort> address = io::parse_host_port(bootstrap.substr(0, bootstrap.find(',')));
  if (!address.ok()) return std::move(address).error();
  Result<int> fd = io::connect_tcp(*address);
  if (!fd.ok()) return Error(fd.code(), "cannot reach " + bootstrap + ": " + fd.error().message());
  io::close_socket(*fd);
  return {};
}

// A client for the admin calls and the offset queries, not used while the clock runs.
Result<KafkaHandle> admin_client(const RemoteOptions& o) {
  return make_kafka_producer({{"bootstrap.servers", o.address}, {"client.id", "sluice-bench"}},
                             nullptr, nullptr);
}

std::vector<std::unique_ptr<KafkaProducerWorker>> make_producers(const RemoteOptions& o,
                                                                 const std::string& topic,
                                                                 SendTally* tally) {
  std::vector<std::unique_ptr<KafkaProducerWorker>> producers;
  for (uint32_t i = 0; i < o.producers; ++i) {
    KafkaProducerPlan plan;
    plan.options = &o;
    plan.topic = topic;
    plan.index = i;
    plan.tally = tally;
    plan.stamp_value = tally != nullptr;
    producers.push_back(std::make_unique<KafkaProducerWorker>(std::move(plan)));
  }
  return producers;
}

struct Completions {
  uint64_t count = 0;
  int64_t last_ns = 0;
};

Completions merge_producers(const std::vector<std::unique_ptr<KafkaProducerWorker>>& producers,
                            RemoteResult& result, LatencyHistogram& ack_latency_ns) {
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

Result<void> run_produce(const RemoteOptions& o, RemoteResult& result) {
  auto producers = make_producers(o, result.topic, nullptr);
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

// Fills the topic with o.fill_events events, the partitions in turn, from one producer.
Result<void> fill(const RemoteOptions& o, RemoteResult& result) {
  KafkaProducerPlan plan;
  plan.options = &o;
  plan.topic = result.topic;
  plan.fixed_events = o.fill_events;
  KafkaProducerWorker producer(std::move(plan));
  Worker* workers[] = {&producer};
  const int64_t fill_start_ns = steady_now_ns();
  Result<int64_t> start_ns = run_workers(workers);
  if (!start_ns.ok()) return std::move(start_ns).error();
  result.fill_s = seconds_between(fill_start_ns, steady_now_ns());
  if (producer.errors().count > 0) {
    return Error(Errc::io_error, "the fill failed: " + producer.errors().first);
  }
  return {};
}

Result<void> run_consume(const RemoteOptions& o, rd_kafka_t* admin, RemoteResult& result) {
  if (o.fill_events > 0) SLUICE_TRY(fill(o, result));
  Result<std::vector<Watermarks>> marks =
      kafka_watermarks(admin, result.topic, static_cast<int>(o.partitions));
  if (!marks.ok()) return std::move(marks).error();
  KafkaConsumerPlan plan;
  plan.options = &o;
  plan.topic = result.topic;
  for (const Watermarks& w : *marks) {
    plan.start_offsets.push_back(w.low);
    plan.expected += static_cast<uint64_t>(w.high - w.low);
  }
  result.filled_events = plan.expected;
  if (plan.expected == 0) return Error(Errc::not_found, "the topic " + result.topic + " is empty");
  KafkaConsumerWorker consumer(std::move(plan));
  Worker* workers[] = {&consumer};
  Result<int64_t> start_ns = run_workers(workers);
  if (!start_ns.ok()) return std::move(start_ns).error();
  result.events = consumer.received();
  result.consumed_bytes = consumer.received_bytes();
  result.elapsed_s = seconds_between(*start_ns, consumer.last_receive_ns());
  consumer.errors().merge_into(result);
  return {};
}

Result<void> run_e2e(const RemoteOptions& o, rd_kafka_t* admin, RemoteResult& result) {
  Result<std::vector<Watermarks>> marks =
      kafka_watermarks(admin, result.topic, static_cast<int>(o.partitions));
  if (!marks.ok()) return std::move(marks).error();
  SendTally tally;
  auto producers = make_producers(o, result.topic, &tally);
  KafkaConsumerPlan plan;
  plan.options = &o;
  plan.topic = result.topic;
  plan.tally = &tally;
  for (const Watermarks& w : *marks)
    plan.start_offsets.push_back(w.high);  // only what this run sends
  KafkaConsumerWorker consumer(std::move(plan));
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

}  // namespace

Result<RemoteResult> run_kafka_bench(const RemoteOptions& options) {
  RemoteResult result;
  result.topic = options.topic.empty() ? fresh_topic_name() : options.topic;
  SLUICE_TRY(check_reachable(options.address));
  Result<KafkaHandle> admin = admin_client(options);
  if (!admin.ok()) return std::move(admin).error();
  SLUICE_TRY(create_kafka_topic(admin->get(), result.topic, static_cast<int>(options.partitions)));
  switch (options.workload) {
    case RemoteWorkload::produce:
      SLUICE_TRY(run_produce(options, result));
      break;
    case RemoteWorkload::consume:
      SLUICE_TRY(run_consume(options, admin->get(), result));
      break;
    case RemoteWorkload::e2e:
      SLUICE_TRY(run_e2e(options, admin->get(), result));
      break;
    default:
      return Error(Errc::invalid_argument, "not a kafka workload");
  }
  return result;
}

}  // namespace sluice::bench
