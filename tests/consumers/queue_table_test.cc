// QueueTable: delivery, ack, nack with backoff, lock expiry, dead-letter decisions, key order,
// the in-flight bound, replay and the handled floor.
#include "consumers/queue_table.h"

#include <gtest/gtest.h>

#include <map>

namespace sluice::consumers {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;
constexpr int64_t kLock = 1000;

QueueSettings settings(uint32_t max_deliveries = 3, uint32_t max_in_flight = 1000,
                       bool key_order = false) {
  QueueSettings s;
  s.max_deliveries = max_deliveries;
  s.retry.initial = std::chrono::milliseconds(100);
  s.retry.multiplier = 2.0;
  s.retry.maximum = std::chrono::milliseconds(1000);
  s.retry.jitter = 0.0;
  s.lock_ms = kLock;
  s.max_in_flight = max_in_flight;
  s.key_order = key_order;
  return s;
}

std::vector<NewEvent> events(int64_t first, int64_t count, std::vector<uint64_t> keys = {}) {
  std::vector<NewEvent> out;
  for (int64_t i = 0; i < count; ++i) {
    NewEvent e;
    e.offset = first + i;
    if (!keys.empty()) {
      e.has_key = true;
      e.key_hash = keys[static_cast<size_t>(i) % keys.size()];
    }
    out.push_back(e);
  }
  return out;
}

// Offers `count` events of partition 0 from its cursor; returns the deliveries.
std::vector<QueueDelivery> receive(QueueTable& table, int64_t count, int64_t now = kNow,
                                   uint32_t max = 1000, std::vector<uint64_t> keys = {}) {
  std::vector<QueueDelivery> out;
  table.take_ready(now, kLock, max, out);
  auto offered = events(table.cursor(0), count, std::move(keys));
  table.offer(0, offered, now, kLock, max, out);
  return out;
}

TEST(QueueTableTest, DeliversLocksAndAcksMoveTheFloor) {
  QueueTable table({10}, settings(), 1);
  auto got = receive(table, 5);
  ASSERT_EQ(got.size(), 5u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].offset, 10 + static_cast<int64_t>(i));
    EXPECT_EQ(got[i].delivery_count, 1u);
    EXPECT_EQ(got[i].lock_expires_ms, kNow + kLock);
    EXPECT_NE(got[i].token, 0u);
  }
  EXPECT_EQ(table.cursor(0), 15);
  EXPECT_EQ(table.stats().locked, 5u);
  // Acks out of order: the floor waits for the gap.
  EXPECT_EQ(table.ack(0, 12, got[2].token, kNow), LockCheck::ok);
  EXPECT_EQ(table.ack(0, 14, got[4].token, kNow), LockCheck::ok);
  EXPECT_EQ(table.floor(0), 10);
  EXPECT_TRUE(table.handled(0, 12));
  EXPECT_FALSE(table.handled(0, 11));
  EXPECT_EQ(table.ack(0, 10, got[0].token, kNow), LockCheck::ok);
  EXPECT_EQ(table.floor(0), 11);
  EXPECT_EQ(table.ack(0, 11, got[1].token, kNow), LockCheck::ok);
  EXPECT_EQ(table.floor(0), 13);
  EXPECT_EQ(table.ack(0, 13, got[3].token, kNow), LockCheck::ok);
  EXPECT_EQ(table.floor(0), 15);
  EXPECT_EQ(table.commit_position(0), 15);
  EXPECT_EQ(table.stats().acked, 5u);
  EXPECT_EQ(table.stats().pending, 0u);
}

