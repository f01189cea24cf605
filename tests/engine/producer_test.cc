// Producer: partition choice (explicit, by key, sticky), offsets in order, both completion
// forms, batching by linger, durability, bounded memory, and bad input.
#include "tests/engine/engine_test_env.h"

#include "partitions/key_index.h"

#include <set>
#include <thread>

namespace sluice {
namespace {

using testing::keyed_event;
using testing::open_engine;
using testing::topic_config;

class ProducerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(engine_, nullptr);
    ASSERT_TRUE(engine_->create_topic("t", topic_config(4)).ok());
  }
  Producer make(ProducerOptions options = {}) {
    Result<Producer> producer = engine_->producer(options);
    EXPECT_TRUE(producer.ok());
    return std::move(*producer);
  }
  testing::TempDir dir_;
  std::unique_ptr<Engine> engine_ = open_engine(testing::engine_options(dir_.path()));
};

TEST_F(ProducerTest, KeysChooseXxh3PartitionsAndOffsetsIncrease) {
  Producer producer = make();
  std::vector<Event> events;
  for (int i = 0; i < 200; ++i)
    events.push_back(keyed_event("key-" + std::to_string(i % 10), std::to_string(i)));
  const auto deliveries = testing::send_all(producer, "t", events);
  ASSERT_EQ(deliveries.size(), events.size());
  std::map<int32_t, int64_t> next;
  for (size_t i = 0; i < events.size(); ++i) {
    const int32_t expected =
        static_cast<int32_t>(partitions::key_hash(std::string_view(*events[i].key)) % 4);
    EXPECT_EQ(deliveries[i].partition, expected);
    EXPECT_EQ(deliveries[i].offset, next[expected]++);  // one producer: in order, no gaps
  }
  for (const auto& [partition, count] : next) {
    Result<PartitionState> state = engine_->partition_state("t", partition);
    ASSERT_TRUE(state.ok());
    EXPECT_EQ(state->latest_offset, count);
    EXPECT_GE(state->last_append_time_ms, 0);
  }
}

TEST_F(ProducerTest, ExplicitPartitionWinsAndKeylessEventsStick) {
  Producer producer = make();
  Event pinned = keyed_event("any", "v");
  pinned.partition = 3;
  EXPECT_EQ(testing::send_all(producer, "t", {pinned})[0].partition, 3);

  ProducerOptions lingering;
  lingering.linger = std::chrono::milliseconds(50);
  Producer batched = make(lingering);
  std::vector<std::future<Result<Delivery>>> futures;
  for (int i = 0; i < 10; ++i) {
    Event event;
    event.value = "no key " + std::to_string(i);
    futures.push_back(batched.send_future("t", event));
  }
  ASSERT_TRUE(batched.flush().ok());
  std::set<int32_t> partitions;
  int64_t previous = -1;
  for (auto& future : futures) {
    Result<Delivery> delivery = future.get();
    ASSERT_TRUE(delivery.ok());
    partitions.insert(delivery->partition);
    EXPECT_EQ(delivery->offset, previous + 1);  // one batch: consecutive offsets
    previous = delivery->offset;
  }
  EXPECT_EQ(partitions.size(), 1u);  // one batch, one sticky partition
}

TEST_F(ProducerTest, CallbacksRunOnTheProducerThreadFromPollAndFlush) {
  for (Durability durability : {Durability::none, Durability::written, Durability::synced}) {
    ProducerOptions options;
    options.durability = durability;
    Producer producer = make(options);
    const auto self = std::this_thread::get_id();
    int called = 0;
    for (int i = 0; i < 50; ++i) {
      Result<void> sent = producer.send("t", keyed_event("k", "v"), [&](const Result<Delivery>& d) {
        EXPECT_TRUE(d.ok());
        EXPECT_TRUE(std::this_thread::get_id() == self);
        ++called;
      });
      ASSERT_TRUE(sent.ok());
    }
    ASSERT_TRUE(producer.flush().ok());
    EXPECT_EQ(called, 50) << durability_name(durability);
    EXPECT_EQ(producer.in_flight_bytes(), 0u);
  }
}

TEST_F(ProducerTest, BadInputIsRefusedAndNothingIsWritten) {
  TopicConfig small = topic_config(1);
  small.max_event_bytes = 100;
  ASSERT_TRUE(engine_->create_topic("small", small).ok());
  Producer producer = make();
  EXPECT_EQ(producer.send("missing", keyed_event("k", "v")).code(), Errc::not_found);
  Event out_of_range = keyed_event("k", "v");
  out_of_range.partition = 4;
  EXPECT_EQ(producer.send("t", out_of_range).code(), Errc::invalid_argument);
  out_of_range.partition = -2;
  EXPECT_EQ(producer.send("t", out_of_range).code(), Errc::invalid_argument);
  EXPECT_EQ(producer.send("small", keyed_event("k", std::string(200, 'x'))).code(),
            Errc::too_large);
  EXPECT_EQ(producer.send("__consumer_offsets", keyed_event("k", "v")).code(),
            Errc::invalid_argument);
  ASSERT_TRUE(producer.flush().ok());
  EXPECT_EQ(engine_->partition_state("small", 0)->latest_offset, 0);
  for (int32_t p = 0; p < 4; ++p)
    EXPECT_EQ(engine_->partition_state("t", p)->latest_offset, 0);

  ProducerOptions bad;
  bad.batch_bytes = 0;
  EXPECT_EQ(engine_->producer(bad).code(), Errc::invalid_argument);
}

TEST_F(ProducerTest, FullProducerFailsOrWaitsAsAsked) {
  ProducerOptions failing;
  failing.max_in_flight_bytes = 1000;
  failing.on_full = OnFull::fail;
  failing.linger = std::chrono::hours(1);  // nothing completes until flushed
  failing.durability = Durability::synced;
  Producer producer = make(failing);
  int would_block = 0;
  for (int i = 0; i < 100; ++i) {
    Result<void> sent = producer.send("t", keyed_event("k", std::string(100, 'v')));
    if (!sent.ok()) {
      EXPECT_EQ(sent.code(), Errc::would_block);
      ++would_block;
    }
    EXPECT_LE(producer.in_flight_bytes(), 1000u);
  }
  EXPECT_GT(would_block, 0);
  ASSERT_TRUE(producer.flush().ok());

  ProducerOptions waiting = failing;
  waiting.on_full = OnFull::wait;
  waiting.linger = std::chrono::microseconds(0);
  Producer patient = make(waiting);
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(patient.send("t", keyed_event("k", std::string(100, 'v'))).ok());
    EXPECT_LE(patient.in_flight_bytes(), 1000u);
  }
  ASSERT_TRUE(patient.flush().ok());
}

TEST_F(ProducerTest, DeletedTopicFailsLaterSends) {
  Producer producer = make();
  testing::send_all(producer, "t", {keyed_event("k", "v")});
  ASSERT_TRUE(engine_->delete_topic("t").ok());
  EXPECT_EQ(producer.send("t", keyed_event("k", "v")).code(), Errc::not_found);
}

}  // namespace
}  // namespace sluice
