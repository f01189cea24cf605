// KafkaProducerWorker: one producer thread of sluice-bench kafka, with its own librdkafka
// producer. It sends events (closed loop, open loop at its share of --rate, or exactly
// `fixed_events` as fast as it can for a fill), then flushes, and records each event's latency
// from its intended send time (the produce call, closed loop) to its delivery report. The
// reports run on this thread (from rd_kafka_poll and rd_kafka_flush), so the histograms need no
// lock. For e2e the value starts with the actual and the intended send times, as the embedded
// workload's (embedded_producer.h), and the worker adds what it sent to the SendTally.
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

namespace sluice::bench {

struct KafkaProducerPlan {
  const RemoteOptions* options = nullptr;
  std::string topic;
  uint32_t index = 0;          // 0 .. producers - 1
  SendTally* tally = nullptr;  // e2e: where the consumer learns the totals; else null
  bool stamp_value = false;    // e2e: write the send times into the value
  uint64_t fixed_events = 0;   // a fill: this many, to the partitions in turn; 0: for --seconds
};

// The producer's librdkafka settings for these options.
KafkaSettings kafka_producer_settings(const RemoteOptions& options);

class KafkaProducerWorker final : public Worker {
 public:
  explicit KafkaProducerWorker(KafkaProducerPlan plan);

  Result<void> prepare() override;
  Result<void> run(int64_t start_ns) override;
  uint64_t progress() const override { return progress_.load(); }

  const LatencyHistogram& ack_latency_ns() const { return ack_latency_ns_; }
  const LatencyHistogram& send_delay_ns() const { return send_delay_ns_; }
  uint64_t sent() const { return sent_; }
  uint64_t completed() const { return completed_; }
  int64_t last_completion_ns() const { return last_completion_ns_; }
  const ErrorTally& errors() const { return errors_; }

 private:
  Result<void> run_closed(int64_t end_ns);
  Result<void> run_open(int64_t start_ns, int64_t end_ns);
  Result<void> run_fixed();
  // Produces one event (waiting for room while librdkafka's queue is full).
  Result<void> send(int64_t intended_ns, int64_t send_ns);
  Result<void> flush();
  static void on_delivery(rd_kafka_t* client, const rd_kafka_message_t* message, void* opaque);
  void delivered(const rd_kafka_message_t& message);

  KafkaProducerPlan plan_;
  KafkaHandle client_;
  KafkaTopic topic_;
  std::string value_;
  std::string key_;
  LatencyHistogram ack_latency_ns_;
  LatencyHistogram send_delay_ns_;
  uint64_t sent_ = 0;
  uint64_t completed_ = 0;
  int64_t last_completion_ns_ = 0;
  ErrorTally errors_;
  ProgressCounter progress_;
};

}  // namespace sluice::bench