TEST(QueueTableTest, AckChecksTheLock) {
  QueueTable table({0, 0}, settings(), 2);
  auto got = receive(table, 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(table.ack(0, 0, got[0].token + 1, kNow), LockCheck::lock_lost);
  EXPECT_EQ(table.ack(0, 0, got[0].token, kNow + kLock), LockCheck::lock_lost);  // ran out
  EXPECT_EQ(table.ack(0, 5, got[0].token, kNow), LockCheck::not_found);          // never delivered
  EXPECT_EQ(table.ack(2, 0, got[0].token, kNow), LockCheck::bad_partition);
  EXPECT_EQ(table.ack(-1, 0, got[0].token, kNow), LockCheck::bad_partition);
  EXPECT_EQ(table.ack(0, 0, got[0].token, kNow), LockCheck::ok);
  EXPECT_EQ(table.ack(0, 0, got[0].token, kNow), LockCheck::not_found);  // handled
}

TEST(QueueTableTest, NackWaitsForTheBackoffAndRedeliveriesComeFirst) {
  QueueTable table({0}, settings(5), 3);
  auto got = receive(table, 1);
  ASSERT_EQ(got.size(), 1u);
  std::vector<DeadLetterDecision> dead;
  int64_t due = 0;
  EXPECT_EQ(table.nack(0, 0, got[0].token, kNow, settings(5), "boom", std::nullopt, &due, dead),
            LockCheck::ok);
  EXPECT_EQ(due, kNow + 100);  // first retry: initial
  EXPECT_EQ(table.stats().waiting, 1u);
  EXPECT_EQ(table.next_deadline_ms(), kNow + 100);
  table.expire(kNow + 99, dead);
  EXPECT_FALSE(table.has_ready());
  table.expire(kNow + 100, dead);
  EXPECT_TRUE(table.has_ready());
  EXPECT_TRUE(dead.empty());
  // The redelivery comes before new events.
  got = receive(table, 3, kNow + 100, 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].offset, 0);
  EXPECT_EQ(got[0].delivery_count, 2u);
  EXPECT_EQ(got[1].offset, 1);
  EXPECT_EQ(table.find(0, 0)->reason, "");  // a new delivery clears the last reason
  // Second retry: initial * 2.
  EXPECT_EQ(
      table.nack(0, 0, got[0].token, kNow + 100, settings(5), "again", std::nullopt, &due, dead),
      LockCheck::ok);
  EXPECT_EQ(due, kNow + 300);
  EXPECT_EQ(table.find(0, 0)->reason, "again");
  // A nack's own delay wins; zero is at once.
  got = receive(table, 0, kNow + 300);
  ASSERT_EQ(got.size(), 0u);
  table.expire(kNow + 300, dead);
  got = receive(table, 0, kNow + 300);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(table.nack(0, 0, got[0].token, kNow + 300, settings(5), "", int64_t{0}, &due, dead),
            LockCheck::ok);
  EXPECT_EQ(due, kNow + 300);
  got = receive(table, 0, kNow + 300);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].delivery_count, 4u);
  EXPECT_EQ(table.stats().redelivered, 3u);
}

TEST(QueueTableTest, DeadLetterDecisionAtMaxDeliveriesByNackOrLockExpiry) {
  QueueTable table({0}, settings(2), 4);
  auto got = receive(table, 2);
  ASSERT_EQ(got.size(), 2u);
  std::vector<DeadLetterDecision> dead;
  int64_t due = 0;
  // Event 0: nacked twice.
  ASSERT_EQ(table.nack(0, 0, got[0].token, kNow, settings(2), "r1", int64_t{0}, &due, dead),
            LockCheck::ok);
  // Event 1: its lock runs out twice.
  table.expire(kNow + kLock, dead);
  EXPECT_TRUE(dead.empty());
  got = receive(table, 0, kNow + kLock);
  ASSERT_EQ(got.size(), 2u);
  for (const auto& d : got)
    EXPECT_EQ(d.delivery_count, 2u);
  const QueueDelivery first = got[0].offset == 0 ? got[0] : got[1];
  ASSERT_EQ(
      table.nack(0, 0, first.token, kNow + kLock, settings(2), "r2", std::nullopt, &due, dead),
      LockCheck::ok);
  EXPECT_EQ(due, -1);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].offset, 0);
  EXPECT_EQ(dead[0].delivery_count, 2u);
  EXPECT_EQ(dead[0].reason, "r2");
  EXPECT_EQ(table.find(0, 0)->state, EntryState::dead_lettering);
  table.expire(kNow + 2 * kLock, dead);
  ASSERT_EQ(dead.size(), 2u);
  EXPECT_EQ(dead[1].offset, 1);
  EXPECT_EQ(dead[1].reason, "lock expired");
  // A failed move makes it ready again; a done one makes it handled.
  table.dead_letter_failed(0, 1);
  EXPECT_TRUE(table.has_ready());
  table.dead_lettered(0, 0);
  EXPECT_TRUE(table.handled(0, 0));
  EXPECT_EQ(table.floor(0), 1);
  EXPECT_EQ(table.stats().dead_lettered, 1u);
}

TEST(QueueTableTest, ExpiredLockRedeliversWithTheNextCountAndANewToken) {
  QueueTable table({0}, settings(10), 5);
  auto got = receive(table, 1);
  ASSERT_EQ(got.size(), 1u);
  std::vector<DeadLetterDecision> dead;
  table.expire(kNow + kLock, dead);
  auto again = receive(table, 0, kNow + kLock);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].delivery_count, 2u);
  EXPECT_NE(again[0].token, got[0].token);
  EXPECT_EQ(table.ack(0, 0, got[0].token, kNow + kLock), LockCheck::lock_lost);
  EXPECT_EQ(table.ack(0, 0, again[0].token, kNow + kLock), LockCheck::ok);
}

