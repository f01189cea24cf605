// Tail waiters (engine/tail_waiters.h): a shard that waits for the next append to a partition
// of another shard is woken after it, and never misses one: an append clears the bits it
// woke, and a service on the waiting shard that registers and then checks the high watermark
// sees every append without any other reason to wake (run it under ThreadSanitizer). No
// timing is asserted: waits end on conditions, with generous bounds.
#include "engine/tail_waiters.h"

#include "engine/engine_impl.h"
#include "engine/shard.h"
#include "engine/shard_service.h"
#include "tests/engine/engine_test_env.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::open_engine;
using testing::topic_config;

class TailWaitersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(engine_, nullptr);
    ASSERT_EQ(engine_->shard_count(), 2u);
    ASSERT_TRUE(engine_->create_topic("t", topic_config(8)).ok());
    // A partition that shard 1 owns: shard 0 waits for it.
    for (int32_t p = 0; p < 8 && !slot_; ++p) {
      auto slot = engine_->impl().find_partition("t", p);
      ASSERT_TRUE(slot.ok());
      if ((*slot)->shard == 1) slot_ = *slot;
    }
    ASSERT_NE(slot_, nullptr) << "no partition of 8 on shard 1";
  }

  void append_one(const std::string& value) {
    Result<Producer> producer = engine_->producer(ProducerOptions{});
    ASSERT_TRUE(producer.ok()) << producer.error().to_string();
    Event event;
    event.value = value;
    event.partition = slot_->partition;
    std::future<Result<Delivery>> sent = producer->send_future("t", std::move(event));
    ASSERT_TRUE(producer->flush().ok());
    Result<Delivery> delivered = sent.get();
    ASSERT_TRUE(delivered.ok()) << delivered.error().to_string();
  }

  testing::TempDir dir_;
  std::unique_ptr<Engine> engine_ = open_engine(testing::engine_options(dir_.path(), 2));
  std::shared_ptr<engine::PartitionSlot> slot_;
};

TEST_F(TailWaitersTest, AnAppendTakesTheBitsOfTheShardsItWakes) {
  engine::watch_tail(*slot_, 0);
  EXPECT_EQ(slot_->tail_waiters.load(), engine::tail_waiter_bit(0));
  engine::watch_tail(*slot_, 0);  // registered once
  EXPECT_EQ(slot_->tail_waiters.load(), engine::tail_waiter_bit(0));
  append_one("a");
  EXPECT_EQ(slot_->tail_waiters.load(), 0u);
  // Nobody waits now: the next append leaves the bits alone.
  append_one("b");
  EXPECT_EQ(slot_->tail_waiters.load(), 0u);
}

// Polled by shard 0 every loop round, like the server's connections: registers for the next
// append, then records the high watermark it sees. Shard 0 has no other work: without the
// owner's wake-up it would see an append only when its capped sleep (100 ms) ends.
class Watcher : public engine::ShardService {
 public:
  explicit Watcher(engine::PartitionSlot& slot) : slot_(slot) {}
  size_t poll() override {
    engine::watch_tail(slot_, 0);
    seen.store(slot_.reader->high_watermark(), std::memory_order_release);
    return 0;
  }
  std::atomic<int64_t> seen{-1};

 private:
  engine::PartitionSlot& slot_;
};

TEST_F(TailWaitersTest, AWaitingShardSeesEveryAppend) {
  engine::Shard& shard0 = engine_->impl().shard(0);
  Watcher watcher(*slot_);
  shard0.attach(&watcher);
  int slow = 0;  // appends that shard 0 saw only after half its capped sleep
  for (int i = 1; i <= 50; ++i) {
    append_one("event " + std::to_string(i));
    const auto appended = std::chrono::steady_clock::now();
    while (watcher.seen.load(std::memory_order_acquire) < i &&
           std::chrono::steady_clock::now() < appended + 30s) {
      std::this_thread::sleep_for(100us);
    }
    ASSERT_EQ(watcher.seen.load(), i) << "shard 0 never saw append " << i;
    if (std::chrono::steady_clock::now() - appended > 50ms) ++slow;
  }
  shard0.detach(&watcher);
  // Not a timing target, a generous check that the wake-ups happen at all: without them
  // about half of the appends would wait more than 50 ms; with them, hardly any does.
  EXPECT_LT(slow, 15) << slow << " of 50 appends waited for shard 0's capped sleep";
}

}  // namespace
}  // namespace sluice
