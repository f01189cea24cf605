// Queues from several threads at once (a ThreadSanitizer target, tools/dev): receivers on
// different threads never hold the same event locked at the same time, every event is
// handled exactly once, and nacked events come back to some thread.
#include "tests/engine/engine_test_env.h"

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::open_engine;
using testing::topic_config;

TEST(QueueThreadsTest, ConcurrentReceiversNeverHoldTheSameEventAndHandleEachOnce) {
  testing::TempDir dir;
  std::unique_ptr<Engine> engine = open_engine(testing::engine_options(dir.path()));
  ASSERT_NE(engine, nullptr);
  ASSERT_TRUE(engine->create_topic("t", topic_config(3)).ok());
  constexpr int kEvents = 3000;
  {
    Result<Producer> producer = engine->producer();
    ASSERT_TRUE(producer.ok());
    std::vector<Event> events;
    for (int i = 0; i < kEvents; ++i)
      events.push_back(testing::keyed_event("k" + std::to_string(i % 50), std::to_string(i)));
    ASSERT_EQ(testing::send_all(*producer, "t", events).size(), static_cast<size_t>(kEvents));
  }
  QueueOptions options;
  options.group = "g";
  options.topic = "t";
  options.lock_duration = 30s;  // no expiry during the test: any overlap is a bug
  options.durability = Durability::written;

  std::mutex mutex;
  std::set<std::pair<int32_t, int64_t>> held;  // locked by some thread now
  std::map<std::pair<int32_t, int64_t>, int> acked;
  std::atomic<int> overlaps{0};
  std::atomic<int> nacked{0};
  std::atomic<int> handled{0};
  std::atomic<int> errors{0};

  auto worker = [&](int id) {
    Result<Queue> queue = engine->queue(options);  // each thread its own handle
    if (!queue.ok()) {
      ++errors;
      return;
    }
    const auto until = std::chrono::steady_clock::now() + 60s;
    int round = 0;
    while (handled.load() < kEvents && std::chrono::steady_clock::now() < until) {
      auto got = queue->receive(16 + id, 20ms);
      if (!got.ok()) {
        ++errors;
        return;
      }
      {
        std::lock_guard lock(mutex);
        for (const auto& e : *got) {
          if (!held.insert({e.record.partition, e.record.offset}).second) ++overlaps;
        }
      }
      std::vector<LockRef> to_ack, to_nack;
      for (const auto& e : *got) {
        LockRef ref{e.record.partition, e.record.offset, e.lock_token};
        // Every 7th first delivery fails once, and comes back at once.
        if (e.delivery_count == 1 && (e.record.offset + id + round) % 7 == 0) {
          to_nack.push_back(ref);
        } else {
          to_ack.push_back(ref);
        }
      }
      ++round;
      // Released from `held` before the nack makes them deliverable again.
      {
        std::lock_guard lock(mutex);
        for (const auto& e : *got)
          held.erase({e.record.partition, e.record.offset});
      }
      if (!to_nack.empty()) {
        auto out = queue->nack(to_nack, {"once", 0ms});
        if (!out.ok()) ++errors;
        for (const auto& o : *out) {
          if (!o.result.ok()) ++errors;
        }
        nacked += static_cast<int>(to_nack.size());
      }
      if (!to_ack.empty()) {
        auto out = queue->ack(to_ack);
        if (!out.ok()) {
          ++errors;
          continue;
        }
        std::lock_guard lock(mutex);
        for (const auto& o : *out) {
          if (!o.result.ok()) {
            ++errors;
            continue;
          }
          ++acked[{o.ref.partition, o.ref.offset}];
          ++handled;
        }
      }
    }
  };
  std::vector<std::thread> threads;
  for (int id = 0; id < 4; ++id)
    threads.emplace_back(worker, id);
  for (auto& t : threads)
    t.join();

  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_GT(nacked.load(), 0);
  EXPECT_EQ(handled.load(), kEvents);
  ASSERT_EQ(acked.size(), static_cast<size_t>(kEvents));
  for (const auto& [position, count] : acked)
    EXPECT_EQ(count, 1) << position.first << "@" << position.second;
  std::vector<QueueStats> stats = engine->queue_stats();
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].acked, static_cast<uint64_t>(kEvents));
  EXPECT_EQ(stats[0].in_flight, 0u);
  EXPECT_EQ(stats[0].redelivered, static_cast<uint64_t>(nacked.load()));
}

}  // namespace
}  // namespace sluice
