// Topics through the Engine: create, list, describe, delete, restart, and every bad input
// refused with a typed error and nothing changed.
#include "tests/engine/engine_test_env.h"

namespace sluice {
namespace {

using testing::open_engine;
using testing::topic_config;

class TopicsTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  std::unique_ptr<Engine> engine_ = open_engine(testing::engine_options(dir_.path()));
};

TEST_F(TopicsTest, CreateListDescribeDelete) {
  ASSERT_TRUE(engine_->create_topic("orders", topic_config(3)).ok());
  ASSERT_TRUE(engine_->create_topic("audit.log-1", topic_config(1, true)).ok());
  const auto topics = engine_->list_topics();
  EXPECT_NE(std::find(topics.begin(), topics.end(), "orders"), topics.end());
  EXPECT_NE(std::find(topics.begin(), topics.end(), "audit.log-1"), topics.end());

  Result<TopicDescription> described = engine_->describe_topic("orders");
  ASSERT_TRUE(described.ok()) << described.error().to_string();
  EXPECT_EQ(described->config.partitions, 3);
  ASSERT_EQ(described->partitions.size(), 3u);
  for (const auto& p : described->partitions) {
    EXPECT_EQ(p.earliest_offset, 0);
    EXPECT_EQ(p.latest_offset, 0);
  }
  ASSERT_TRUE(engine_->delete_topic("orders").ok());
  EXPECT_EQ(engine_->describe_topic("orders").code(), Errc::not_found);
  EXPECT_EQ(engine_->delete_topic("orders").code(), Errc::not_found);
}

TEST_F(TopicsTest, BadNamesAndConfigsAreRefused) {
  const std::vector<std::string> names = {
      "",      ".", "..", "has space", "slash/name", std::string(250, 'a'), "__consumer_offsets",
      "__mine"};
  for (const std::string& name : names) {
    Result<void> created = engine_->create_topic(name, topic_config(1));
    EXPECT_EQ(created.code(), Errc::invalid_argument) << "'" << name << "'";
  }
  TopicConfig zero = topic_config(1);
  zero.partitions = 0;
  EXPECT_EQ(engine_->create_topic("t", zero).code(), Errc::invalid_argument);
  TopicConfig huge_event = topic_config(1);
  huge_event.max_event_bytes = 65u << 20;
  EXPECT_EQ(engine_->create_topic("t", huge_event).code(), Errc::invalid_argument);
  EXPECT_EQ(engine_->describe_topic("t").code(), Errc::not_found);

  ASSERT_TRUE(engine_->create_topic("t", topic_config(2)).ok());
  EXPECT_EQ(engine_->create_topic("t", topic_config(2)).code(), Errc::already_exists);
  EXPECT_EQ(engine_->delete_topic("__consumer_offsets").code(), Errc::invalid_argument);
  EXPECT_EQ(engine_->describe_topic("nope").code(), Errc::not_found);
  EXPECT_EQ(engine_->partition_state("t", 2).code(), Errc::invalid_argument);
  EXPECT_EQ(engine_->partition_state("t", -1).code(), Errc::invalid_argument);
}

TEST_F(TopicsTest, TopicsAndTheirEventsSurviveRestart) {
  TopicConfig config = topic_config(2, true);
  config.retention_ms = 3600 * 1000;
  config.max_event_bytes = 4096;
  ASSERT_TRUE(engine_->create_topic("kept", config).ok());
  ASSERT_TRUE(engine_->create_topic("dropped", topic_config(1)).ok());
  {
    Result<Producer> producer = engine_->producer();
    ASSERT_TRUE(producer.ok());
    testing::send_all(*producer, "kept", {testing::keyed_event("k", "v1")});
  }
  ASSERT_TRUE(engine_->delete_topic("dropped").ok());
  engine_.reset();
  engine_ = open_engine(testing::engine_options(dir_.path()));
  ASSERT_NE(engine_, nullptr);
  Result<TopicDescription> described = engine_->describe_topic("kept");
  ASSERT_TRUE(described.ok());
  EXPECT_EQ(described->config, config);
  EXPECT_EQ(engine_->describe_topic("dropped").code(), Errc::not_found);
  Result<Record> latest = engine_->latest("kept", "k");
  ASSERT_TRUE(latest.ok()) << latest.error().to_string();
  EXPECT_EQ(latest->value, "v1");
}

TEST_F(TopicsTest, SecondEngineOnTheSameDirectoryIsBusy) {
  Result<std::unique_ptr<Engine>> second = Engine::open(testing::engine_options(dir_.path()));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.code(), Errc::busy);
}

TEST(EngineOptionsTest, BadOptionsAreRefused) {
  EngineOptions options;
  EXPECT_EQ(Engine::open(options).code(), Errc::invalid_argument);
  options.data_dir = "/tmp/unused";
  options.shards = 100000;
  EXPECT_EQ(Engine::open(options).code(), Errc::invalid_argument);
  options.shards = 1;
  options.write_interval = std::chrono::microseconds(-1);
  EXPECT_EQ(Engine::open(options).code(), Errc::invalid_argument);
  options.write_interval = std::chrono::seconds(2);
  EXPECT_EQ(Engine::open(options).code(), Errc::invalid_argument);
  options.write_interval = {};
  options.small_write_bytes = (64u << 20) + 1;
  EXPECT_EQ(Engine::open(options).code(), Errc::invalid_argument);
}

}  // namespace
}  // namespace sluice
