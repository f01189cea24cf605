// KafkaConsumerWorker: the consumer thread of sluice-bench kafka consume and e2e, with its own
// librdkafka consumer assigned every partition of the topic at given offsets (no group
// membership: nothing to join or rebalance while the clock runs).
// - consume: reads from the given offsets until it has `expected` events (or --seconds pass),
//   in batches from the consumer queue; it counts events and their key and value bytes.
// - e2e: reads one event at a time until it has every event the producers sent (or a drain
//   deadline after they stopped) and records each one's latency from the send times stamped at
//   the start of its value.
//
// Thread-safety: prepare() and run() on the worker's thread; the accessors after run_workers
// returned.
#pragma once

#include "bench/sluice_bench/embedded_producer.h"
#include "bench/sluice_bench/embedded_workers.h"
#include "bench/sluice_bench/kafka_client.h"
#include "bench/sluice_bench/latency_histogram.h"
#include "bench/sluice_bench/remote_bench.h"

#include <string>
#include <vector>

namespace sluice::bench {

struct KafkaConsumerPlan {
  const RemoteOptions* options = nullptr;
  std::string topic;
  std::vector<int64_t> start_offsets;  // per partition
  uint64_t expected = 0;               // consume: events to read
  SendTally* tally = nullptr;          // e2e: the producers' totals; null for consume
};

class KafkaConsumerWorker final : public Worker {
 public:
  explicit KafkaConsumerWorker(KafkaConsumerPlan plan) : plan_(std::move(plan)) {}

  Result<void> prepare() override;
  Result<void> run(int64_t start_ns) override;
  uint64_t progress() const override { return progress_.load(); }

  const LatencyHistogram& latency_ns() const { return latency_ns_; }
  const LatencyHistogram& latency_intended_ns() const { return latency_intended_ns_; }
  uint64_t received() const { return received_; }
  uint64_t received_bytes() const { return received_bytes_; }
  uint64_t missing() const { return missing_; }
  int64_t last_receive_ns() const { return last_receive_ns_; }
  const ErrorTally& errors() const { return errors_; }

 private:
  Result<void> run_consume(int64_t end_ns);
  Result<void> run_e2e();
  // Counts one message (an error message is counted as an error); false for an error.
  bool take(const rd_kafka_message_t& message, int64_t now_ns);
  bool e2e_finished(int64_t now_ns);

  KafkaConsumerPlan plan_;
  KafkaHandle client_;
  LatencyHistogram latency_ns_;
  LatencyHistogram latency_intended_ns_;
  uint64_t received_ = 0;
  uint64_t received_bytes_ = 0;
  uint64_t missing_ = 0;
  int64_t last_receive_ns_ = 0;
  int64_t drain_deadline_ns_ = 0;  // 0 until the producers are done
  ErrorTally errors_;
  ProgressCounter progress_;
};

}  // namespace sluice::bench
