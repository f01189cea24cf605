#include "server/metrics.h"

#include "tests/engine/engine_test_env.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice::server {
namespace {

TEST(Histogram, BucketsArePowersOfTwo) {
  Histogram h;
  for (uint64_t us : {0, 1, 2, 3, 4, 5, 1000, 1024, 1025})
    h.observe_us(us);
  h.observe_us(uint64_t{1} << 26);        // the last bucket
  h.observe_us((uint64_t{1} << 26) + 1);  // above every bucket: +Inf only
  EXPECT_EQ(h.bucket(0), 2u);             // 0, 1
  EXPECT_EQ(h.bucket(1), 1u);             // 2
  EXPECT_EQ(h.bucket(2), 2u);             // 3, 4
  EXPECT_EQ(h.bucket(3), 1u);             // 5
  EXPECT_EQ(h.bucket(10), 2u);            // 1000, 1024
  EXPECT_EQ(h.bucket(11), 1u);            // 1025
  EXPECT_EQ(h.bucket(26), 1u);
  EXPECT_EQ(h.count(), 11u);
  EXPECT_EQ(h.sum_us(), 0u + 1 + 2 + 3 + 4 + 5 + 1000 + 1024 + 1025 + (uint64_t{2} << 26) + 1);
  EXPECT_EQ(Histogram::bucket_bound_us(26), uint64_t{67108864});
}

class MetricsRender : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = sluice::testing::open_engine(sluice::testing::engine_options(dir_.path(), 1));
    ASSERT_NE(engine_, nullptr);
  }

  sluice::testing::TempDir dir_;
  std::unique_ptr<Engine> engine_;
  Metrics metrics_;
};

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}

TEST_F(MetricsRender, CountersAndHistograms) {
  metrics_.produced_events.add(7);
  metrics_.produced_bytes.add(700);
  metrics_.connections_open.add(3);
  metrics_.connections_open.add(-1);
  metrics_.http_request_latency.observe_us(3);
  metrics_.http_request_latency.observe_us(1500000);
  metrics_.kafka_request_latency[0].observe_us(100);  // Produce
  metrics_.kafka_request_latency[18].observe_us(1);   // ApiVersions
  metrics_.kafka_request_latency[63].observe_us(1);   // no API has this key
  const std::string text = metrics_.render_prometheus(*engine_);

  EXPECT_TRUE(has_line(text, "# TYPE sluice_produced_events_total counter"));
  EXPECT_TRUE(has_line(text, "sluice_produced_events_total 7"));
  EXPECT_TRUE(has_line(text, "sluice_produced_bytes_total 700"));
  EXPECT_TRUE(has_line(text, "sluice_fetched_events_total 0"));
  EXPECT_TRUE(has_line(text, "# TYPE sluice_connections_open gauge"));
  EXPECT_TRUE(has_line(text, "sluice_connections_open 2"));

  EXPECT_TRUE(has_line(text, "# TYPE sluice_http_request_duration_seconds histogram"));
  EXPECT_TRUE(has_line(text, "sluice_http_request_duration_seconds_bucket{le=\"0.000002\"} 0"));
  EXPECT_TRUE(has_line(text, "sluice_http_request_duration_seconds_bucket{le=\"0.000004\"} 1"));
  EXPECT_TRUE(has_line(text, "sluice_http_request_duration_seconds_bucket{le=\"1.048576\"} 1"));
  EXPECT_TRUE(has_line(text, "sluice_http_request_duration_seconds_bucket{le=\"2.097152\"} 2"));
  EXPECT_TRUE(has_line(text, "sluice_http_request_duration_seconds_bucket{le=\"67.108864\"} 2"));
  EXPECT_TRUE(has_line(text, "sluice_http_request_duration_seconds_bucket{le=\"+Inf\"} 2"));
  EXPECT_TRUE(has_line(text, "sluice_http_request_duration_seconds_sum 1.500003"));
  EXPECT_TRUE(has_line(text, "sluice_http_request_duration_seconds_count 2"));

  EXPECT_TRUE(has_line(
      text, "sluice_kafka_request_duration_seconds_bucket{api=\"Produce\",le=\"0.000128\"} 1"));
  EXPECT_TRUE(has_line(text, "sluice_kafka_request_duration_seconds_count{api=\"Produce\"} 1"));
  EXPECT_TRUE(
      has_line(text, "sluice_kafka_request_duration_seconds_sum{api=\"ApiVersions\"} 0.000001"));
  EXPECT_TRUE(has_line(text, "sluice_kafka_request_duration_seconds_count{api=\"ApiKey63\"} 1"));
  // APIs without samples have no series.
  EXPECT_EQ(text.find("api=\"Fetch\""), std::string::npos);

  // The internal topics the engine compacts: none yet.
  EXPECT_TRUE(has_line(text, "# TYPE sluice_internal_compactions_total counter"));
  EXPECT_TRUE(has_line(text, "sluice_internal_compactions_total{topic=\"__queue_state\"} 0"));
  EXPECT_TRUE(has_line(text, "sluice_internal_compactions_total{topic=\"__consumer_offsets\"} 0"));
  EXPECT_TRUE(has_line(text, "# TYPE sluice_internal_topic_bytes gauge"));
  EXPECT_NE(text.find("sluice_internal_topic_bytes{topic=\"__consumer_offsets\"} "),
            std::string::npos);
}

TEST_F(MetricsRender, GroupLagPerPartition) {
  ASSERT_TRUE(engine_->create_topic("t", sluice::testing::topic_config(2)).ok());
  Result<Producer> producer = engine_->producer();
  ASSERT_TRUE(producer.ok());
  std::vector<Event> events(5);
  for (size_t i = 0; i < events.size(); ++i) {
    events[i].value = "v";
    events[i].partition = i < 3 ? 0 : 1;
  }
  sluice::testing::send_all(*producer, "t", events);
  const std::string group = "odd \"name\"\\";
  Result<Consumer> consumer = engine_->consumer(sluice::testing::consumer_options(group, {"t"}));
  ASSERT_TRUE(consumer.ok());
  ASSERT_EQ(sluice::testing::consume(*consumer, 5).size(), 5u);
  ASSERT_TRUE(consumer->commit(TopicPartition{"t", 0}, 1).ok());
  ASSERT_TRUE(consumer->commit(TopicPartition{"t", 1}, 2).ok());

  const std::string text = metrics_.render_prometheus(*engine_);
  EXPECT_TRUE(has_line(text, "# TYPE sluice_group_lag gauge"));
  EXPECT_TRUE(
      has_line(text, R"(sluice_group_lag{group="odd \"name\"\\",topic="t",partition="0"} 2)"))
      << text;
  EXPECT_TRUE(
      has_line(text, R"(sluice_group_lag{group="odd \"name\"\\",topic="t",partition="1"} 0)"));

  // The commits were synced: the engine's fdatasync rounds are there (its last bucket, which
  // also holds what is above it, only as +Inf).
  EXPECT_TRUE(has_line(text, "# TYPE sluice_fsync_duration_seconds histogram"));
  const std::string count_line = "\nsluice_fsync_duration_seconds_count ";
  const size_t count = text.find(count_line);
  ASSERT_NE(count, std::string::npos);
  EXPECT_GT(std::stoull(text.substr(count + count_line.size())), 0u);
  EXPECT_EQ(text.find("sluice_fsync_duration_seconds_bucket{le=\"67.108864\"}"), std::string::npos);
}

}  // namespace
}  // namespace sluice::server
