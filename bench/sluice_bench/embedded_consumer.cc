#include "bench/sluice_bench/embedded_consumer.h"

#include <cstring>

namespace sluice::bench {
namespace {

constexpr std::chrono::milliseconds kPollTimeout{100};
constexpr std::chrono::milliseconds kJoinTimeout{30000};
// How long the consumer still waits for missing events once the producers are done.
constexpr int64_t kDrainNs = 30'000'000'000;

int64_t read_int64(const char* bytes) {
  int64_t value = 0;
  std::memcpy(&value, bytes, sizeof value);
  return value;
}

}  // namespace

Result<void> ConsumerWorker::prepare() {
  ConsumerOptions options;
  options.group = plan_.group;
  options.topics = {plan_.topic};
  options.reset = OffsetReset::earliest;
  if (plan_.options->callback_delivery) {
    options.on_events = [this](std::span<const Record> records) {
      const int64_t now = steady_now_ns();
      std::lock_guard lock(mutex_);
      take(records, now);
    };
  }
  Result<Consumer> made = plan_.engine->consumer(options);
  if (!made.ok()) return std::move(made).error();
  consumer_.emplace(std::move(*made));
  // Join the group and take every partition before the clock starts: the first poll joins.
  const auto until = std::chrono::steady_clock::now() + kJoinTimeout;
  while (consumer_->assignment().size() < plan_.options->partitions) {
    if (std::chrono::steady_clock::now() > until) {
      return Error(Errc::timed_out, "the consumer was not assigned every partition in 30 s");
    }
    Result<std::vector<Record>> polled = consumer_->poll(std::chrono::milliseconds(10));
    if (!polled.ok()) return std::move(polled).error();
  }
  return {};
}

Result<void> ConsumerWorker::run(int64_t /*start_ns*/) {
  while (true) {
    Result<std::vector<Record>> polled = consumer_->poll(kPollTimeout);
    const int64_t now = steady_now_ns();
    if (!polled.ok()) {
      errors_.add(polled.error());
      consumer_.reset();
      return std::move(polled).error();
    }
    std::lock_guard lock(mutex_);
    take(*polled, now);
    if (finished(now)) break;
  }
  Result<void> closed = consumer_->close();
  consumer_.reset();
  return closed;
}

void ConsumerWorker::take(std::span<const Record> records, int64_t now_ns) {
  if (records.empty()) return;
  for (const Record& record : records) {
    if (!record.value || record.value->size() < kStampBytes) {
      errors_.add(Error(Errc::corruption, "an event without its send times"));
      continue;
    }
    const int64_t send_ns = read_int64(record.value->data());
    const int64_t intended_ns = read_int64(record.value->data() + sizeof(int64_t));
    latency_ns_.record(static_cast<uint64_t>(std::max<int64_t>(0, now_ns - send_ns)));
    latency_intended_ns_.record(static_cast<uint64_t>(std::max<int64_t>(0, now_ns - intended_ns)));
    ++received_;
  }
  last_receive_ns_ = now_ns;
  progress_.add(records.size());
}

bool ConsumerWorker::finished(int64_t now_ns) {
  // acquire: pairs with each producer's release, so that `sent` holds all of their counts.
  if (plan_.tally->producers_done.load(std::memory_order_acquire) < plan_.options->producers) {
    return false;
  }
  const uint64_t sent = plan_.tally->sent.load(std::memory_order_acquire);
  if (received_ >= sent) return true;
  if (drain_deadline_ns_ == 0) drain_deadline_ns_ = now_ns + kDrainNs;
  if (now_ns < drain_deadline_ns_) return false;
  missing_ = sent - received_;
  return true;
}

}  // namespace sluice::bench
