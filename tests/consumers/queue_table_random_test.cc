// QueueTable under random operations (receive, ack with right and wrong tokens, nack with and
// without delay, time passing, dead-letter outcomes), checked against what must always hold:
// no event is locked twice at once, a handled event is never delivered again, the floor is
// exact, key order holds, and a table rebuilt from the records of the run agrees with the
// original. Finally everything drains: each event is handled exactly once.
//
// The compaction variant adds DLQ replays (each DLQ position claimed once) and, at random
// points, a snapshot of the table (in parts of random sizes) that replaces the records so far,
// as the engine's compaction drops the segments before it; now and then the old records stay
// (a crash before the segments were deleted) or a snapshot is cut short (a crash while its
// parts were written). Each snapshot, restored, gives the same snapshot back; the rebuild at
// the end agrees with the live table; every event is handled once per delivery round (once,
// plus once per replay of it); no DLQ position is replayed twice.
#include "consumers/queue_snapshot_parts.h"
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

std::string describe(const std::vector<SnapshotRecord>& parts) {
  std::string out;
  for (const SnapshotRecord& part : parts) {
    out += "part " + std::to_string(part.part) + "/" + std::to_string(part.parts) + ":";
    for (int64_t floor : part.floors)
      out += " floor " + std::to_string(floor);
    for (const SnapshotRange& r : part.handled) {
      out += " [" + std::to_string(r.partition) + ":" + std::to_string(r.start) + "," +
             std::to_string(r.end) + ")";
    }
    for (const SnapshotEntry& e : part.entries) {
      out += " " + std::to_string(e.partition) + "@" + std::to_string(e.offset) + "/s" +
             std::to_string(static_cast<int>(e.state)) + "/n" + std::to_string(e.delivery_count) +
             "/t" + std::to_string(e.token) + "/d" + std::to_string(e.deadline_ms) + "/f" +
             std::to_string(e.first_delivered_ms) + "/k" + std::to_string(e.key_hash) + "/" +
             e.reason;
    }
    for (const EventPosition& d : part.replayed)
      out += " dlq " + std::to_string(d.partition) + "@" + std::to_string(d.offset);
    out += "\n";
  }
  return out;
}

// Applies the records in order as the engine's rebuild does: snapshots replace the table once
// complete, and a snapshot cut short is dropped.
QueueTable rebuild(const std::vector<QueueRecordBody>& records, const QueueSettings& settings,
                   uint64_t seed) {
  QueueTable table(std::vector<int64_t>(kPartitions, 0), settings, seed);
  QueueSnapshotParts parts;
  for (const auto& record : records) {
    if (const auto* part = std::get_if<SnapshotRecord>(&record)) {
      if (auto complete = parts.add(*part)) {
        Result<QueueTable> restored = QueueTable::from_snapshot(*complete, settings, seed);
        EXPECT_TRUE(restored.ok()) << restored.error().to_string();
        if (restored.ok()) table = std::move(*restored);
      }
      continue;
    }
    parts.abandon();
    EXPECT_TRUE(table.apply(record).ok());
  }
  return table;
}

