// QueueTable under random operations (receive, ack with right and wrong tokens, nack with and
// without delay, time passing, dead-letter outcomes), checked against what must always hold:
// no event is locked twice at once, a handled event is never delivered again, the floor is
// exact, key order holds, and a table rebuilt from the records of the run agrees with the
// original. Finally everything drains: each event is handled exactly once.
#include "consumers/queue_table.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

namespace sluice::consumers {
namespace {

constexpr int32_t kPartitions = 3;
constexpr int64_t kEventsPerPartition = 300;
constexpr int64_t kStart = 1'700'000'000'000;

struct Locked {
  uint64_t token;
  int64_t expires;
  uint32_t count;
};

void run(uint64_t seed, bool key_order) {
  std::mt19937_64 random(seed);
  QueueSettings settings;
  settings.max_deliveries = 4;
  settings.lock_ms = 50;
  settings.retry.initial = std::chrono::milliseconds(5);
  settings.retry.maximum = std::chrono::milliseconds(40);
  settings.max_in_flight = 40;
  settings.key_order = key_order;
  QueueTable table(std::vector<int64_t>(kPartitions, 0), settings, seed);
  std::vector<QueueRecordBody> records;

  int64_t now = kStart;
  std::map<std::pair<int32_t, int64_t>, Locked> locked;  // as the consumers hold them
  std::map<std::pair<int32_t, int64_t>, int> handled;    // acked or dead-lettered
  std::map<std::pair<int32_t, int64_t>, uint64_t> keys;
  for (int32_t p = 0; p < kPartitions; ++p) {
    for (int64_t o = 0; o < kEventsPerPartition; ++o)
      keys[{p, o}] = (o * 7 + p) % 5;  // 5 keys per partition
  }
  auto handle = [&](int32_t p, int64_t o) { ++handled[{p, o}]; };

  auto receive = [&] {
    std::vector<QueueDelivery> out;
    const uint32_t max = 1 + random() % 20;
    table.take_ready(now, settings.lock_ms, max, out);
    for (int32_t p = 0; p < kPartitions && out.size() < max; ++p) {
      std::vector<NewEvent> offered;
      for (int64_t o = table.cursor(p); o < kEventsPerPartition && offered.size() < 10; ++o)
        offered.push_back({o, true, keys[{p, o}]});
      table.offer(p, offered, now, settings.lock_ms, max, out);
    }
    DeliverRecord deliver{now, now + settings.lock_ms, {}};
    for (const QueueDelivery& d : out) {
      const auto at = std::make_pair(d.partition, d.offset);
      ASSERT_FALSE(handled.contains(at)) << "a handled event was delivered again";
      auto held = locked.find(at);
      // Locked before by someone whose lock is still running: a double lock.
      ASSERT_TRUE(held == locked.end() || held->second.expires <= now)
          << "event locked twice at once";
      if (key_order) {
        for (const auto& [other, lock] : locked) {
          if (other.first == d.partition && other != at && lock.expires > now &&
              keys[other] == keys[at]) {
            ADD_FAILURE() << "two events of one key locked at once";
          }
        }
      }
      locked[at] = {d.token, d.lock_expires_ms, d.delivery_count};
      deliver.entries.push_back(
          {d.partition, d.offset, d.delivery_count, d.token, true, d.key_hash});
    }
    if (!deliver.entries.empty()) records.push_back(deliver);
  };

  auto settle = [&](std::vector<DeadLetterDecision>& dead) {
    DeadLetteredRecord moved;
    for (const auto& d : dead) {
      if (random() % 5 == 0) {
        table.dead_letter_failed(d.partition, d.offset);
        continue;
      }
      table.dead_lettered(d.partition, d.offset);
      handle(d.partition, d.offset);
      locked.erase({d.partition, d.offset});
      moved.events.push_back({d.partition, d.offset});
    }
    if (!moved.events.empty()) records.push_back(moved);
    dead.clear();
  };

  for (int step = 0; step < 4000; ++step) {
    const int op = static_cast<int>(random() % 10);
    std::vector<DeadLetterDecision> dead;
    if (op < 4) {
      receive();
    } else if (op < 8 && !locked.empty()) {
      auto it = locked.begin();
      std::advance(it, static_cast<long>(random() % locked.size()));
      const auto [p, o] = it->first;
      const bool wrong = random() % 10 == 0;
      const uint64_t token = wrong ? it->second.token ^ 1 : it->second.token;
      const bool live = it->second.expires > now && !wrong;
      if (op < 6) {
        const LockCheck checked = table.ack(p, o, token, now);
        if (!live) {
          EXPECT_NE(checked, LockCheck::ok);
          if (!wrong) locked.erase(it);
          continue;
        }
        // The consumer's lock may have been replaced only after it expired.
        ASSERT_EQ(checked, LockCheck::ok);
        handle(p, o);
        locked.erase(it);
        records.push_back(AckRecord{{{p, o}}});
      } else {
        std::optional<int64_t> after;
        if (random() % 2) after = static_cast<int64_t>(random() % 30);
        int64_t due = 0;
        const LockCheck checked = table.nack(p, o, token, now, settings, "r", after, &due, dead);
        if (!live) {
          EXPECT_NE(checked, LockCheck::ok);
          if (!wrong) locked.erase(it);
          continue;
        }
        ASSERT_EQ(checked, LockCheck::ok);
        locked.erase(it);
        if (due >= 0) records.push_back(RetryRecord{"r", {{p, o, due}}});
        settle(dead);
      }
    } else {
      now += 1 + static_cast<int64_t>(random() % 30);
      table.expire(now, dead);
      settle(dead);
    }
    // The floor: everything below is handled, and the floor itself is not.
    if (step % 100 == 0) {
      for (int32_t p = 0; p < kPartitions; ++p) {
        const int64_t floor = table.floor(p);
        for (int64_t o = 0; o < floor; ++o) {
          ASSERT_TRUE(handled.contains({p, o})) << p << "@" << o << " below floor " << floor;
        }
        if (floor < kEventsPerPartition) {
          ASSERT_FALSE(handled.contains({p, floor}));
        }
      }
    }
  }

  // A table rebuilt from the records agrees on what is handled and on every live lock.
  QueueTable rebuilt(std::vector<int64_t>(kPartitions, 0), settings, seed + 1);
  for (const auto& record : records)
    ASSERT_TRUE(rebuilt.apply(record).ok());
  for (int32_t p = 0; p < kPartitions; ++p) {
    EXPECT_EQ(rebuilt.floor(p), table.floor(p));
    for (int64_t o = 0; o < kEventsPerPartition; ++o) {
      EXPECT_EQ(rebuilt.handled(p, o), table.handled(p, o)) << p << "@" << o;
    }
  }
  for (const auto& [at, lock] : locked) {
    if (lock.expires <= now) continue;
    EXPECT_EQ(rebuilt.check(at.first, at.second, lock.token, now), LockCheck::ok);
  }

  // Drain: receive and ack until everything is handled.
  for (int round = 0; round < 100000 && handled.size() < kPartitions * kEventsPerPartition;
       ++round) {
    now += 60;  // every lock and retry runs out
    std::vector<DeadLetterDecision> dead;
    table.expire(now, dead);
    settle(dead);
    locked.clear();
    std::vector<QueueDelivery> out;
    table.take_ready(now, settings.lock_ms, 100, out);
    for (int32_t p = 0; p < kPartitions; ++p) {
      std::vector<NewEvent> offered;
      for (int64_t o = table.cursor(p); o < kEventsPerPartition && offered.size() < 50; ++o)
        offered.push_back({o, true, keys[{p, o}]});
      table.offer(p, offered, now, settings.lock_ms, 100, out);
    }
    for (const QueueDelivery& d : out) {
      ASSERT_EQ(table.ack(d.partition, d.offset, d.token, now), LockCheck::ok);
      handle(d.partition, d.offset);
    }
  }
  ASSERT_EQ(handled.size(), static_cast<size_t>(kPartitions * kEventsPerPartition));
  for (const auto& [at, count] : handled)
    EXPECT_EQ(count, 1) << at.first << "@" << at.second;
  for (int32_t p = 0; p < kPartitions; ++p)
    EXPECT_EQ(table.commit_position(p), kEventsPerPartition);
  EXPECT_EQ(table.stats().pending, 0u);
}

TEST(QueueTableRandomTest, InvariantsHoldUnderRandomOperations) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    run(seed, false);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(QueueTableRandomTest, InvariantsHoldUnderRandomOperationsWithKeyOrder) {
  for (uint64_t seed = 101; seed <= 120; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    run(seed, true);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace sluice::consumers
