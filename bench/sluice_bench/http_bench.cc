// sluice-bench http query: makes the topic (PUT /v1/topics/{t}), fills it over
// POST /v1/topics/{t}/events (outside the measured time), reads the partitions' offsets from
// GET /v1/topics/{t}, then R reader threads, each on its own keep-alive connection, time
// GET /v1/topics/{t}/partitions/{p}/events/{offset} at offsets drawn uniformly from the fill.
// A reader has one request in flight at a time; in open loop a late answer delays the next
// request, and its latency still counts from its intended send time.
#include "bench/sluice_bench/draws.h"
#include "bench/sluice_bench/embedded_pacer.h"
#include "bench/sluice_bench/embedded_workers.h"
#include "bench/sluice_bench/http_topic.h"
#include "bench/sluice_bench/remote_bench.h"

#include <algorithm>
#include <charconv>
#include <memory>
#include <optional>
#include <vector>

namespace sluice::bench {
namespace {

// The offset in a single-event answer ({"partition":p,"offset":o,...}); -1 when missing.
int64_t offset_in(std::string_view body) {
  constexpr std::string_view kKey = "\"offset\":";
  const size_t at = body.find(kKey);
  if (at == std::string_view::npos) return -1;
  int64_t offset = -1;
  const char* begin = body.data() + at + kKey.size();
  std::from_chars(begin, body.data() + body.size(), offset);
  return offset;
}

class HttpReaderWorker final : public Worker {
 public:
  HttpReaderWorker(const RemoteOptions& options, const std::string& topic, uint32_t index,
                   std::vector<PartitionRange> ranges)
      : options_(options),
        index_(index),
        ranges_(std::move(ranges)),
        path_("/v1/topics/" + tools::percent_encode(topic) + "/partitions/"),
        draws_(7 + index) {}

  Result<void> prepare() override;
  Result<void> run(int64_t start_ns) override;
  uint64_t progress() const override { return progress_.load(); }

  const LatencyHistogram& latency_ns() const { return latency_ns_; }
  const LatencyHistogram& send_delay_ns() const { return send_delay_ns_; }
  uint64_t reads() const { return reads_; }
  int64_t last_read_ns() const { return last_read_ns_; }
  const ErrorTally& errors() const { return errors_; }

 private:
  Result<void> read_one(int64_t intended_ns);

  const RemoteOptions& options_;
  uint32_t index_;
  std::vector<PartitionRange> ranges_;
  std::string path_;  // "/v1/topics/{topic}/partitions/"
  Draws draws_;
  std::optional<tools::HttpClient> http_;
  LatencyHistogram latency_ns_;
  LatencyHistogram send_delay_ns_;
  uint64_t reads_ = 0;
  int64_t last_read_ns_ = 0;
  ErrorTally errors_;
  ProgressCounter progress_;
};

Result<void> HttpReaderWorker::prepare() {
  Result<tools::HttpClient> http = connect_sluiced(options_.address);
  if (!http.ok()) return std::move(http).error();
  http_.emplace(std::move(*http));
  return {};
}

Result<void> HttpReaderWorker::run(int64_t start_ns) {
  const int64_t end_ns = start_ns + static_cast<int64_t>(options_.seconds * 1e9);
  if (options_.rate <= 0) {
    for (int64_t now = steady_now_ns(); now < end_ns; now = steady_now_ns())
      SLUICE_TRY(read_one(now));
    return {};
  }
  const Pacer pacer(start_ns + static_cast<int64_t>(index_ * 1e9 / options_.rate),
                    options_.rate / options_.readers);
  Pacer::tighten_timer_slack();
  for (uint64_t k = 0;; ++k) {
    const int64_t due_ns = pacer.due_ns(k);
    if (due_ns >= end_ns) return {};
    Pacer::wait_until(due_ns, steady_now_ns, [] {});
    send_delay_ns_.record(static_cast<uint64_t>(std::max<int64_t>(0, steady_now_ns() - due_ns)));
    SLUICE_TRY(read_one(due_ns));
  }
}

Result<void> HttpReaderWorker::read_one(int64_t intended_ns) {
  const PartitionRange& range = ranges_[draws_.next() % ranges_.size()];
  const uint64_t span = static_cast<uint64_t>(range.latest - range.earliest);
  const int64_t offset = range.earliest + static_cast<int64_t>(draws_.next() % span);
  Result<tools::HttpResponse> response =
      http_->get(path_ + std::to_string(range.partition) + "/events/" + std::to_string(offset));
  const int64_t now = steady_now_ns();
  if (!response.ok()) {
    errors_.add(response.error());
    return std::move(response).error();  // the connection is unusable
  }
  if (response->status != 200 || offset_in(response->body) != offset) {
    errors_.add(http_error("GET offset " + std::to_string(offset), *response));
    return {};
  }
  latency_ns_.record(static_cast<uint64_t>(std::max<int64_t>(0, now - intended_ns)));
  ++reads_;
  last_read_ns_ = now;
  progress_.add(1);
  return {};
}

}  // namespace

Result<RemoteResult> run_http_bench(const RemoteOptions& o) {
  if (o.workload == RemoteWorkload::queue) return run_http_queue_bench(o);
  RemoteResult result;
  result.topic = o.topic.empty() ? fresh_topic_name() : o.topic;
  Result<tools::HttpClient> http = connect_sluiced(o.address);
  if (!http.ok()) return std::move(http).error();
  SLUICE_TRY(create_topic(*http, o, result.topic));
  const int64_t fill_start_ns = steady_now_ns();
  SLUICE_TRY(fill_topic(*http, o, result.topic));
  result.fill_s = static_cast<double>(steady_now_ns() - fill_start_ns) / 1e9;
  Result<std::vector<PartitionRange>> ranges = filled_ranges(*http, result.topic);
  if (!ranges.ok()) return std::move(ranges).error();
  for (const PartitionRange& range : *ranges)
    result.filled_events += static_cast<uint64_t>(range.latest - range.earliest);

  std::vector<std::unique_ptr<HttpReaderWorker>> readers;
  std::vector<Worker*> workers;
  for (uint32_t i = 0; i < o.readers; ++i) {
    readers.push_back(std::make_unique<HttpReaderWorker>(o, result.topic, i, *ranges));
    workers.push_back(readers.back().get());
  }
  Result<int64_t> start_ns = run_workers(workers);
  if (!start_ns.ok()) return std::move(start_ns).error();
  int64_t last_ns = *start_ns;
  for (const auto& reader : readers) {
    result.latency_ns.merge(reader->latency_ns());
    result.send_delay_ns.merge(reader->send_delay_ns());
    result.events += reader->reads();
    last_ns = std::max(last_ns, reader->last_read_ns());
    reader->errors().merge_into(result);
  }
  result.elapsed_s = static_cast<double>(last_ns - *start_ns) / 1e9;
  return result;
}

}  // namespace sluice::bench
