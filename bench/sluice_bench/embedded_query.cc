// The query workload: fills the topic (outside the measured time), then reader threads time
// Engine::read(topic, partition, offset, 1) at offsets drawn uniformly from what was filled.
#include "bench/sluice_bench/draws.h"
#include "bench/sluice_bench/embedded_pacer.h"
#include "bench/sluice_bench/embedded_workers.h"
#include "bench/sluice_bench/embedded_workloads.h"

#include <algorithm>
#include <memory>
#include <vector>

namespace sluice::bench {
namespace {

// The fill is not measured, only waited for: its batches linger until they reach --batch-bytes
// (a read returns the whole batch holding its offset, so their size shapes the read latency).
constexpr std::chrono::microseconds kFillLinger{5000};
constexpr std::chrono::milliseconds kFillFlushTimeout{120000};

Result<void> fill(const WorkloadSetup& setup) {
  const EmbeddedOptions& o = *setup.options;
  ProducerOptions options;
  options.durability = o.acks;
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

class ReaderWorker final : public Worker {
 public:
  ReaderWorker(const WorkloadSetup& setup, uint32_t index, std::vector<PartitionState> ranges)
      : setup_(setup), index_(index), ranges_(std::move(ranges)), draws_(7 + index) {}

  Result<void> prepare() override { return {}; }
  Result<void> run(int64_t start_ns) override;
  uint64_t progress() const override { return progress_.load(); }

  const LatencyHistogram& latency_ns() const { return latency_ns_; }
  uint64_t reads() const { return reads_; }
  int64_t last_read_ns() const { return last_read_ns_; }
  const ErrorTally& errors() const { return errors_; }

 private:
  void read_one(int64_t intended_ns);

  const WorkloadSetup& setup_;
  uint32_t index_;
  std::vector<PartitionState> ranges_;
  Draws draws_;
  LatencyHistogram latency_ns_;
  uint64_t reads_ = 0;
  int64_t last_read_ns_ = 0;
  ErrorTally errors_;
  ProgressCounter progress_;
};

Result<void> ReaderWorker::run(int64_t start_ns) {
  const EmbeddedOptions& o = *setup_.options;
  const int64_t end_ns = start_ns + static_cast<int64_t>(o.seconds * 1e9);
  if (o.rate <= 0) {
    for (int64_t now = steady_now_ns(); now < end_ns; now = steady_now_ns())
      read_one(now);
    return {};
  }
  const Pacer pacer(start_ns + static_cast<int64_t>(index_ * 1e9 / o.rate), o.rate / o.readers);
  Pacer::tighten_timer_slack();
  for (uint64_t k = 0;; ++k) {
    const int64_t due_ns = pacer.due_ns(k);
    if (due_ns >= end_ns) return {};
    Pacer::wait_until(due_ns, steady_now_ns, [] {});
    read_one(due_ns);
  }
}

void ReaderWorker::read_one(int64_t intended_ns) {
  const PartitionState& range = ranges_[draws_.next() % ranges_.size()];
  const uint64_t span = static_cast<uint64_t>(range.latest_offset - range.earliest_offset);
  const int64_t offset = range.earliest_offset + static_cast<int64_t>(draws_.next() % span);
  Result<std::vector<Record>> read = setup_.engine->read(setup_.topic, range.partition, offset, 1);
  const int64_t now = steady_now_ns();
  if (!read.ok()) {
    errors_.add(read.error());
    return;
  }
  if (read->size() != 1 || read->front().offset != offset) {
    errors_.add(Error(Errc::corruption, "read at offset " + std::to_string(offset) +
                                            " did not return that one event"));
    return;
  }
  latency_ns_.record(static_cast<uint64_t>(std::max<int64_t>(0, now - intended_ns)));
  ++reads_;
  last_read_ns_ = now;
  progress_.add(1);
}

// The offsets each partition holds after the fill (partitions left empty are skipped).
Result<std::vector<PartitionState>> filled_ranges(const WorkloadSetup& setup) {
  std::vector<PartitionState> ranges;
  for (uint32_t p = 0; p < setup.options->partitions; ++p) {
    Result<PartitionState> state =
        setup.engine->partition_state(setup.topic, static_cast<int32_t>(p));
    if (!state.ok()) return std::move(state).error();
    if (state->latest_offset > state->earliest_offset) ranges.push_back(*state);
  }
  if (ranges.empty()) return Error(Errc::not_found, "the fill left every partition empty");
  return ranges;
}

}  // namespace

Result<void> run_query_workload(const WorkloadSetup& setup, EmbeddedResult& result) {
  const int64_t fill_start_ns = steady_now_ns();
  SLUICE_TRY(fill(setup));
  result.fill_s = static_cast<double>(steady_now_ns() - fill_start_ns) / 1e9;
  Result<std::vector<PartitionState>> ranges = filled_ranges(setup);
  if (!ranges.ok()) return std::move(ranges).error();
  for (const PartitionState& range : *ranges)
    result.filled_events += static_cast<uint64_t>(range.latest_offset - range.earliest_offset);

  std::vector<std::unique_ptr<ReaderWorker>> readers;
  std::vector<Worker*> workers;
  for (uint32_t i = 0; i < setup.options->readers; ++i) {
    readers.push_back(std::make_unique<ReaderWorker>(setup, i, *ranges));
    workers.push_back(readers.back().get());
  }
  Result<int64_t> start_ns = run_workers(workers);
  if (!start_ns.ok()) return std::move(start_ns).error();
  int64_t last_ns = *start_ns;
  for (const auto& reader : readers) {
    result.latency_ns.merge(reader->latency_ns());
    result.events += reader->reads();
    last_ns = std::max(last_ns, reader->last_read_ns());
    reader->errors().merge_into(result);
  }
  result.elapsed_s = static_cast<double>(last_ns - *start_ns) / 1e9;
  return {};
}

}  // namespace sluice::bench
