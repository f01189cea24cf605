#include "bench/sluice_bench/kafka_consumer.h"

#include <algorithm>
#include <cstring>

namespace sluice::bench {
namespace {

constexpr int kPollTimeoutMs = 100;
// consume: messages taken from the consumer queue per call.
constexpr size_t kBatchMessages = 4096;
// e2e: how long the consumer still waits for missing events once the producers are done.
constexpr int64_t kDrainNs = 30'000'000'000;

int64_t read_int64(const void* bytes) {
  int64_t value = 0;
  std::memcpy(&value, bytes, sizeof value);
  return value;
}

KafkaSettings consumer_settings(const RemoteOptions& o, const std::string& group) {
  const uint64_t fetch_max = std::max<uint64_t>(o.fetch_bytes, 64u << 20);
  return {
      {"bootstrap.servers", o.address},
      {"client.id", "sluice-bench"},
      {"group.id", group},  // required by the consumer; never joined (assign, no subscribe)
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"max.partition.fetch.bytes", std::to_string(o.fetch_bytes)},
      {"fetch.max.bytes", std::to_string(fetch_max)},
      {"receive.message.max.bytes", std::to_string(fetch_max + (1u << 20))},
      {"socket.nagle.disable", "true"},
  };
}

}  // namespace

Result<void> KafkaConsumerWorker::prepare() {
  Result<KafkaHandle> client = make_kafka_consumer(consumer_settings(*plan_.options, plan_.topic));
  if (!client.ok()) return std::move(client).error();
  client_ = std::move(*client);
  rd_kafka_topic_partition_list_t* partitions =
      rd_kafka_topic_partition_list_new(static_cast<int>(plan_.start_offsets.size()));
  for (size_t p = 0; p < plan_.start_offsets.size(); ++p) {
    rd_kafka_topic_partition_list_add(partitions, plan_.topic.c_str(), static_cast<int32_t>(p))
        ->offset = plan_.start_offsets[p];
  }
  const rd_kafka_resp_err_t err = rd_kafka_assign(client_.get(), partitions);
  rd_kafka_topic_partition_list_destroy(partitions);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return kafka_error("assign", err);
  return {};
}

Result<void> KafkaConsumerWorker::run(int64_t start_ns) {
  const int64_t end_ns = start_ns + static_cast<int64_t>(plan_.options->seconds * 1e9);
  Result<void> ran = plan_.tally != nullptr ? run_e2e() : run_consume(end_ns);
  rd_kafka_consumer_close(client_.get());
  client_.reset();
  return ran;
}

Result<void> KafkaConsumerWorker::run_consume(int64_t end_ns) {
  KafkaQueue queue(rd_kafka_queue_get_consumer(client_.get()));
  std::vector<rd_kafka_message_t*> batch(kBatchMessages);
  while (received_ < plan_.expected) {
    // Ask for no more than what remains: a batch call waits for all it asked for (or the
    // timeout), which would hold the last events back.
    const size_t want =
        static_cast<size_t>(std::min<uint64_t>(kBatchMessages, plan_.expected - received_));
    const ssize_t got =
        rd_kafka_consume_batch_queue(queue.get(), kPollTimeoutMs, batch.data(), want);
    const int64_t now = steady_now_ns();
    if (got < 0) return kafka_error("consume", rd_kafka_last_error());
    uint64_t taken = 0;
    for (ssize_t i = 0; i < got; ++i) {
      if (take(*batch[static_cast<size_t>(i)], now)) ++taken;
      rd_kafka_message_destroy(batch[static_cast<size_t>(i)]);
    }
    if (taken > 0) {
      last_receive_ns_ = now;
      progress_.add(taken);
    }
    if (now >= end_ns) break;
  }
  return {};
}

Result<void> KafkaConsumerWorker::run_e2e() {
  while (true) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(client_.get(), kPollTimeoutMs);
    const int64_t now = steady_now_ns();
    if (message != nullptr) {
      if (take(*message, now)) {
        last_receive_ns_ = now;
        progress_.add(1);
      }
      rd_kafka_message_destroy(message);
    }
    if (e2e_finished(now)) return {};
  }
}

bool KafkaConsumerWorker::take(const rd_kafka_message_t& message, int64_t now_ns) {
  if (message.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (message.err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      errors_.add(kafka_error("consume", message.err));
    }
    return false;
  }
  if (plan_.tally != nullptr) {
    if (message.len < kStampBytes) {
      errors_.add(Error(Errc::corruption, "an event without its send times"));
      return false;
    }
    const auto* value = static_cast<const char*>(message.payload);
    const int64_t send_ns = read_int64(value);
    const int64_t intended_ns = read_int64(value + sizeof(int64_t));
    latency_ns_.record(static_cast<uint64_t>(std::max<int64_t>(0, now_ns - send_ns)));
    latency_intended_ns_.record(static_cast<uint64_t>(std::max<int64_t>(0, now_ns - intended_ns)));
  }
  ++received_;
  received_bytes_ += message.len + message.key_len;
  return true;
}

bool KafkaConsumerWorker::e2e_finished(int64_t now_ns) {
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