TEST(QueueTableTest, KeyOrderHoldsALaterEventOfAKeyWhileAnEarlierIsPending) {
  QueueTable table({0}, settings(10, 1000, true), 6);
  // Keys: A B A C A (offsets 0..4).
  std::vector<QueueDelivery> out;
  auto offered = events(0, 5, {1, 2, 1, 3, 1});
  EXPECT_EQ(table.offer(0, offered, kNow, kLock, 100, out), 5u);
  ASSERT_EQ(out.size(), 3u);  // 0 (A), 1 (B), 3 (C)
  EXPECT_EQ(out[0].offset, 0);
  EXPECT_EQ(out[1].offset, 1);
  EXPECT_EQ(out[2].offset, 3);
  // A nack keeps A's later events waiting through the retry.
  std::vector<DeadLetterDecision> dead;
  int64_t due = 0;
  ASSERT_EQ(
      table.nack(0, 0, out[0].token, kNow, settings(10, 1000, true), "", int64_t{50}, &due, dead),
      LockCheck::ok);
  out.clear();
  table.take_ready(kNow, kLock, 100, out);
  EXPECT_TRUE(out.empty());
  table.expire(kNow + 50, dead);
  table.take_ready(kNow + 50, kLock, 100, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].offset, 0);
  EXPECT_EQ(out[0].delivery_count, 2u);
  // Acked: offset 2 goes next, then 4 once 2 is acked.
  ASSERT_EQ(table.ack(0, 0, out[0].token, kNow + 50), LockCheck::ok);
  out.clear();
  table.take_ready(kNow + 50, kLock, 100, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].offset, 2);
  ASSERT_EQ(table.ack(0, 2, out[0].token, kNow + 50), LockCheck::ok);
  out.clear();
  table.take_ready(kNow + 50, kLock, 100, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].offset, 4);
}

// Regression: a replay put an earlier event of a key back while a later one of the key was
// waiting for its retry; once due, the later one found it was not its key's turn and became
// blocked, and nothing ever made the earlier one ready: the key stalled for good.
TEST(QueueTableTest, KeyOrderAReplayedEventGoesFirstOnceTheActiveOneIsDue) {
  const QueueSettings s = settings(10, 1000, true);
  QueueTable table({0}, s, 8);
  std::vector<QueueDelivery> out = receive(table, 1, kNow, 1000, {1});
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(table.ack(0, 0, out[0].token, kNow), LockCheck::ok);
  out = receive(table, 1, kNow, 1000, {1});
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].offset, 1);
  std::vector<DeadLetterDecision> dead;
  int64_t due = 0;
  ASSERT_EQ(table.nack(0, 1, out[0].token, kNow, s, "", int64_t{50}, &due, dead), LockCheck::ok);
  ASSERT_TRUE(table.claim_replay({0, 0}));
  ASSERT_TRUE(table.reinstate(0, 0, true, 1));  // blocked: offset 1 of its key is waiting
  table.expire(kNow + 50, dead);
  out.clear();
  table.take_ready(kNow + 50, kLock, 100, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].offset, 0);
  ASSERT_EQ(table.ack(0, 0, out[0].token, kNow + 50), LockCheck::ok);
  out.clear();
  table.take_ready(kNow + 50, kLock, 100, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].offset, 1);
}

TEST(QueueTableTest, WithoutKeyOrderEventsOfOneKeyGoInParallel) {
  QueueTable table({0}, settings(10, 1000, false), 7);
  auto got = receive(table, 4, kNow, 100, {1});
  EXPECT_EQ(got.size(), 4u);
}

TEST(QueueTableTest, MaxInFlightBoundsTheLockedEvents) {
  QueueTable table({0}, settings(10, 3), 8);
  auto got = receive(table, 10);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_FALSE(table.can_take_new());
  EXPECT_EQ(table.cursor(0), 3);  // nothing more consumed
  EXPECT_TRUE(receive(table, 10).empty());
  ASSERT_EQ(table.ack(0, 1, got[1].token, kNow), LockCheck::ok);
  auto more = receive(table, 10);
  ASSERT_EQ(more.size(), 1u);
  EXPECT_EQ(more[0].offset, 3);
}

