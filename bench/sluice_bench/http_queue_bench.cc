// sluice-bench http queue: a topic consumed as a work queue over sluiced's HTTP API. Makes the
// topic and fills it (outside the measured time, as the query workload does), then C consumer
// threads, each on its own keep-alive connection, repeat: POST .../receive (up to B events,
// locked) and POST .../ack of every event received, for one group. The figures are events
// acknowledged per second and the latency of each receive + ack round trip (one sample per
// batch), from its intended start: closed loop, the moment the previous round trip ended; open
// loop (--rate events/s in all, so rate / B round trips per second), its due time, so that a
// stalled server cannot hide the stall.
//
// A consumer stops at the end of the run, or earlier when a receive that waited finds the
// queue empty (the fill is used up); the rate counts to the last ack.
#include "bench/sluice_bench/embedded_pacer.h"
#include "bench/sluice_bench/embedded_workers.h"
#include "bench/sluice_bench/http_topic.h"
#include "bench/sluice_bench/remote_bench.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sluice::bench {
namespace {

using Json = nlohmann::json;

// How long a receive waits for events before the consumer takes the queue as drained.
constexpr int kDrainWaitMs = 500;

// What an ack names.
struct LockRef {
  uint64_t partition = 0;
  uint64_t offset = 0;
  std::string lock_token;
};

// Picks the lock references out of a receive answer ({"events": [{"partition", "offset",
// "lock_token", ...}, ...]}) as nlohmann's SAX parser reads it: no document is built, and the
// values and headers of the events are skipped. Depth 1 is the answer object, 2 the events
// array, 3 an event.
class LockRefScanner {
 public:
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using string_t = Json::string_t;
  using binary_t = Json::binary_t;

  explicit LockRefScanner(std::vector<LockRef>* refs) : refs_(refs) {}

  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(number_integer_t value) {
    return value >= 0 && number_unsigned(static_cast<number_unsigned_t>(value));
  }
  bool number_unsigned(number_unsigned_t value) {
    if (in_event()) {
      if (key_ == "partition") {
        current_.partition = value;
        seen_ |= kPartition;
      } else if (key_ == "offset") {
        current_.offset = value;
        seen_ |= kOffset;
      }
    }
    return true;
  }
  bool number_float(number_float_t, const string_t&) { return true; }
  bool string(string_t& value) {
    if (in_event() && key_ == "lock_token") {
      current_.lock_token = std::move(value);
      seen_ |= kToken;
    }
    return true;
  }
  bool binary(binary_t&) { return true; }
  bool start_object(size_t) {
    ++depth_;
    if (in_event()) {
      current_ = LockRef{};
      seen_ = 0;
    }
    return true;
  }
  bool end_object() {
    if (in_event()) {
      if (seen_ != (kPartition | kOffset | kToken)) return false;  // an event we cannot ack
      refs_->push_back(std::move(current_));
    }
    --depth_;
    return true;
  }
  bool start_array(size_t) {
    ++depth_;
    return true;
  }
  bool end_array() {
    --depth_;
    return true;
  }
  bool key(string_t& name) {
    if (depth_ == 1) events_ = name == "events";
    if (depth_ == 3) key_ = std::move(name);
    return true;
  }
  bool parse_error(size_t, const std::string&, const nlohmann::detail::exception&) { return false; }

 private:
  static constexpr int kPartition = 1, kOffset = 2, kToken = 4;
  bool in_event() const { return events_ && depth_ == 3; }

  std::vector<LockRef>* refs_;
  int depth_ = 0;
  bool events_ = false;  // inside the answer's "events" member
  std::string key_;      // the event member being read
  LockRef current_;
  int seen_ = 0;
};

// `text` as a JSON string's contents (lock tokens are plain text; this keeps any byte safe).
void append_json_string(std::string& out, std::string_view text) {
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += c;
    }
  }
}

class QueueConsumerWorker final : public Worker {
 public:
  QueueConsumerWorker(const RemoteOptions& options, const std::string& queue_path, uint32_t index)
      : options_(options),
        index_(index),
        receive_path_(queue_path + "/receive"),
        ack_path_(queue_path + "/ack"),
        receive_body_("{\"max_events\": " + std::to_string(options.batch_events) +
                      ", \"wait_ms\": " + std::to_string(kDrainWaitMs) +
                      ", \"lock_ms\": " + std::to_string(options.lock_ms) + "}") {}

  Result<void> prepare() override;
  Result<void> run(int64_t start_ns) override;
  uint64_t progress() const override { return progress_.load(); }

  const LatencyHistogram& latency_ns() const { return latency_ns_; }
  const LatencyHistogram& send_delay_ns() const { return send_delay_ns_; }
  uint64_t received() const { return received_; }
  uint64_t acked() const { return acked_; }
  uint64_t round_trips() const { return round_trips_; }
  bool drained() const { return drained_; }
  int64_t last_ack_ns() const { return last_ack_ns_; }
  const ErrorTally& errors() const { return errors_; }

 private:
  // One receive and the ack of what it brought. Errors of the connection end the worker.
  Result<void> round_trip(int64_t intended_ns);
  Result<void> ack(const std::vector<LockRef>& refs);

  const RemoteOptions& options_;
  uint32_t index_;
  std::string receive_path_;
  std::string ack_path_;
  std::string receive_body_;
  std::optional<tools::HttpClient> http_;
  std::vector<LockRef> refs_;
  std::string ack_body_;
  LatencyHistogram latency_ns_;
  LatencyHistogram send_delay_ns_;
  uint64_t received_ = 0;
  uint64_t acked_ = 0;
  uint64_t round_trips_ = 0;
  bool drained_ = false;
  int64_t last_ack_ns_ = 0;
  ErrorTally errors_;
  ProgressCounter progress_;
};

