// sluice-bench redis: Redis Streams measured like sluiced, for comparison.
// - xadd: P connections (a thread each) append `event_bytes` values with XADD <key> * v <value>,
//   `pipeline` commands per write. Closed loop: a write of `pipeline` commands, then their
//   replies. Open loop: each command has its intended send time; a connection sends every
//   command already due (at most `pipeline`) in one write, then reads their replies. Latency is
//   from each command's send time (closed loop) or intended time (open loop) to its reply.
// - xrange: fills the stream with ids 0-1 .. 0-N (outside the measured time), then R connections
//   read one entry with XRANGE <key> 0-i 0-i at ids drawn uniformly, one request at a time.
#include "bench/sluice_bench/draws.h"
#include "bench/sluice_bench/embedded_pacer.h"
#include "bench/sluice_bench/embedded_workers.h"
#include "bench/sluice_bench/remote_bench.h"
#include "bench/sluice_bench/resp_client.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <random>
#include <vector>

namespace sluice::bench {
namespace {

constexpr uint64_t kFillPipeline = 1000;

std::string random_letters(uint64_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string bytes(size, '\0');
  for (char& c : bytes)
    c = static_cast<char>('a' + rng() % 26);
  return bytes;
}

Result<RespConnection> connect(const RemoteOptions& o) {
  Result<io::HostPort> address = io::parse_host_port(o.address);
  if (!address.ok()) return std::move(address).error();
  return RespConnection::open(*address);
}

Error reply_error(const std::string& what, const RespReply& reply) {
  return Error(Errc::io_error, what + ": " + (reply.type == '-' ? reply.text : "unexpected reply"));
}

// One thread's connection, for both workloads.
class RedisWorker final : public Worker {
 public:
  RedisWorker(const RemoteOptions& options, const std::string& key, uint32_t index,
              uint32_t threads)
      : options_(options), key_(key), index_(index), threads_(threads), draws_(7 + index) {
    value_ = random_letters(options.event_bytes, 1000 + index);
  }

  Result<void> prepare() override {
    Result<RespConnection> made = connect(options_);
    if (!made.ok()) return std::move(made).error();
    redis_.emplace(std::move(*made));
    return {};
  }
  Result<void> run(int64_t start_ns) override;
  uint64_t progress() const override { return progress_.load(); }

  const LatencyHistogram& latency_ns() const { return latency_ns_; }
  const LatencyHistogram& send_delay_ns() const { return send_delay_ns_; }
  uint64_t sent() const { return sent_; }
  uint64_t done() const { return done_; }
  int64_t last_done_ns() const { return last_done_ns_; }
  const ErrorTally& errors() const { return errors_; }

 private:
  bool xadd() const { return options_.workload == RemoteWorkload::xadd; }
  // Sends the commands whose intended times are `due` and reads their replies.
  Result<void> exchange(const std::vector<int64_t>& due);
  void append_command();
  void check(const RespReply& reply, const std::string& expected_id);

