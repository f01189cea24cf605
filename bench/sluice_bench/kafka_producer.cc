#include "bench/sluice_bench/kafka_producer.h"

#include "bench/sluice_bench/embedded_pacer.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <random>

namespace sluice::bench {
namespace {

constexpr int kFlushTimeoutMs = 60000;
// While librdkafka's queue is full, poll for delivery reports this long before trying again.
constexpr int kQueueFullPollMs = 1;
// Closed loop: serve the delivery reports every this many events.
constexpr uint64_t kPollEvery = 64;

std::string random_letters(uint64_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string bytes(size, '\0');
  for (char& c : bytes)
    c = static_cast<char>('a' + rng() % 26);
  return bytes;
}

// Writes `number` in hexadecimal into the last (at most 16) characters of `text`.
void write_hex_tail(std::string& text, uint64_t number) {
  constexpr char kDigits[] = "0123456789abcdef";
  for (size_t i = 0; i < text.size() && i < 16; ++i, number >>= 4) {
    text[text.size() - 1 - i] = kDigits[number & 15];
  }
}

}  // namespace

KafkaSettings kafka_producer_settings(const RemoteOptions& o) {
  char linger_ms[32];
  std::snprintf(linger_ms, sizeof linger_ms, "%g", static_cast<double>(o.linger_us) / 1000.0);
  return {
      {"bootstrap.servers", o.address},
      {"client.id", "sluice-bench"},
      {"acks", o.kafka_acks < 0 ? "all" : std::to_string(o.kafka_acks)},
      {"linger.ms", linger_ms},
      {"batch.size", std::to_string(o.batch_bytes)},
      {"batch.num.messages", std::to_string(o.batch_messages)},
      {"compression.codec", "none"},
      // Requests leave at once: a produce request waiting for Nagle's timer is latency the
      // server did not cause.
      {"socket.nagle.disable", "true"},
  };
}

KafkaProducerWorker::KafkaProducerWorker(KafkaProducerPlan plan) : plan_(std::move(plan)) {
  value_ = random_letters(plan_.options->event_bytes, 1000 + plan_.index);
  key_.assign(plan_.options->key_bytes, 'k');
}

Result<void> KafkaProducerWorker::prepare() {
  Result<KafkaHandle> client =
      make_kafka_producer(kafka_producer_settings(*plan_.options), on_delivery, this);
  if (!client.ok()) return std::move(client).error();
  client_ = std::move(*client);
  rd_kafka_topic_t* topic = rd_kafka_topic_new(client_.get(), plan_.topic.c_str(), nullptr);
  if (topic == nullptr) return kafka_error("topic " + plan_.topic, rd_kafka_last_error());
  topic_.reset(topic);
  return {};
}

Result<void> KafkaProducerWorker::run(int64_t start_ns) {
  const RemoteOptions& o = *plan_.options;
  const int64_t end_ns = start_ns + static_cast<int64_t>(o.seconds * 1e9);
  Result<void> sent = plan_.fixed_events > 0 ? run_fixed()
                      : o.rate > 0           ? run_open(start_ns, end_ns)
                                             : run_closed(end_ns);
  Result<void> flushed = flush();
  if (plan_.tally != nullptr) {
    plan_.tally->sent.fetch_add(sent_, std::memory_order_release);
    plan_.tally->producers_done.fetch_add(1, std::memory_order_release);
  }
  topic_.reset();
  client_.reset();  // on this thread, like every other use of it
  if (!sent.ok()) return sent;
  return flushed;
}

Result<void> KafkaProducerWorker::run_closed(int64_t end_ns) {
  for (int64_t now = steady_now_ns(); now < end_ns; now = steady_now_ns()) {
    SLUICE_TRY(send(now, now));
    if (sent_ % kPollEvery == 0) rd_kafka_poll(client_.get(), 0);
  }
  return {};
}

Result<void> KafkaProducerWorker::run_fixed() {
  while (sent_ < plan_.fixed_events) {
    const int64_t now = steady_now_ns();
    SLUICE_TRY(send(now, now));
    if (sent_ % kPollEvery == 0) rd_kafka_poll(client_.get(), 0);
  }
  return {};
}

Result<void> KafkaProducerWorker::run_open(int64_t start_ns, int64_t end_ns) {
  const RemoteOptions& o = *plan_.options;
  // The senders take turns: sender i starts i / rate seconds after the first.
  const int64_t first_ns = start_ns + static_cast<int64_t>(plan_.index * 1e9 / o.rate);
  const Pacer pacer(first_ns, o.rate / o.producers);
  Pacer::tighten_timer_slack();
  rd_kafka_t* client = client_.get();
  for (uint64_t k = 0;; ++k) {
    const int64_t due_ns = pacer.due_ns(k);
    if (due_ns >= end_ns) return {};
    Pacer::wait_until(due_ns, steady_now_ns, [client] { rd_kafka_poll(client, 0); });
    const int64_t now = steady_now_ns();
    send_delay_ns_.record(static_cast<uint64_t>(now - due_ns));
    SLUICE_TRY(send(due_ns, now));
  }
}

Result<void> KafkaProducerWorker::send(int64_t intended_ns, int64_t send_ns) {
  if (plan_.stamp_value) {
    std::memcpy(value_.data(), &send_ns, sizeof send_ns);
    std::memcpy(value_.data() + sizeof send_ns, &intended_ns, sizeof intended_ns);
  }
  if (!key_.empty()) write_hex_tail(key_, (uint64_t{plan_.index} << 48) | sent_);
  const int32_t partition = plan_.fixed_events > 0
                                ? static_cast<int32_t>(sent_ % plan_.options->partitions)
                                : RD_KAFKA_PARTITION_UA;
  // The intended time travels as the message's opaque, back to the delivery report.
  void* opaque = reinterpret_cast<void*>(static_cast<intptr_t>(intended_ns));
  while (true) {
    const int produced =
        rd_kafka_produce(topic_.get(), partition, RD_KAFKA_MSG_F_COPY, value_.data(), value_.size(),
                         key_.empty() ? nullptr : key_.data(), key_.size(), opaque);
    if (produced == 0) break;
    const rd_kafka_resp_err_t err = rd_kafka_last_error();
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      Error error = kafka_error("produce", err);
      errors_.add(error);
      return error;
    }
    rd_kafka_poll(client_.get(), kQueueFullPollMs);
  }
  ++sent_;
  return {};
}

Result<void> KafkaProducerWorker::flush() {
  const rd_kafka_resp_err_t err = rd_kafka_flush(client_.get(), kFlushTimeoutMs);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    Error error = Error(Errc::timed_out, std::to_string(rd_kafka_outq_len(client_.get())) +
                                             " events not delivered after 60 s");
    errors_.add(error);
    return error;
  }
  return {};
}

void KafkaProducerWorker::on_delivery(rd_kafka_t* /*client*/, const rd_kafka_message_t* message,
                                      void* opaque) {
  static_cast<KafkaProducerWorker*>(opaque)->delivered(*message);
}

void KafkaProducerWorker::delivered(const rd_kafka_message_t& message) {
  if (message.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    errors_.add(kafka_error("delivery", message.err));
    return;
  }
  const int64_t now = steady_now_ns();
  const auto intended_ns = static_cast<int64_t>(reinterpret_cast<intptr_t>(message._private));
  ack_latency_ns_.record(static_cast<uint64_t>(std::max<int64_t>(0, now - intended_ns)));
  ++completed_;
  last_completion_ns_ = now;
  if (plan_.tally == nullptr) progress_.add(1);  // e2e: the consumer counts
}

}  // namespace sluice::bench
