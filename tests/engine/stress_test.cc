// Many producers and consumers at once (run under ThreadSanitizer in CI): every event is
// delivered at least once, each partition in offset order, each key's events in the order its
// producer sent them, while members join and leave. One of the consumers takes its events by
// callback delivery (on the shards' threads), the other from poll().
#include "tests/engine/engine_test_env.h"

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <span>
#include <thread>

namespace sluice {
namespace {

using namespace std::chrono_literals;

constexpr int kProducers = 3;
constexpr int kEventsPerProducer = 3000;
constexpr int kKeysPerProducer = 20;
constexpr int kConsumers = 2;

struct Seen {
  std::mutex mutex;
  std::set<std::pair<int32_t, int64_t>> positions;
};

// What one membership of a consumer saw last, per partition and per key.
struct Order {
  std::map<int32_t, int64_t> last_offset;
  std::map<std::string, int> last_value;
};

// Checks the order of `records` against what the membership saw before; under seen.mutex.
void take(std::span<const Record> records, Order& order, Seen& seen) {
  for (const Record& r : records) {
    auto it = order.last_offset.find(r.partition);
    if (it != order.last_offset.end()) {
      EXPECT_GT(r.offset, it->second);
    }
    order.last_offset[r.partition] = r.offset;
    const int value = std::stoi(*r.value);
    auto key = order.last_value.find(*r.key);
    // Within one membership, a key's events come in send order (they share a partition).
    if (key != order.last_value.end()) {
      EXPECT_GT(value, key->second) << *r.key;
    }
    order.last_value[*r.key] = value;
    seen.positions.insert({r.partition, r.offset});
  }
}

TEST(EngineStress, ProducersAndConsumersKeepOrderAndLoseNothing) {
  testing::TempDir dir;
  std::unique_ptr<Engine> engine = testing::open_engine(testing::engine_options(dir.path()));
  ASSERT_NE(engine, nullptr);
  ASSERT_TRUE(engine->create_topic("s", testing::topic_config(6)).ok());

  std::atomic<int> producers_done{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      ProducerOptions options;
      options.linger = std::chrono::microseconds(p == 0 ? 0 : 200);
      options.durability = p == 2 ? Durability::synced : Durability::written;
      Result<Producer> producer = engine->producer(options);
      ASSERT_TRUE(producer.ok());
      for (int i = 0; i < kEventsPerProducer; ++i) {
        Event event;
        event.key = "p" + std::to_string(p) + "-k" + std::to_string(i % kKeysPerProducer);
        event.value = std::to_string(i);
        ASSERT_TRUE(producer->send("s", std::move(event)).ok());
      }
      ASSERT_TRUE(producer->flush().ok());
      producers_done.fetch_add(1);
    });
  }

  Seen seen;
  std::atomic<bool> stop{false};
  for (int c = 0; c < kConsumers; ++c) {
    threads.emplace_back([&, c] {
      ConsumerOptions options = testing::consumer_options("stress", {"s"});
      options.auto_commit = true;
      options.auto_commit_interval = 50ms;
      while (!stop.load()) {
        // Each consumer leaves and rejoins now and then, forcing rebalances.
        Order order;
        if (c == 1) {
          options.on_events = [&](std::span<const Record> records) {
            std::lock_guard lock(seen.mutex);
            take(records, order, seen);
          };
        }
        Result<Consumer> consumer = engine->consumer(options);
        ASSERT_TRUE(consumer.ok());
        for (int round = 0; round < 30 + 10 * c && !stop.load(); ++round) {
          Result<std::vector<Record>> polled = consumer->poll(20ms);
          ASSERT_TRUE(polled.ok()) << polled.error().to_string();
          std::lock_guard lock(seen.mutex);
          take(*polled, order, seen);
        }
        ASSERT_TRUE(consumer->close().ok());  // no call of on_events after this
      }
    });
  }
  const auto until = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(20ms);
    if (producers_done.load() < kProducers) continue;
    std::lock_guard lock(seen.mutex);
    if (seen.positions.size() == kProducers * kEventsPerProducer) break;
  }
  stop.store(true);
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(seen.positions.size(), static_cast<size_t>(kProducers * kEventsPerProducer));
}

}  // namespace
}  // namespace sluice
