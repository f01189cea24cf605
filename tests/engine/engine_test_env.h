// Shared helpers of the engine tests: an engine in a fresh directory, reopening it, and sending
// or consuming a known set of events.
#pragma once

#include "tests/support/temp_dir.h"

#include <sluice/sluice.h>

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sluice::testing {

inline EngineOptions engine_options(const std::string& dir, uint32_t shards = 2) {
  EngineOptions options;
  options.data_dir = dir;
  options.shards = shards;
  options.tail_cache_bytes_per_partition = 4u << 20;
  return options;
}

inline std::unique_ptr<Engine> open_engine(const EngineOptions& options) {
  Result<std::unique_ptr<Engine>> engine = Engine::open(options);
  EXPECT_TRUE(engine.ok()) << engine.error().to_string();
  return engine.ok() ? std::move(*engine) : nullptr;
}

inline TopicConfig topic_config(int32_t partitions, bool keyed = false) {
  TopicConfig config;
  config.partitions = partitions;
  config.keyed_index = keyed;
  config.segment_bytes = 4u << 20;
  return config;
}

inline Event keyed_event(const std::string& key, const std::string& value) {
  Event event;
  event.key = key;
  event.value = value;
  return event;
}

// Sends every event with the future form and waits for each; returns the deliveries.
inline std::vector<Delivery> send_all(Producer& producer, const std::string& topic,
                                      const std::vector<Event>& events) {
  std::vector<std::future<Result<Delivery>>> futures;
  for (const Event& event : events)
    futures.push_back(producer.send_future(topic, event));
  EXPECT_TRUE(producer.flush().ok());
  std::vector<Delivery> out;
  for (auto& future : futures) {
    Result<Delivery> delivery = future.get();
    EXPECT_TRUE(delivery.ok()) << delivery.error().to_string();
    if (delivery.ok()) out.push_back(*delivery);
  }
  return out;
}

// Polls until `count` records came or `timeout` passed.
inline std::vector<Record> consume(Consumer& consumer, size_t count,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  std::vector<Record> out;
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (out.size() < count && std::chrono::steady_clock::now() < until) {
    Result<std::vector<Record>> polled = consumer.poll(std::chrono::milliseconds(100));
    EXPECT_TRUE(polled.ok()) << polled.error().to_string();
    if (!polled.ok()) break;
    for (Record& record : *polled)
      out.push_back(std::move(record));
  }
  return out;
}

inline ConsumerOptions consumer_options(const std::string& group, std::vector<std::string> topics) {
  ConsumerOptions options;
  options.group = group;
  options.topics = std::move(topics);
  options.auto_commit = false;
  return options;
}

}  // namespace sluice::testing