TEST(QueueTableTest, ReplayPutsAnEventBackOnceWithCountZero) {
  QueueTable table({0}, settings(1), 9);
  auto got = receive(table, 3);
  std::vector<DeadLetterDecision> dead;
  int64_t due = 0;
  ASSERT_EQ(table.nack(0, 1, got[1].token, kNow, settings(1), "bad", std::nullopt, &due, dead),
            LockCheck::ok);
  ASSERT_EQ(dead.size(), 1u);
  table.dead_lettered(0, 1);
  for (auto& d : got) {
    if (d.offset != 1) {
      ASSERT_EQ(table.ack(0, d.offset, d.token, kNow), LockCheck::ok);
    }
  }
  EXPECT_EQ(table.floor(0), 3);
  EXPECT_TRUE(table.claim_replay({0, 7}));
  EXPECT_FALSE(table.claim_replay({0, 7}));
  EXPECT_TRUE(table.replayed({0, 7}));
  EXPECT_TRUE(table.reinstate(0, 1, false, 0));
  EXPECT_FALSE(table.reinstate(0, 1, false, 0));  // pending already
  EXPECT_FALSE(table.handled(0, 1));
  EXPECT_EQ(table.commit_position(0), 1);  // the replayed event holds the committed offset back
  auto again = receive(table, 0);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].offset, 1);
  EXPECT_EQ(again[0].delivery_count, 1u);
  ASSERT_EQ(table.ack(0, 1, again[0].token, kNow), LockCheck::ok);
  EXPECT_EQ(table.commit_position(0), 3);
  EXPECT_EQ(table.stats().replayed, 1u);
  table.unclaim_replay({0, 7});
  EXPECT_FALSE(table.replayed({0, 7}));
}

TEST(QueueTableTest, RetentionMovesTheCursorAndFloorPastGoneEvents) {
  QueueTable table({0}, settings(), 10);
  auto got = receive(table, 2);
  table.skip_gone(0, 50);
  EXPECT_EQ(table.cursor(0), 50);
  EXPECT_EQ(table.floor(0), 50);
  EXPECT_EQ(table.commit_position(0), 0);  // the two locked events are still pending
  ASSERT_EQ(table.ack(0, 0, got[0].token, kNow), LockCheck::ok);
  table.drop(0, 1);
  EXPECT_EQ(table.commit_position(0), 50);
  auto next = receive(table, 1);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].offset, 50);
}

TEST(QueueTableTest, RebuildFromRecordsRestoresLocksRetriesAndHandledOffsets) {
  QueueTable table({0, 100}, settings(5), 11);
  std::vector<QueueRecordBody> records;
  std::vector<QueueDelivery> out;
  table.offer(0, events(0, 4), kNow, kLock, 100, out);
  auto offered = events(100, 2);
  table.offer(1, offered, kNow, kLock, 100, out);
  DeliverRecord deliver{kNow, kNow + kLock, {}};
  for (const auto& d : out) {
    deliver.entries.push_back({d.partition, d.offset, d.delivery_count, d.token, false, 0});
  }
  records.push_back(deliver);
  ASSERT_EQ(table.ack(0, out[0].offset, out[0].token, kNow), LockCheck::ok);
  ASSERT_EQ(table.ack(0, out[2].offset, out[2].token, kNow), LockCheck::ok);
  records.push_back(AckRecord{{{0, 0}, {0, 2}}});
  std::vector<DeadLetterDecision> dead;
  int64_t due = 0;
  ASSERT_EQ(table.nack(0, 1, out[1].token, kNow, settings(5), "why", int64_t{500}, &due, dead),
            LockCheck::ok);
  records.push_back(RetryRecord{"why", {{0, 1, due}}});

  QueueTable rebuilt({0, 100}, settings(5), 12);
  for (const auto& record : records)
    ASSERT_TRUE(rebuilt.apply(record).ok());
  EXPECT_EQ(rebuilt.floor(0), 1);
  EXPECT_TRUE(rebuilt.handled(0, 2));
  auto waiting = rebuilt.find(0, 1);
  ASSERT_TRUE(waiting);
  EXPECT_EQ(waiting->state, EntryState::waiting);
  EXPECT_EQ(waiting->deadline_ms, kNow + 500);
  EXPECT_EQ(waiting->reason, "why");
  for (const auto& d : {out[3], out[4], out[5]}) {
    auto locked = rebuilt.find(d.partition, d.offset);
    ASSERT_TRUE(locked);
    EXPECT_EQ(locked->state, EntryState::locked);
    EXPECT_EQ(locked->token, d.token);
    EXPECT_EQ(rebuilt.check(d.partition, d.offset, d.token, kNow), LockCheck::ok);
  }
  // New events after the rebuild skip what is pending or handled.
  std::vector<QueueDelivery> next;
  auto more = events(rebuilt.cursor(0), 6);
  rebuilt.offer(0, more, kNow, kLock, 100, next);
  ASSERT_EQ(next.size(), 3u);  // 1..6 offered: 1 and 3 pending, 2 handled
  EXPECT_EQ(next[0].offset, 4);
  EXPECT_EQ(next[2].offset, 6);
  EXPECT_EQ(rebuilt.apply(StartRecord{{0}}).code(), Errc::invalid_argument);
  EXPECT_EQ(rebuilt.apply(AckRecord{{{7, 0}}}).code(), Errc::corruption);
}

}  // namespace
}  // namespace sluice::consumers