Result<void> QueueConsumerWorker::prepare() {
  Result<tools::HttpClient> http = connect_sluiced(options_.address);
  if (!http.ok()) return std::move(http).error();
  http_.emplace(std::move(*http));
  return {};
}

Result<void> QueueConsumerWorker::run(int64_t start_ns) {
  const int64_t end_ns = start_ns + static_cast<int64_t>(options_.seconds * 1e9);
  if (options_.rate <= 0) {
    for (int64_t now = steady_now_ns(); now < end_ns && !drained_; now = steady_now_ns())
      SLUICE_TRY(round_trip(now));
    return {};
  }
  // rate events/s in all: each consumer starts rate / (B * C) round trips per second.
  const double round_trips_per_sec =
      options_.rate / static_cast<double>(options_.batch_events) / options_.consumers;
  const Pacer pacer(
      start_ns + static_cast<int64_t>(index_ * 1e9 / round_trips_per_sec / options_.consumers),
      round_trips_per_sec);
  Pacer::tighten_timer_slack();
  for (uint64_t k = 0; !drained_; ++k) {
    const int64_t due_ns = pacer.due_ns(k);
    if (due_ns >= end_ns) return {};
    Pacer::wait_until(due_ns, steady_now_ns, [] {});
    send_delay_ns_.record(static_cast<uint64_t>(std::max<int64_t>(0, steady_now_ns() - due_ns)));
    SLUICE_TRY(round_trip(due_ns));
  }
  return {};
}

Result<void> QueueConsumerWorker::round_trip(int64_t intended_ns) {
  Result<tools::HttpResponse> response = http_->post(receive_path_, receive_body_);
  if (!response.ok()) {
    errors_.add(response.error());
    return std::move(response).error();
  }
  if (response->status != 200) {  // no events to work on: the run cannot go on
    Error error = http_error("POST " + receive_path_, *response);
    errors_.add(error);
    return error;
  }
  refs_.clear();
  LockRefScanner scanner(&refs_);
  if (!Json::sax_parse(response->body, &scanner)) {
    errors_.add(Error(Errc::invalid_argument, "POST " + receive_path_ + ": unreadable answer " +
                                                  response->body.substr(0, 200)));
    return {};
  }
  if (refs_.empty()) {
    drained_ = true;  // the receive waited kDrainWaitMs and found nothing
    return {};
  }
  received_ += refs_.size();
  SLUICE_TRY(ack(refs_));
  const int64_t now = steady_now_ns();
  latency_ns_.record(static_cast<uint64_t>(std::max<int64_t>(0, now - intended_ns)));
  ++round_trips_;
  last_ack_ns_ = now;
  return {};
}

Result<void> QueueConsumerWorker::ack(const std::vector<LockRef>& refs) {
  ack_body_.assign("{\"events\":[");
  for (size_t i = 0; i < refs.size(); ++i) {
    if (i > 0) ack_body_ += ',';
    ack_body_.append("{\"partition\":").append(std::to_string(refs[i].partition));
    ack_body_.append(",\"offset\":").append(std::to_string(refs[i].offset));
    ack_body_.append(",\"lock_token\":\"");
    append_json_string(ack_body_, refs[i].lock_token);
    ack_body_.append("\"}");
  }
  ack_body_ += "]}";
  Result<tools::HttpResponse> response = http_->post(ack_path_, ack_body_);
  if (!response.ok()) {
    errors_.add(response.error());
    return std::move(response).error();
  }
  // 200 {"acked": n}; 409 {"acked": n, "failed": [...]} when some locks were lost.
  const Json answer = Json::parse(response->body, nullptr, false);
  const auto acked = answer.find("acked");  // end() too when the answer is no object
  if (acked == answer.end() || !acked->is_number_unsigned()) {
    errors_.add(http_error("POST " + ack_path_, *response));
    return {};
  }
  const auto count = acked->get<uint64_t>();
  acked_ += count;
  progress_.add(count);
  if (response->status != 200 || count != refs.size()) {
    errors_.add(
        http_error("POST " + ack_path_ + " (" + std::to_string(refs.size() - count) + " not acked)",
                   *response));
  }
  return {};
}

}  // namespace

Result<RemoteResult> run_http_queue_bench(const RemoteOptions& o) {
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

  const std::string group = o.group.empty() ? result.topic + "-workers" : o.group;
  const std::string queue_path = "/v1/groups/" + tools::percent_encode(group) + "/topics/" +
                                 tools::percent_encode(result.topic);
  std::vector<std::unique_ptr<QueueConsumerWorker>> consumers;
  std::vector<Worker*> workers;
  for (uint32_t i = 0; i < o.consumers; ++i) {
    consumers.push_back(std::make_unique<QueueConsumerWorker>(o, queue_path, i));
    workers.push_back(consumers.back().get());
  }
  Result<int64_t> start_ns = run_workers(workers);
  if (!start_ns.ok()) return std::move(start_ns).error();
  int64_t last_ns = *start_ns;
  for (const auto& consumer : consumers) {
    result.latency_ns.merge(consumer->latency_ns());
    result.send_delay_ns.merge(consumer->send_delay_ns());
    result.events += consumer->acked();
    result.sent += consumer->received();
    result.round_trips += consumer->round_trips();
    result.drained = result.drained || consumer->drained();
    last_ns = std::max(last_ns, consumer->last_ack_ns());
    consumer->errors().merge_into(result);
  }
  result.elapsed_s = static_cast<double>(last_ns - *start_ns) / 1e9;
  return result;
}

}  // namespace sluice::bench
