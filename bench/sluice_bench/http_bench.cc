// sluice-bench http query: makes the topic (PUT /v1/topics/{t}), fills it over
// POST /v1/topics/{t}/events (outside the measured time), reads the partitions' offsets from
// GET /v1/topics/{t}, then R reader threads, each on its own keep-alive connection, time
// GET /v1/topics/{t}/partitions/{p}/events/{offset} at offsets drawn uniformly from the fill.
// A reader has one request in flight at a time; in open loop a late answer delays the next
// request, and its latency still counts from its intended send time.
#include "bench/sluice_bench/draws.h"
#include "bench/sluice_bench/embedded_pacer.h"
#include "bench/sluice_bench/embedded_workers.h"
#include "bench/sluice_bench/http_client.h"
#include "bench/sluice_bench/remote_bench.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <memory>
#include <random>
#include <vector>

namespace sluice::bench {
namespace {

// sluiced takes at most 512 events per POST (server/http/produce_handler.cc).
constexpr uint64_t kFillEventsPerRequest = 500;

struct PartitionRange {
  int32_t partition = 0;
  int64_t earliest = 0;
  int64_t latest = 0;  // the next offset
};

Error http_error(const std::string& what, const HttpResponse& response) {
  return Error(Errc::io_error, what + ": HTTP " + std::to_string(response.status) + " " +
                                   std::string(response.body.substr(0, 200)));
}

Result<void> create_topic(HttpConnection& http, const RemoteOptions& o, const std::string& topic) {
  const std::string body = "{\"partitions\": " + std::to_string(o.partitions) + "}";
  Result<HttpResponse> response =
      http.exchange(http.json_request("PUT", "/v1/topics/" + topic, body));
  if (!response.ok()) return std::move(response).error();
  if (response->status != 200 && response->status != 201) {
    return http_error("PUT /v1/topics/" + topic, *response);
  }
  return {};
}

// One POST body: `count` events of letters, to the partitions in turn from `first`.
std::string fill_body(const RemoteOptions& o, uint64_t first, uint64_t count,
                      const std::string& value) {
  std::string body = "[";
  for (uint64_t i = first; i < first + count; ++i) {
    if (i > first) body += ',';
    body += "{\"partition\":" + std::to_string(i % o.partitions) + ",\"value\":\"" + value + "\"}";
  }
  body += ']';
  return body;
}

Result<void> fill(HttpConnection& http, const RemoteOptions& o, const std::string& topic) {
  std::mt19937_64 rng(42);
  std::string value(o.event_bytes, 'a');
  for (char& c : value)
    c = static_cast<char>('a' + rng() % 26);
  const std::string path = "/v1/topics/" + topic + "/events";
  for (uint64_t first = 0; first < o.fill_events; first += kFillEventsPerRequest) {
    const uint64_t count = std::min(kFillEventsPerRequest, o.fill_events - first);
    Result<HttpResponse> response =
        http.exchange(http.json_request("POST", path, fill_body(o, first, count, value)));
    if (!response.ok()) return std::move(response).error();
    if (response->status != 200) return http_error("POST " + path, *response);
  }
  return {};
}

Result<std::vector<PartitionRange>> filled_ranges(HttpConnection& http, const std::string& topic) {
  Result<HttpResponse> response = http.exchange(http.get_request("/v1/topics/" + topic));
  if (!response.ok()) return std::move(response).error();
  if (response->status != 200) return http_error("GET /v1/topics/" + topic, *response);
  const nlohmann::json description = nlohmann::json::parse(response->body, nullptr, false);
  if (description.is_discarded() || !description.contains("partitions")) {
    return Error(Errc::invalid_argument, "GET /v1/topics/" + topic + ": not a topic description");
  }
  std::vector<PartitionRange> ranges;
  for (const auto& p : description["partitions"]) {
    PartitionRange range;
    range.partition = p.value("partition", 0);
    range.earliest = p.value("earliest_offset", int64_t{0});
    range.latest = p.value("latest_offset", int64_t{0});
    if (range.latest > range.earliest) ranges.push_back(range);
  }
  if (ranges.empty()) return Error(Errc::not_found, "the fill left every partition empty");
  return ranges;
}

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
        topic_(topic),
        index_(index),
        ranges_(std::move(ranges)),
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
  const std::string& topic_;
  uint32_t index_;
  std::vector<PartitionRange> ranges_;
  Draws draws_;
  std::optional<HttpConnection> http_;
  LatencyHistogram latency_ns_;
  LatencyHistogram send_delay_ns_;
  uint64_t reads_ = 0;
  int64_t last_read_ns_ = 0;
  ErrorTally errors_;
  ProgressCounter progress_;
};

Result<void> HttpReaderWorker::prepare() {
  Result<io::HostPort> address = io::parse_host_port(options_.address);
  if (!address.ok()) return std::move(address).error();
  Result<HttpConnection> http = HttpConnection::open(*address);
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
  const std::string request =
      http_->get_request("/v1/topics/" + topic_ + "/partitions/" + std::to_string(range.partition) +
                         "/events/" + std::to_string(offset));
  Result<HttpResponse> response = http_->exchange(request);
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
  RemoteResult result;
  result.topic = o.topic.empty() ? fresh_topic_name() : o.topic;
  Result<io::HostPort> address = io::parse_host_port(o.address);
  if (!address.ok()) return std::move(address).error();
  Result<HttpConnection> http = HttpConnection::open(*address);
  if (!http.ok()) return std::move(http).error();
  SLUICE_TRY(create_topic(*http, o, result.topic));
  const int64_t fill_start_ns = steady_now_ns();
  SLUICE_TRY(fill(*http, o, result.topic));
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
