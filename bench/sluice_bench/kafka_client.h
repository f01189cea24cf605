// The librdkafka pieces of sluice-bench kafka: owned handles, a client made from settings,
// topic creation through the admin API, and a partition's offsets (low and high watermarks).
//
// Thread-safety: a Kafka handle may be used from any thread (librdkafka's own rule); each
// sluice-bench worker owns its handle and polls it from its own thread, so that delivery
// reports and messages reach the worker that made them.
#pragma once

#include <librdkafka/rdkafka.h>
#include <sluice/result.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace sluice::bench {

struct KafkaHandleDestroy {
  void operator()(rd_kafka_t* handle) const { rd_kafka_destroy(handle); }
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaHandleDestroy>;

struct KafkaTopicDestroy {
  void operator()(rd_kafka_topic_t* topic) const { rd_kafka_topic_destroy(topic); }
};
using KafkaTopic = std::unique_ptr<rd_kafka_topic_t, KafkaTopicDestroy>;

struct KafkaQueueDestroy {
  void operator()(rd_kafka_queue_t* queue) const { rd_kafka_queue_destroy(queue); }
};
using KafkaQueue = std::unique_ptr<rd_kafka_queue_t, KafkaQueueDestroy>;

using KafkaSettings = std::vector<std::pair<std::string, std::string>>;

// A producer delivering its reports to `on_delivery` (with `opaque` as the handle's opaque), on
// whichever thread polls it.
using DeliveryReport = void (*)(rd_kafka_t*, const rd_kafka_message_t*, void* opaque);
Result<KafkaHandle> make_kafka_producer(const KafkaSettings& settings, DeliveryReport on_delivery,
                                        void* opaque);
// A consumer (its messages come from the consumer queue; see rd_kafka_poll_set_consumer).
Result<KafkaHandle> make_kafka_consumer(const KafkaSettings& settings);

// Creates `topic` with `partitions` partitions (replication 1); an existing topic is fine.
Result<void> create_kafka_topic(rd_kafka_t* client, const std::string& topic, int partitions);

struct Watermarks {
  int64_t low = 0;
  int64_t high = 0;
};
// Each partition's earliest and next offsets.
Result<std::vector<Watermarks>> kafka_watermarks(rd_kafka_t* client, const std::string& topic,
                                                 int partitions);

// A librdkafka error as an Error of sluice's (io_error, naming what failed).
Error kafka_error(const std::string& what, rd_kafka_resp_err_t err);

}  // namespace sluice::bench
