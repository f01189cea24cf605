// ConsumerWorker: the consumer of the e2e workload, the one member of a fresh group reading
// every partition of the topic. It joins the group before the clock starts, then receives until
// it has every event the producers sent (or until a drain deadline after they stopped), and
// records each event's latency from the send time stamped in its value to the moment it was
// received: when poll() returned it (--delivery poll), or when on_events was called with it on
// the shard's thread (--delivery callback; the worker's thread then only polls for membership).
//
// Thread-safety: prepare() and run() on the worker's thread; with callback delivery the figures
// are also written from the shards' threads, under mutex_. The accessors after run_workers
// returned (run() closed the consumer, which stops every delivery).
#pragma once

#include "bench/sluice_bench/embedded_producer.h"
#include "bench/sluice_bench/embedded_workers.h"
#include "bench/sluice_bench/latency_histogram.h"

#include <sluice/sluice.h>

#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace sluice::bench {

struct ConsumerPlan {
  Engine* engine = nullptr;
  const EmbeddedOptions* options = nullptr;
  std::string topic;
  std::string group;
  SendTally* tally = nullptr;
};

class ConsumerWorker final : public Worker {
 public:
  explicit ConsumerWorker(ConsumerPlan plan) : plan_(std::move(plan)) {}

  Result<void> prepare() override;
  Result<void> run(int64_t start_ns) override;
  uint64_t progress() const override { return progress_.load(); }

  const LatencyHistogram& latency_ns() const { return latency_ns_; }
  const LatencyHistogram& latency_intended_ns() const { return latency_intended_ns_; }
  uint64_t received() const { return received_; }
  uint64_t missing() const { return missing_; }
  int64_t last_receive_ns() const { return last_receive_ns_; }
  const ErrorTally& errors() const { return errors_; }

 private:
  void take(std::span<const Record> records, int64_t now_ns);
  // True when every producer is done and everything they sent arrived, or the drain deadline
  // after they stopped has passed.
  bool finished(int64_t now_ns);

  ConsumerPlan plan_;
  std::optional<Consumer> consumer_;
  // Callback delivery: the figures below are written by the shards' threads too.
  std::mutex mutex_;
  LatencyHistogram latency_ns_;
  LatencyHistogram latency_intended_ns_;
  uint64_t received_ = 0;
  uint64_t missing_ = 0;
  int64_t last_receive_ns_ = 0;
  int64_t drain_deadline_ns_ = 0;  // 0 until the producers are done
  ErrorTally errors_;
  ProgressCounter progress_;
};

}  // namespace sluice::bench
