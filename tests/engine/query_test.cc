// The synchronous query path: read at an offset, partition state, latest by key; from other
// threads while producing; bad input.
#include "tests/engine/engine_test_env.h"

#include <atomic>
#include <thread>

namespace sluice {
namespace {

using testing::keyed_event;
using testing::open_engine;
using testing::topic_config;

class QueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(engine_, nullptr);
    ASSERT_TRUE(engine_->create_topic("k", topic_config(2, true)).ok());
    ASSERT_TRUE(engine_->create_topic("plain", topic_config(1)).ok());
  }
  testing::TempDir dir_;
  std::unique_ptr<Engine> engine_ = open_engine(testing::engine_options(dir_.path()));
};

TEST_F(QueryTest, ReadReturnsEventsWithEverythingTheyWereSentWith) {
  Result<Producer> producer = engine_->producer();
  ASSERT_TRUE(producer.ok());
  std::vector<Event> events;
  for (int i = 0; i < 100; ++i) {
    Event event;
    if (i % 3 != 0) event.key = "key" + std::to_string(i);
    event.value = "value " + std::to_string(i);
    event.headers = {{"h", std::to_string(i)}, {"null", std::nullopt}};
    event.timestamp_ms = 1'700'000'000'000 + i;
    event.partition = 0;
    events.push_back(event);
  }
  testing::send_all(*producer, "plain", events);
  Result<std::vector<Record>> all = engine_->read("plain", 0, 0, 1000);
  ASSERT_TRUE(all.ok()) << all.error().to_string();
  ASSERT_EQ(all->size(), 100u);
  for (int i = 0; i < 100; ++i) {
    const Record& r = (*all)[static_cast<size_t>(i)];
    EXPECT_EQ(r.topic, "plain");
    EXPECT_EQ(r.offset, i);
    EXPECT_EQ(r.key, events[static_cast<size_t>(i)].key);
    EXPECT_EQ(r.value, events[static_cast<size_t>(i)].value);
    EXPECT_EQ(r.headers, events[static_cast<size_t>(i)].headers);
    EXPECT_EQ(r.timestamp_ms, events[static_cast<size_t>(i)].timestamp_ms);
  }
  Result<std::vector<Record>> page = engine_->read("plain", 0, 40, 5);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 5u);
  EXPECT_EQ(page->front().offset, 40);
  EXPECT_EQ(page->back().offset, 44);
  EXPECT_TRUE(engine_->read("plain", 0, 100, 10)->empty());  // at the high watermark
  EXPECT_EQ(engine_->read("plain", 0, 101, 10).code(), Errc::offset_out_of_range);
  EXPECT_EQ(engine_->read("plain", 0, -1, 10).code(), Errc::offset_out_of_range);
  EXPECT_EQ(engine_->read("plain", 1, 0, 10).code(), Errc::invalid_argument);
  EXPECT_EQ(engine_->read("nope", 0, 0, 10).code(), Errc::not_found);
  EXPECT_EQ(engine_->read("plain", 0, 0, 0).code(), Errc::invalid_argument);
}

TEST_F(QueryTest, LatestByKeyFollowsTheNewestEventAndSurvivesRestart) {
  {
    Result<Producer> producer = engine_->producer();
    ASSERT_TRUE(producer.ok());
    for (int round = 0; round < 3; ++round) {
      std::vector<Event> events;
      for (int k = 0; k < 20; ++k) {
        events.push_back(keyed_event("user-" + std::to_string(k), "v" + std::to_string(round)));
      }
      testing::send_all(*producer, "k", events);
    }
  }
  for (int k = 0; k < 20; ++k) {
    Result<Record> latest = engine_->latest("k", "user-" + std::to_string(k));
    ASSERT_TRUE(latest.ok()) << latest.error().to_string();
    EXPECT_EQ(latest->value, "v2");
  }
  EXPECT_EQ(engine_->latest("k", "user-999").code(), Errc::not_found);
  EXPECT_EQ(engine_->latest("plain", "x").code(), Errc::invalid_argument);
  engine_.reset();
  engine_ = open_engine(testing::engine_options(dir_.path()));
  ASSERT_NE(engine_, nullptr);
  Result<Record> again = engine_->latest("k", "user-7");
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(again->value, "v2");
}

// A key is found in whichever partition holds it (explicit partitions here, as a Kafka
// client's partitioner would place it), and across partitions the newest event wins.
TEST_F(QueryTest, LatestByKeyLooksInEveryPartition) {
  ASSERT_TRUE(engine_->create_topic("k8", topic_config(8, true)).ok());
  std::vector<Event> events;
  for (int k = 0; k < 40; ++k) {
    Event event = keyed_event("user-" + std::to_string(k), "first");
    event.partition = k % 8;  // not where the key's hash would put it, for most keys
    event.timestamp_ms = 1'700'000'000'000 + k;
    events.push_back(event);
  }
  // user-3 again, later, in another partition: that one is the latest.
  Event moved = keyed_event("user-3", "moved");
  moved.partition = 6;
  moved.timestamp_ms = 1'700'000'001'000;
  events.push_back(moved);
  {
    Result<Producer> producer = engine_->producer();
    ASSERT_TRUE(producer.ok());
    testing::send_all(*producer, "k8", events);
  }
  for (int k = 0; k < 40; ++k) {
    Result<Record> latest = engine_->latest("k8", "user-" + std::to_string(k));
    ASSERT_TRUE(latest.ok()) << "user-" << k << ": " << latest.error().to_string();
    EXPECT_EQ(*latest->key, "user-" + std::to_string(k));
    if (k == 3) {
      EXPECT_EQ(latest->value, "moved");
      EXPECT_EQ(latest->partition, 6);
    } else {
      EXPECT_EQ(latest->value, "first");
      EXPECT_EQ(latest->partition, k % 8);
    }
  }
  EXPECT_EQ(engine_->latest("k8", "user-40").code(), Errc::not_found);
  // The index is rebuilt from every partition at open.
  engine_.reset();
  engine_ = open_engine(testing::engine_options(dir_.path()));
  ASSERT_NE(engine_, nullptr);
  Result<Record> again = engine_->latest("k8", "user-3");
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(again->value, "moved");
  EXPECT_EQ(engine_->latest("k8", "user-5")->partition, 5);
}

// Readers on other threads see only published events, each one whole, while a producer
// appends.
TEST_F(QueryTest, ConcurrentReadersSeeConsistentPrefixes) {
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done.load(std::memory_order_acquire)) {
      Result<PartitionState> state = engine_->partition_state("plain", 0);
      ASSERT_TRUE(state.ok());
      if (state->latest_offset == 0) continue;
      const int64_t offset = state->latest_offset - 1;
      Result<std::vector<Record>> one = engine_->read("plain", 0, offset, 1);
      ASSERT_TRUE(one.ok()) << one.error().to_string();
      ASSERT_EQ(one->size(), 1u);
      EXPECT_EQ(one->front().value, "event " + std::to_string(offset));
    }
  });
  Result<Producer> producer = engine_->producer();
  ASSERT_TRUE(producer.ok());
  for (int i = 0; i < 5000; ++i) {
    Event event;
    event.value = "event " + std::to_string(i);
    event.partition = 0;
    ASSERT_TRUE(producer->send("plain", event).ok());
  }
  ASSERT_TRUE(producer->flush().ok());
  done.store(true, std::memory_order_release);
  reader.join();
}

}  // namespace
}  // namespace sluice
