// Shard's wait: a parking shard with nothing to do goes to sleep in its ring's poll (its spin
// budget is time, and traffic in long gaps does not make it spin), and wakes for each task
// posted to it; a spinning shard never sleeps. No timing is asserted: waits end on conditions.
#include "engine/shard.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

namespace sluice {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<engine::Shard> start_shard(WaitStrategy wait) {
  engine::Shard::Options options;
  options.wait = wait;
  Result<std::unique_ptr<engine::Shard>> shard = engine::Shard::start(options);
  EXPECT_TRUE(shard.ok()) << shard.error().to_string();
  return shard.ok() ? std::move(*shard) : nullptr;
}

// Waits (up to a generous bound, so that a broken shard fails instead of hanging) until the
// shard has slept more than `count` times.
bool sleeps_beyond(const engine::Shard& shard, uint64_t count) {
  for (int i = 0; i < 60000 && shard.sleeps() <= count; ++i)
    std::this_thread::sleep_for(1ms);
  return shard.sleeps() > count;
}

TEST(ShardTest, AnIdleParkingShardSleeps) {
  auto shard = start_shard(WaitStrategy::park);
  ASSERT_NE(shard, nullptr);
  EXPECT_TRUE(sleeps_beyond(*shard, 0));
}

TEST(ShardTest, AParkingShardWakesForEachTaskAndSleepsAgain) {
  auto shard = start_shard(WaitStrategy::park);
  ASSERT_NE(shard, nullptr);
  for (int task = 0; task < 20; ++task) {
    const uint64_t before = shard->sleeps();
    ASSERT_TRUE(sleeps_beyond(*shard, before));
    // Posted while it sleeps (or about to): wake() must end the sleep.
    EXPECT_EQ(shard->run([task] { return task * 2; }), task * 2);
  }
  // Work in long gaps keeps it parking: it slept between every task.
  EXPECT_GE(shard->sleeps(), 20u);
}

TEST(ShardTest, ASpinningShardNeverSleeps) {
  auto shard = start_shard(WaitStrategy::spin);
  ASSERT_NE(shard, nullptr);
  std::atomic<int> ran{0};
  for (int task = 0; task < 100; ++task)
    shard->post([&ran] { ran.fetch_add(1); });
  EXPECT_EQ(shard->run([&ran] { return ran.load(); }), 100);
  EXPECT_EQ(shard->sleeps(), 0u);
}

TEST(ShardTest, StopsWhileAsleep) {
  auto shard = start_shard(WaitStrategy::park);
  ASSERT_NE(shard, nullptr);
  ASSERT_TRUE(sleeps_beyond(*shard, 0));
  shard->stop();  // wake() ends the sleep and the thread joins
  EXPECT_GE(shard->sleeps(), 1u);
}

}  // namespace
}  // namespace sluice