void run(uint64_t seed, bool key_order, bool compact = false) {
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
  std::map<std::pair<int32_t, int64_t>, int> replays;    // put back by a DLQ replay
  std::vector<EventPosition> dlq_replayed;               // every DLQ position replayed
  int snapshots = 0;
  // Handled now: as many times as it was put back, plus one.
  auto handled_now = [&](std::pair<int32_t, int64_t> at) {
    auto h = handled.find(at);
    auto r = replays.find(at);
    return (h == handled.end() ? 0 : h->second) > (r == replays.end() ? 0 : r->second);
  };
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
      ASSERT_FALSE(handled_now(at)) << "a handled event was delivered again";
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

  auto replay = [&] {
    std::vector<std::pair<int32_t, int64_t>> candidates;
    for (const auto& [at, count] : handled) {
      if (handled_now(at)) candidates.push_back(at);
    }
    if (candidates.empty()) return;
    const auto at = candidates[random() % candidates.size()];
    const EventPosition dlq{static_cast<int32_t>(random() % 2),
                            static_cast<int64_t>(dlq_replayed.size())};
    ASSERT_TRUE(table.claim_replay(dlq));
    ASSERT_TRUE(table.reinstate(at.first, at.second, true, keys[at]));
    table.record_replay(dlq);
    records.push_back(ReplayedRecord{{{dlq, {at.first, at.second}, true, keys[at]}}});
    dlq_replayed.push_back(dlq);
    ++replays[at];
    // A DLQ position is replayed once.
    const EventPosition again = dlq_replayed[random() % dlq_replayed.size()];
    ASSERT_FALSE(table.claim_replay(again));
  };

  auto snapshot = [&] {
    const size_t limits[] = {150, 600, kQueueSnapshotPartBytes};
    const size_t limit = limits[random() % 3];
    std::vector<SnapshotRecord> parts = table.snapshot(limit);
    ASSERT_FALSE(parts.empty());
    for (const SnapshotRecord& part : parts) {
      ASSERT_LE(snapshot_body_bytes(part), std::max<size_t>(limit, 200)) << "a part too large";
      ASSERT_TRUE(encode_queue_value(part).ok());
    }
    // Restored, the same snapshot.
    Result<QueueTable> restored = QueueTable::from_snapshot(parts, settings, seed + 3);
    ASSERT_TRUE(restored.ok()) << restored.error().to_string();
    ASSERT_EQ(describe(restored->snapshot(limit)), describe(parts));
    ASSERT_EQ(restored->snapshot(limit), parts);
    const int how = static_cast<int>(random() % 4);
    if (how == 0 && parts.size() > 1) {
      // Cut short by a crash: the old records stay, and only a prefix of the parts is there.
      const size_t kept = 1 + random() % (parts.size() - 1);
      records.insert(records.end(), parts.begin(), parts.begin() + static_cast<long>(kept));
      return;
    }
    // how == 1: written and synced, but the crash came before the segments were deleted.
    if (how != 1) records.clear();
    records.insert(records.end(), parts.begin(), parts.end());
    ++snapshots;
  };

  for (int step = 0; step < 4000; ++step) {
    const int op = static_cast<int>(random() % 10);
    std::vector<DeadLetterDecision> dead;
    if (compact && op == 9 && random() % 4 == 0) {
      if (random() % 2) {
        replay();
      } else {
        snapshot();
      }
      if (::testing::Test::HasFatalFailure()) return;
      continue;
    }
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
          // Handled, or put back by a replay (pending below the floor).
          ASSERT_TRUE(handled_now({p, o}) || replays.contains({p, o}))
              << p << "@" << o << " below floor " << floor;
        }
        if (floor < kEventsPerPartition) {
          ASSERT_FALSE(handled_now({p, floor}));
        }
      }
    }
  }

  // A table rebuilt from the records agrees on what is handled and on every live lock.
  QueueTable rebuilt = rebuild(records, settings, seed + 1);
  for (int32_t p = 0; p < kPartitions; ++p) {
    EXPECT_EQ(rebuilt.floor(p), table.floor(p));
    for (int64_t o = 0; o < kEventsPerPartition; ++o) {
      EXPECT_EQ(rebuilt.handled(p, o), table.handled(p, o)) << p << "@" << o;
      EXPECT_EQ(rebuilt.find(p, o).has_value(), table.find(p, o).has_value()) << p << "@" << o;
    }
  }
  for (const EventPosition& dlq : dlq_replayed)
    EXPECT_TRUE(rebuilt.replayed(dlq)) << "DLQ " << dlq.partition << "@" << dlq.offset;
  if (compact) {
    EXPECT_GT(snapshots, 0);
  }
  for (const auto& [at, lock] : locked) {
    if (lock.expires <= now) continue;
    EXPECT_EQ(rebuilt.check(at.first, at.second, lock.token, now), LockCheck::ok);
  }

  // Drain: receive and ack until everything is handled.
  auto all_handled = [&] {
    for (int32_t p = 0; p < kPartitions; ++p) {
      for (int64_t o = 0; o < kEventsPerPartition; ++o) {
        if (!handled_now({p, o})) return false;
      }
    }
    return true;
  };
  for (int round = 0; round < 100000 && !all_handled(); ++round) {
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
  for (int32_t p = 0; p < kPartitions; ++p) {
    for (int64_t o = 0; o < kEventsPerPartition; ++o) {
      if (handled_now({p, o})) continue;
      auto view = table.find(p, o);
      ADD_FAILURE() << "stuck " << p << "@" << o << " key " << keys[{p, o}] << " cursor "
                    << table.cursor(p) << " floor " << table.floor(p) << " state "
                    << (view ? static_cast<int>(view->state) : -1);
      break;
    }
  }
  ASSERT_EQ(handled.size(), static_cast<size_t>(kPartitions * kEventsPerPartition));
  for (const auto& [at, count] : handled) {
    const int put_back = replays.contains(at) ? replays.at(at) : 0;
    EXPECT_EQ(count, 1 + put_back) << at.first << "@" << at.second;
  }
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

TEST(QueueTableRandomTest, CompactionsAtRandomPointsRebuildTheSameTable) {
  for (uint64_t seed = 201; seed <= 230; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    run(seed, seed % 2 == 0, true);
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
