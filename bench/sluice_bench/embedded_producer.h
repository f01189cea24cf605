// ProducerWorker: one producer thread of the produce and e2e workloads, with its own Producer.
// It sends events (closed loop, or open loop at its share of --rate) until the run's end, then
// flushes, and records each event's latency from send() (or its intended send time) to its
// delivery callback. Callbacks run on this thread (from send, poll and flush), so the
// histograms need no lock.
//
// For e2e, the value starts with two steady-clock times in nanoseconds (little-endian int64):
// the actual send time, then the intended one (equal in closed loop). When the run ends the
// worker adds what it sent to the shared SendTally, from which the consumer learns how many
// events to wait for.
//
// Thread-safety: prepare() and run() on the worker's thread; the accessors after run_workers
// returned.
#pragma once

#include "bench/sluice_bench/embedded_workers.h"
#include "bench/sluice_bench/latency_histogram.h"

#include <sluice/sluice.h>

#include <atomic>
#include <optional>
#include <string>

namespace sluice::bench {

// Bytes of the times at the start of an e2e event's value.
inline constexpr uint64_t kStampBytes = 16;

struct SendTally {
  // release by each producer when it is done, acquire by the consumer.
  std::atomic<uint64_t> sent{0};
  std::atomic<uint32_t> producers_done{0};
};

struct ProducerPlan {
  Engine* engine = nullptr;
  const EmbeddedOptions* options = nullptr;
  std::string topic;
  uint32_t index = 0;           // 0 .. producers - 1
  SendTally* tally = nullptr;   // e2e: where the consumer learns the totals; else null
  bool stamp_value = false;     // e2e: write the send times into the value
  bool count_progress = false;  // completions feed the progress line (produce)
};

class ProducerWorker final : public Worker {
 public:
  explicit ProducerWorker(ProducerPlan plan);

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
  Result<void> send(int64_t intended_ns, int64_t send_ns);
  Event make_event(int64_t intended_ns, int64_t send_ns) const;
  void on_delivery(int64_t intended_ns, const Result<Delivery>& delivery);

  ProducerPlan plan_;
  std::optional<Producer> producer_;
  std::string value_template_;
  std::string key_template_;
  LatencyHistogram ack_latency_ns_;
  LatencyHistogram send_delay_ns_;
  uint64_t sent_ = 0;
  uint64_t completed_ = 0;
  int64_t last_completion_ns_ = 0;
  ErrorTally errors_;
  ProgressCounter progress_;
};

}  // namespace sluice::bench
