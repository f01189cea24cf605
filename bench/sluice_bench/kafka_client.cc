#include "bench/sluice_bench/kafka_client.h"

namespace sluice::bench {
namespace {

constexpr int kAdminTimeoutMs = 30000;
constexpr int kWatermarkTimeoutMs = 10000;

Result<rd_kafka_conf_t*> make_conf(const KafkaSettings& settings) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char errstr[512];
  for (const auto& [name, value] : settings) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr, sizeof errstr) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return Error(Errc::invalid_argument, "Kafka setting " + name + "=" + value + ": " + errstr);
    }
  }
  return conf;
}

Result<KafkaHandle> make_handle(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
  char errstr[512];
  // rd_kafka_new takes the configuration on success only.
  rd_kafka_t* handle = rd_kafka_new(type, conf, errstr, sizeof errstr);
  if (handle == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Error(Errc::io_error, std::string("cannot make a Kafka client: ") + errstr);
  }
  return KafkaHandle(handle);
}

}  // namespace

Error kafka_error(const std::string& what, rd_kafka_resp_err_t err) {
  return Error(Errc::io_error, what + ": " + rd_kafka_err2str(err));
}

Result<KafkaHandle> make_kafka_producer(const KafkaSettings& settings, DeliveryReport on_delivery,
                                        void* opaque) {
  Result<rd_kafka_conf_t*> conf = make_conf(settings);
  if (!conf.ok()) return std::move(conf).error();
  rd_kafka_conf_set_dr_msg_cb(*conf, on_delivery);
  rd_kafka_conf_set_opaque(*conf, opaque);
  return make_handle(RD_KAFKA_PRODUCER, *conf);
}

Result<KafkaHandle> make_kafka_consumer(const KafkaSettings& settings) {
  Result<rd_kafka_conf_t*> conf = make_conf(settings);
  if (!conf.ok()) return std::move(conf).error();
  Result<KafkaHandle> handle = make_handle(RD_KAFKA_CONSUMER, *conf);
  if (!handle.ok()) return handle;
  rd_kafka_poll_set_consumer(handle->get());
  return handle;
}

Result<void> create_kafka_topic(rd_kafka_t* client, const std::string& topic, int partitions) {
  char errstr[512];
  rd_kafka_NewTopic_t* new_topic =
      rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, errstr, sizeof errstr);
  if (new_topic == nullptr) {
    return Error(Errc::invalid_argument, "topic " + topic + ": " + errstr);
  }
  KafkaQueue queue(rd_kafka_queue_new(client));
  rd_kafka_CreateTopics(client, &new_topic, 1, nullptr, queue.get());
  rd_kafka_NewTopic_destroy(new_topic);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue.get(), kAdminTimeoutMs);
  if (event == nullptr) return Error(Errc::timed_out, "CreateTopics " + topic + " got no answer");
  Result<void> outcome;
  if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    outcome = kafka_error("CreateTopics " + topic, rd_kafka_event_error(event));
  } else {
    size_t count = 0;
    const rd_kafka_topic_result_t** results =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
    for (size_t i = 0; i < count; ++i) {
      const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        outcome = kafka_error("CreateTopics " + topic, err);
      }
    }
  }
  rd_kafka_event_destroy(event);
  return outcome;
}

Result<std::vector<Watermarks>> kafka_watermarks(rd_kafka_t* client, const std::string& topic,
                                                 int partitions) {
  std::vector<Watermarks> out(static_cast<size_t>(partitions));
  for (int p = 0; p < partitions; ++p) {
    Watermarks& w = out[static_cast<size_t>(p)];
    const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
        client, topic.c_str(), p, &w.low, &w.high, kWatermarkTimeoutMs);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return kafka_error("the offsets of " + topic + "[" + std::to_string(p) + "]", err);
    }
  }
  return out;
}

}  // namespace sluice::bench
