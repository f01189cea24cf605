// QueueTable::snapshot and QueueTable::from_snapshot (consumers/queue_table_snapshot.cc), and
// QueueSnapshotParts: every entry state survives, parts split by size, a dead-lettering entry
// comes back as a move to resume, a replay claim without its record is left out, and parts
// that do not form one snapshot are refused or dropped. The random test
// (queue_table_random_test.cc) covers snapshots taken at random points.
#include "consumers/queue_snapshot_parts.h"
#include "consumers/queue_table.h"

#include <gtest/gtest.h>

namespace sluice::consumers {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;
constexpr int64_t kLock = 1000;

QueueSettings settings(uint32_t max_deliveries = 3) {
  QueueSettings s;
  s.max_deliveries = max_deliveries;
  s.retry.initial = std::chrono::milliseconds(100);
  s.retry.maximum = std::chrono::milliseconds(100);
  s.retry.jitter = 0.0;
  s.lock_ms = kLock;
  return s;
}

// Partition 0: 0 and 5 acked; 1 locked (second delivery, key 42); 2 waiting until kNow + 5000
// (nacked "busy"); 3 dead-lettering (nacked "bad" by a handle allowing 2 deliveries); 4 ready
// (nacked without delay); 6.. never offered. Partition 1 untouched, from 100. DLQ 0@7 replayed
// (recorded), DLQ 0@8 claimed only.
QueueTable sample() {
  QueueTable table({0, 100}, settings(), 1);
  std::vector<QueueDelivery> out;
  std::vector<NewEvent> events;
  for (int64_t o = 0; o < 6; ++o)
    events.push_back({o, o == 1, o == 1 ? uint64_t{42} : 0});
  table.offer(0, events, kNow, kLock, 100, out);
  EXPECT_EQ(out.size(), 6u);
  std::vector<DeadLetterDecision> dead;
  int64_t due = 0;
  EXPECT_EQ(table.ack(0, 0, out[0].token, kNow), LockCheck::ok);
  EXPECT_EQ(table.ack(0, 5, out[5].token, kNow), LockCheck::ok);
  EXPECT_EQ(table.nack(0, 2, out[2].token, kNow, settings(), "busy", int64_t{5000}, &due, dead),
            LockCheck::ok);
  table.expire(kNow + kLock, dead);  // 1, 3 and 4 run out: ready
  std::vector<QueueDelivery> again;
  table.take_ready(kNow + kLock, kLock, 10, again);
  EXPECT_EQ(again.size(), 3u);
  for (const QueueDelivery& d : again) {
    if (d.offset == 3) {
      EXPECT_EQ(
          table.nack(0, 3, d.token, kNow + kLock, settings(2), "bad", std::nullopt, &due, dead),
          LockCheck::ok);
    }
    if (d.offset == 4) {
      EXPECT_EQ(table.nack(0, 4, d.token, kNow + kLock, settings(), "", int64_t{0}, &due, dead),
                LockCheck::ok);
    }
  }
  EXPECT_EQ(dead.size(), 1u);
  EXPECT_TRUE(table.claim_replay({0, 7}));
  table.record_replay({0, 7});
  EXPECT_TRUE(table.claim_replay({0, 8}));
  return table;
}

TEST(QueueTableSnapshotTest, EveryStateSurvivesARestore) {
  QueueTable table = sample();
  std::vector<SnapshotRecord> parts = table.snapshot();
  ASSERT_EQ(parts.size(), 1u);
  Result<QueueTable> restored = QueueTable::from_snapshot(parts, settings(), 2);
  ASSERT_TRUE(restored.ok()) << restored.error().to_string();
  EXPECT_EQ(restored->snapshot(), parts);
  for (int64_t o = 0; o < 8; ++o) {
    EXPECT_EQ(restored->handled(0, o), table.handled(0, o)) << o;
    std::optional<EntryView> a = table.find(0, o);
    std::optional<EntryView> b = restored->find(0, o);
    ASSERT_EQ(a.has_value(), b.has_value()) << o;
    if (!a) continue;
    EXPECT_EQ(a->state, b->state) << o;
    EXPECT_EQ(a->delivery_count, b->delivery_count) << o;
    EXPECT_EQ(a->token, b->token) << o;
    EXPECT_EQ(a->deadline_ms, b->deadline_ms) << o;
    EXPECT_EQ(a->reason, b->reason) << o;
  }
  EXPECT_EQ(restored->floor(1), 100);
  EXPECT_EQ(restored->cursor(0), restored->floor(0));  // the cursor is the floor
  EXPECT_EQ(restored->find(0, 2)->state, EntryState::waiting);
  EXPECT_EQ(restored->find(0, 2)->reason, "busy");
  // The recorded replay is kept, the claim without a record is not.
  EXPECT_TRUE(restored->replayed({0, 7}));
  EXPECT_FALSE(restored->replayed({0, 8}));
  // Dead-lettering entries come back as moves to resume.
  std::vector<DeadLetterDecision> resume = restored->dead_lettering();
  std::vector<DeadLetterDecision> live = table.dead_lettering();
  ASSERT_EQ(resume.size(), live.size());
  ASSERT_FALSE(resume.empty());
  EXPECT_EQ(resume[0].offset, live[0].offset);
  EXPECT_EQ(resume[0].reason, live[0].reason);
  // A lock taken before the snapshot still holds after it.
  std::optional<EntryView> waiting = restored->find(0, 2);
  ASSERT_TRUE(waiting);
  std::vector<DeadLetterDecision> dead;
  EXPECT_EQ(restored->find(0, 1)->state, EntryState::locked);
  EXPECT_EQ(restored->find(0, 3)->state, EntryState::dead_lettering);
  EXPECT_EQ(restored->find(0, 4)->state, EntryState::ready);
  restored->expire(kNow + 4999, dead);
  EXPECT_EQ(restored->find(0, 2)->state, EntryState::waiting);
  restored->expire(kNow + 5000, dead);
  EXPECT_EQ(restored->find(0, 2)->state, EntryState::ready);
}

TEST(QueueTableSnapshotTest, PartsSplitBySizeAndAssembleInOrder) {
  QueueTable table({0}, settings(), 3);
  std::vector<QueueDelivery> out;
  std::vector<NewEvent> events;
  for (int64_t o = 0; o < 1000; ++o)
    events.push_back({o, false, 0});
  table.offer(0, events, kNow, kLock, 1000, out);
  for (size_t i = 0; i < out.size(); i += 2)
    ASSERT_EQ(table.ack(0, out[i].offset, out[i].token, kNow), LockCheck::ok);
  std::vector<SnapshotRecord> parts = table.snapshot(4096);
  ASSERT_GT(parts.size(), 5u);
  for (const SnapshotRecord& part : parts) {
    EXPECT_LE(snapshot_body_bytes(part), 4096u);
    EXPECT_EQ(part.parts, parts.size());
  }
  // Assembled in order: complete at the last part only.
  QueueSnapshotParts assembler;
  std::optional<std::vector<SnapshotRecord>> complete;
  for (size_t i = 0; i < parts.size(); ++i) {
    complete = assembler.add(parts[i]);
    EXPECT_EQ(complete.has_value(), i + 1 == parts.size());
  }
  ASSERT_TRUE(complete);
  Result<QueueTable> restored = QueueTable::from_snapshot(*complete, settings(), 4);
  ASSERT_TRUE(restored.ok());
  EXPECT_EQ(restored->snapshot(4096), parts);
  EXPECT_EQ(restored->stats().pending, 500u);

  // Cut short: another record of the table drops the parts; a part out of sequence too.
  EXPECT_FALSE(assembler.add(parts[0]));
  EXPECT_TRUE(assembler.abandon());
  EXPECT_FALSE(assembler.add(parts[1]));
  EXPECT_FALSE(assembler.pending());
  EXPECT_FALSE(assembler.add(parts[0]));
  EXPECT_FALSE(assembler.add(parts[2]));
  EXPECT_FALSE(assembler.pending());
  // A new snapshot's first part restarts the assembly.
  EXPECT_FALSE(assembler.add(parts[0]));
  EXPECT_FALSE(assembler.add(parts[0]));
  EXPECT_TRUE(assembler.pending());
}

TEST(QueueTableSnapshotTest, PartsThatContradictEachOtherAreCorruption) {
  std::vector<SnapshotRecord> parts = sample().snapshot();
  auto refused = [](std::vector<SnapshotRecord> p) {
    Result<QueueTable> t = QueueTable::from_snapshot(p, settings(), 5);
    return !t.ok() && t.code() == Errc::corruption;
  };
  EXPECT_FALSE(refused(parts));
  std::vector<SnapshotRecord> bad = parts;
  bad[0].entries.push_back(bad[0].entries.front());  // an entry twice
  EXPECT_TRUE(refused(bad));
  bad = parts;
  bad[0].entries[0].partition = 2;  // the table has partitions 0 and 1
  EXPECT_TRUE(refused(bad));
  bad = parts;
  bad[0].handled.push_back({1, 50, 60});  // below partition 1's floor
  EXPECT_TRUE(refused(bad));
  bad = parts;
  bad[0].parts = 2;  // a missing part
  EXPECT_TRUE(refused(bad));
  bad = parts;
  bad[0].replayed.push_back(bad[0].replayed.front());
  EXPECT_TRUE(refused(bad));
  EXPECT_TRUE(refused({}));
}

}  // namespace
}  // namespace sluice::consumers