  const RemoteOptions& options_;
  const std::string& key_;
  uint32_t index_;
  uint32_t threads_;
  Draws draws_;
  std::string value_;
  std::vector<std::string> expected_ids_;  // xrange: the id each command in flight asks for
  std::optional<RespConnection> redis_;
  LatencyHistogram latency_ns_;
  LatencyHistogram send_delay_ns_;
  uint64_t sent_ = 0;
  uint64_t done_ = 0;
  int64_t last_done_ns_ = 0;
  ErrorTally errors_;
  ProgressCounter progress_;
};

void RedisWorker::append_command() {
  if (xadd()) {
    redis_->append({"XADD", key_, "*", "v", value_});
    return;
  }
  const std::string id = "0-" + std::to_string(1 + draws_.next() % options_.fill_events);
  redis_->append({"XRANGE", key_, id, id});
  expected_ids_.push_back(id);
}

void RedisWorker::check(const RespReply& reply, const std::string& expected_id) {
  const bool ok = xadd() ? reply.type == '$' && !reply.null
                         : reply.type == '*' && reply.elements == 1 && reply.text == expected_id;
  if (!ok) {
    errors_.add(reply_error(xadd() ? "XADD" : "XRANGE " + expected_id, reply));
    return;
  }
  ++done_;
}

Result<void> RedisWorker::exchange(const std::vector<int64_t>& due) {
  expected_ids_.clear();
  for (size_t i = 0; i < due.size(); ++i)
    append_command();
  SLUICE_TRY(redis_->flush());
  sent_ += due.size();
  const uint64_t done_before = done_;
  for (size_t i = 0; i < due.size(); ++i) {
    Result<RespReply> reply = redis_->read_reply();
    if (!reply.ok()) {
      errors_.add(reply.error());
      return std::move(reply).error();
    }
    const int64_t now = steady_now_ns();
    const uint64_t before = done_;
    check(*reply, xadd() ? std::string() : expected_ids_[i]);
    if (done_ > before) {
      latency_ns_.record(static_cast<uint64_t>(std::max<int64_t>(0, now - due[i])));
      last_done_ns_ = now;
    }
  }
  progress_.add(done_ - done_before);
  return {};
}

Result<void> RedisWorker::run(int64_t start_ns) {
  const int64_t end_ns = start_ns + static_cast<int64_t>(options_.seconds * 1e9);
  const size_t window = xadd() ? options_.pipeline : 1;
  std::vector<int64_t> due;
  due.reserve(window);
  if (options_.rate <= 0) {
    for (int64_t now = steady_now_ns(); now < end_ns; now = steady_now_ns()) {
      due.assign(window, now);
      SLUICE_TRY(exchange(due));
    }
    return {};
  }
  const Pacer pacer(start_ns + static_cast<int64_t>(index_ * 1e9 / options_.rate),
                    options_.rate / threads_);
  Pacer::tighten_timer_slack();
  for (uint64_t k = 0;;) {
    if (pacer.due_ns(k) >= end_ns) return {};
    Pacer::wait_until(pacer.due_ns(k), steady_now_ns, [] {});
    const int64_t now = steady_now_ns();
    due.clear();
    while (due.size() < window && pacer.due_ns(k) <= now && pacer.due_ns(k) < end_ns) {
      due.push_back(pacer.due_ns(k));
      send_delay_ns_.record(static_cast<uint64_t>(now - pacer.due_ns(k)));
      ++k;
    }
    SLUICE_TRY(exchange(due));
  }
}

Result<void> fill(const RemoteOptions& o, const std::string& key) {
  Result<RespConnection> redis = connect(o);
  if (!redis.ok()) return std::move(redis).error();
  const std::string value = random_letters(o.event_bytes, 42);
  for (uint64_t first = 1; first <= o.fill_events; first += kFillPipeline) {
    const uint64_t last = std::min(o.fill_events, first + kFillPipeline - 1);
    for (uint64_t i = first; i <= last; ++i) {
      redis->append({"XADD", key, "0-" + std::to_string(i), "v", value});
    }
    SLUICE_TRY(redis->flush());
    for (uint64_t i = first; i <= last; ++i) {
      Result<RespReply> reply = redis->read_reply();
      if (!reply.ok()) return std::move(reply).error();
      if (reply->type != '$') return reply_error("XADD (the fill)", *reply);
    }
  }
  return {};
}

}  // namespace

Result<RemoteResult> run_redis_bench(const RemoteOptions& o) {
  RemoteResult result;
  result.topic = o.topic.empty() ? fresh_topic_name() : o.topic;
  const bool xadd = o.workload == RemoteWorkload::xadd;
  if (!xadd) {
    const int64_t fill_start_ns = steady_now_ns();
    SLUICE_TRY(fill(o, result.topic));
    result.fill_s = static_cast<double>(steady_now_ns() - fill_start_ns) / 1e9;
    result.filled_events = o.fill_events;
  }
  const uint32_t threads = xadd ? o.producers : o.readers;
  std::vector<std::unique_ptr<RedisWorker>> connections;
  std::vector<Worker*> workers;
  for (uint32_t i = 0; i < threads; ++i) {
    connections.push_back(std::make_unique<RedisWorker>(o, result.topic, i, threads));
    workers.push_back(connections.back().get());
  }
  Result<int64_t> start_ns = run_workers(workers);
  if (!start_ns.ok()) return std::move(start_ns).error();
  int64_t last_ns = *start_ns;
  for (const auto& connection : connections) {
    result.latency_ns.merge(connection->latency_ns());
    result.send_delay_ns.merge(connection->send_delay_ns());
    result.events += connection->done();
    if (xadd) result.sent += connection->sent();
    last_ns = std::max(last_ns, connection->last_done_ns());
    connection->errors().merge_into(result);
  }
  result.elapsed_s = static_cast<double>(last_ns - *start_ns) / 1e9;
  return result;
}

}  // namespace sluice::bench
