// A Producer with OnFull::fail never waits for room in its channel: batches beyond the
// channel's capacity wait in the producer, in order, and go as completions free room. This is
// what lets a producer live on a shard thread (the server's) and send to partitions that shard
// owns: waiting there would wait for itself.
#include "engine/engine_impl.h"
#include "engine/produce_batch.h"
#include "engine/shard.h"
#include "tests/engine/engine_test_env.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <vector>

namespace sluice {
namespace {

using namespace std::chrono_literals;

// The partition of `topic` that shard 0 owns.
int32_t partition_on_shard0(Engine& engine, const std::string& topic, int32_t partitions) {
  for (int32_t p = 0; p < partitions; ++p) {
    if (engine.impl().shard_of(topic, p) == 0) return p;
  }
  return -1;
}

TEST(ProducerBacklogTest, ShardThreadSendsMoreBatchesThanTheChannelHoldsToItself) {
  testing::TempDir dir;
  auto engine = testing::open_engine(testing::engine_options(dir.path(), 2));
  ASSERT_NE(engine, nullptr);
  ASSERT_TRUE(engine->create_topic("t", testing::topic_config(8)).ok());
  const int32_t partition = partition_on_shard0(*engine, "t", 8);
  ASSERT_GE(partition, 0);
  engine::Shard& shard = engine->impl().shard(0);

  const int events = static_cast<int>(3 * engine::kChannelCapacity);
  std::unique_ptr<Producer> producer;
  std::vector<int64_t> offsets;
  int errors = 0;
  // All sends in one task on shard 0's thread: with linger 0 each event is a batch, and shard 0
  // cannot drain its channel while it runs this task.
  shard.run([&] {
    ProducerOptions options;
    options.on_full = OnFull::fail;
    options.durability = Durability::written;
    Result<Producer> made = engine->producer(options);
    ASSERT_TRUE(made.ok());
    producer = std::make_unique<Producer>(std::move(*made));
    for (int i = 0; i < events; ++i) {
      Event event;
      event.value = "v" + std::to_string(i);
      event.partition = partition;
      Result<void> sent = producer->send("t", event, [&](const Result<Delivery>& delivery) {
        if (delivery.ok()) {
          offsets.push_back(delivery->offset);
        } else {
          ++errors;
        }
      });
      ASSERT_TRUE(sent.ok()) << sent.error().to_string();
    }
  });
  // The shard drains between tasks; the producer's polls (on its thread) push the rest.
  const auto until = std::chrono::steady_clock::now() + 60s;
  while (static_cast<int>(offsets.size()) + errors < events &&
         std::chrono::steady_clock::now() < until) {
    shard.run([&] { producer->poll(); });
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(errors, 0);
  ASSERT_EQ(static_cast<int>(offsets.size()), events);
  for (int i = 0; i < events; ++i)
    ASSERT_EQ(offsets[static_cast<size_t>(i)], i);  // in order
  shard.run([&] { producer.reset(); });             // nothing in flight: the flush returns at once
  EXPECT_EQ(engine->partition_state("t", partition)->latest_offset, events);
}

}  // namespace
}  // namespace sluice
