// The compaction of the internal topics __consumer_offsets and __queue_state
// (consumers/FORMAT.md, "Compaction"), with thresholds small enough that it runs all the time:
// the partitions' start offsets move and their bytes stay bounded, and every reopen rebuilds
// what the engine held before it closed: the last committed offset of every group and
// partition (a deleted topic's offsets do not come back), and each queue table under random
// receives, acks, nacks, lock expiries, dead-letters and replays (no event lost, none acked
// twice, no DLQ offset replayed twice). The crash windows are written by hand: a snapshot
// synced with the segments before it still there, and a snapshot cut short.
#include "engine/dead_letter.h"
#include "engine/engine_impl.h"
#include "engine/groups_state.h"
#include "engine/internal_topic.h"
#include "engine/queues.h"
#include "tests/engine/engine_test_env.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <thread>

namespace sluice {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kOffsets = "__consumer_offsets";
constexpr std::string_view kQueueState = "__queue_state";

EngineOptions compacting_options(const std::string& dir) {
  EngineOptions options = testing::engine_options(dir);
  options.internal_compaction_min_bytes = 4096;
  options.internal_compaction_ratio = 2;
  options.internal_compaction_check_interval = 5ms;
  return options;
}

uint64_t compactions(Engine& engine, std::string_view topic) {
  const engine::EngineStats& stats = engine.impl().stats;
  return (topic == kOffsets ? stats.offsets_compaction : stats.queue_state_compaction)
      .compactions.load(std::memory_order_relaxed);
}

bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds timeout = 20s) {
  const auto until = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() >= until) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// ---- __consumer_offsets ----

using Committed = std::map<std::pair<std::string, TopicPartition>, int64_t>;

void check_committed(Engine& engine, const Committed& expected,
                     const std::vector<std::string>& groups, std::string_view deleted_topic) {
  for (const auto& [at, offset] : expected) {
    std::optional<int64_t> got = engine.impl().committed_offset(at.first, at.second);
    ASSERT_TRUE(got.has_value()) << at.first << " " << at.second.topic << "/"
                                 << at.second.partition;
    EXPECT_EQ(*got, offset) << at.first << " " << at.second.topic << "/" << at.second.partition;
  }
  for (const std::string& group : groups) {
    for (int32_t p = 0; p < 2; ++p) {
      EXPECT_FALSE(
          engine.impl().committed_offset(group, {std::string(deleted_topic), p}).has_value())
          << "a deleted topic's offset came back for " << group;
    }
  }
}

TEST(InternalCompactionTest, CommittedOffsetsSurviveCompactionsAndReopens) {
  testing::TempDir dir;
  const EngineOptions options = compacting_options(dir.path());
  auto engine = testing::open_engine(options);
  ASSERT_NE(engine, nullptr);
  ASSERT_TRUE(engine->create_topic("t", testing::topic_config(4)).ok());
  ASSERT_TRUE(engine->create_topic("gone", testing::topic_config(2)).ok());
  const std::vector<std::string> groups = {"a", "b", "c", "d", "e"};
  std::mt19937_64 random(7);
  Committed expected;
  auto commit_some = [&](int commits, const std::string& topic, int32_t partitions) {
    for (int i = 0; i < commits; ++i) {
      const std::string& group = groups[random() % groups.size()];
      const TopicPartition tp{topic, static_cast<int32_t>(random() % partitions)};
      const auto offset = static_cast<int64_t>(random() % 100000);
      ASSERT_TRUE(engine->impl().commit_offsets(group, "", -1, {{tp, offset}}).ok());
      if (topic == "t") expected[{group, tp}] = offset;
    }
  };
  commit_some(300, "gone", 2);
  commit_some(1500, "t", 4);
  ASSERT_TRUE(engine->delete_topic("gone").ok());  // tombstones for every group of it
  commit_some(1500, "t", 4);
  ASSERT_TRUE(wait_for([&] { return compactions(*engine, kOffsets) >= 2; }))
      << "no compaction of " << kOffsets;
  // Committed while compactions run, and each of the last commits lands after the last
  // snapshot or is in it.
  commit_some(1000, "t", 4);
  // 4300 commits of ~40 bytes in batches of ~100 bytes each: ~400 KB without compaction; the
  // live state is 20 offsets (~1 KB of snapshot), the threshold 4 KiB.
  Result<PartitionState> state = engine->partition_state(kOffsets, 0);
  EXPECT_TRUE(wait_for([&] {
    state = engine->partition_state(kOffsets, 0);
    return state.ok() && state->size_bytes < 16u * 1024;
  })) << "bytes on disk not bounded by the compaction: "
      << state->size_bytes;
  EXPECT_GT(state->earliest_offset, 0);
  check_committed(*engine, expected, groups, "gone");

  for (int round = 0; round < 3; ++round) {
    engine.reset();
    engine = testing::open_engine(options);
    ASSERT_NE(engine, nullptr);
    check_committed(*engine, expected, groups, "gone");
    commit_some(500, "t", 4);
  }
  // A topic of the old name starts without offsets.
  ASSERT_TRUE(engine->create_topic("gone", testing::topic_config(2)).ok());
  engine.reset();
  engine = testing::open_engine(options);
  check_committed(*engine, expected, groups, "gone");
}

// The crash windows of __consumer_offsets: a snapshot synced (or half of it) with the segments
// before it still there rebuilds the same offsets.
TEST(InternalCompactionTest, OffsetsSnapshotWithoutItsDeletionOrCutShortRebuildTheSame) {
  testing::TempDir dir;
  EngineOptions options = testing::engine_options(dir.path());
  options.internal_compaction_min_bytes = 0;  // off: the test writes the snapshot itself
  auto engine = testing::open_engine(options);
  ASSERT_TRUE(engine->create_topic("t", testing::topic_config(4)).ok());
  Committed expected;
  for (int i = 0; i < 200; ++i) {
    const TopicPartition tp{"t", i % 4};
    const std::string group = "g" + std::to_string(i % 3);
    ASSERT_TRUE(engine->impl().commit_offsets(group, "", -1, {{tp, i}}).ok());
    expected[{group, tp}] = i;
  }
  std::vector<consumers::OffsetCommit> snapshot = engine->impl().groups_state->offsets.snapshot();
  ASSERT_EQ(snapshot.size(), 12u);
  // Half of it, after a roll (as compact_offsets does before it writes).
  ASSERT_TRUE(engine::roll_internal_topic(engine->impl(), kOffsets).ok());
  std::vector<consumers::OffsetRecord> half(snapshot.begin(), snapshot.begin() + 6);
  ASSERT_TRUE(engine->impl().write_offset_records(half).ok());
  engine.reset();
  engine = testing::open_engine(options);
  check_committed(*engine, expected, {"g0"}, "none");
  // Whole, then newer commits after it.
  std::vector<consumers::OffsetRecord> whole(snapshot.begin(), snapshot.end());
  ASSERT_TRUE(engine->impl().write_offset_records(whole).ok());
  ASSERT_TRUE(engine->impl().commit_offsets("g1", "", -1, {{{"t", 1}, 5000}}).ok());
  expected[{"g1", {"t", 1}}] = 5000;
  engine.reset();
  engine = testing::open_engine(options);
  check_committed(*engine, expected, {"g0"}, "none");
}

// ---- __queue_state ----

constexpr int64_t kEvents = 400;

// What a queue table says about every event: handled, pending (with its delivery count), the
// floor, and which DLQ offsets were replayed.
struct TableView {
  std::vector<int> handled;
  std::map<int64_t, uint32_t> pending;
  int64_t floor = -1;
  std::set<int64_t> replayed;
  friend bool operator==(const TableView&, const TableView&) = default;
};

TableView view_of(Engine& engine, int64_t dlq_end) {
  TableView out;
  for (const auto& state : engine.impl().queues->states()) {
    if (state->group != "g" || state->source->name != "q") continue;
    std::lock_guard lock(state->mutex);
    out.floor = state->table.floor(0);
    for (int64_t o = 0; o < kEvents; ++o) {
      out.handled.push_back(state->table.handled(0, o) ? 1 : 0);
      if (auto entry = state->table.find(0, o)) out.pending[o] = entry->delivery_count;
    }
    for (int64_t d = 0; d < dlq_end; ++d) {
      if (state->table.replayed({0, d})) out.replayed.insert(d);
    }
  }
  return out;
}

std::string describe(const TableView& v) {
  std::string out = "floor " + std::to_string(v.floor) + " pending:";
  for (const auto& [o, count] : v.pending)
    out += " " + std::to_string(o) + "x" + std::to_string(count);
  out += " replayed:";
  for (int64_t d : v.replayed)
    out += " " + std::to_string(d);
  return out;
}

class QueueCompactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = testing::open_engine(options_);
    ASSERT_NE(engine_, nullptr);
    TopicConfig config = testing::topic_config(1);
    config.queue.max_deliveries = 2;
    ASSERT_TRUE(engine_->create_topic("q", config).ok());
    Result<Producer> producer = engine_->producer();
    ASSERT_TRUE(producer.ok());
    std::vector<Event> events;
    for (int64_t i = 0; i < kEvents; ++i)
      events.push_back(testing::keyed_event("k" + std::to_string(i % 7), "v" + std::to_string(i)));
    testing::send_all(*producer, "q", events);
  }
  Queue queue() {
    QueueOptions o;
    o.group = "g";
    o.topic = "q";
    o.lock_duration = 60s;
    o.retry = RetryBackoff{};
    o.retry->initial = 1ms;
    o.retry->maximum = 1ms;
    Result<Queue> made = engine_->queue(o);
    EXPECT_TRUE(made.ok()) << made.error().to_string();
    return std::move(*made);
  }
  int64_t dlq_end() {
    Result<PartitionState> dlq = engine_->partition_state("q.dlq", 0);
    return dlq.ok() ? dlq->latest_offset : 0;
  }
  // Closes and reopens; the table rebuilt must be the one the engine held.
  void reopen_and_compare() {
    // Short locks run out and their dead-letters finish before the view is taken.
    std::this_thread::sleep_for(250ms);
    const int64_t dlq = dlq_end();
    const TableView before = view_of(*engine_, dlq);
    engine_.reset();
    engine_ = testing::open_engine(options_);
    ASSERT_NE(engine_, nullptr);
    Queue touch = queue();  // the table exists already: made by the rebuild
    const TableView after = view_of(*engine_, dlq);
    ASSERT_EQ(describe(after), describe(before));
    ASSERT_EQ(after, before);
  }
  // Every DLQ offset not replayed yet is replayed once; none twice.
  void replay_new() {
    const int64_t end = dlq_end();
    for (int64_t d = 0; d < end; ++d) {
      ReplayFilter filter;
      filter.from = d;
      filter.to = d;
      Result<ReplayResult> result = engine_->replay_dlq("q", filter);
      ASSERT_TRUE(result.ok()) << result.error().to_string();
      if (replayed_.contains(d)) {
        ASSERT_EQ(result->replayed, 0u) << "DLQ offset " << d << " replayed twice";
        EXPECT_EQ(result->already_replayed, 1u);
      } else if (result->replayed == 1) {
        replayed_.insert(d);
      }
    }
  }

  testing::TempDir dir_;
  EngineOptions options_ = compacting_options(dir_.path());
  std::unique_ptr<Engine> engine_;
  std::set<int64_t> replayed_;
};

TEST_F(QueueCompactionTest, RandomOperationsWithCompactionsRebuildTheSameTables) {
  std::mt19937_64 random(11);
  std::map<int64_t, int> acks;
  // Locks held across reopens: their tokens stay good (60 s locks), except the short ones.
  std::vector<QueuedEvent> held;
  for (int round = 0; round < 6; ++round) {
    {
      Queue q = queue();
      for (int step = 0; step < 150; ++step) {
        const int op = static_cast<int>(random() % 10);
        if (op < 4 || held.empty()) {
          const bool short_lock = random() % 4 == 0;
          auto got = q.receive(1 + static_cast<uint32_t>(random() % 20), 0ms,
                               short_lock ? std::optional(30ms) : std::nullopt);
          ASSERT_TRUE(got.ok()) << got.error().to_string();
          for (auto& e : *got)
            held.push_back(std::move(e));
        } else if (op < 7) {
          const size_t i = random() % held.size();
          auto acked = q.ack({{0, held[i].record.offset, held[i].lock_token}});
          ASSERT_TRUE(acked.ok());
          if (acked->front().result.ok()) ++acks[held[i].record.offset];
          held.erase(held.begin() + static_cast<long>(i));
        } else if (op < 9) {
          const size_t i = random() % held.size();
          (void)q.nack({{0, held[i].record.offset, held[i].lock_token}}, {"no", 0ms});
          held.erase(held.begin() + static_cast<long>(i));
        } else if (random() % 3 == 0) {
          replay_new();
          if (HasFatalFailure()) return;
        } else {
          std::this_thread::sleep_for(40ms);  // short locks run out
        }
      }
    }
    ASSERT_TRUE(wait_for([&] { return compactions(*engine_, kQueueState) > 0; }))
        << "no compaction in round " << round;
    reopen_and_compare();
    if (HasFatalFailure()) return;
  }
  Result<PartitionState> state = engine_->partition_state(kQueueState, 0);
  ASSERT_TRUE(state.ok());
  EXPECT_GT(state->earliest_offset, 0);

  // Drain: everything is acked once, or sits in the DLQ.
  Queue q = queue();
  for (const QueuedEvent& e : held) {
    auto acked = q.ack({{0, e.record.offset, e.lock_token}});
    ASSERT_TRUE(acked.ok());
    if (acked->front().result.ok()) ++acks[e.record.offset];
  }
  for (int i = 0; i < 200; ++i) {
    auto got = q.receive(100, 20ms, 10s);
    ASSERT_TRUE(got.ok());
    for (const QueuedEvent& e : *got) {
      auto acked = q.ack({{0, e.record.offset, e.lock_token}});
      ASSERT_TRUE(acked.ok());
      if (acked->front().result.ok()) ++acks[e.record.offset];
    }
    if (got->empty() && q.stats().in_flight == 0) break;
  }
  std::set<int64_t> dead;
  Result<std::vector<Record>> dlq = engine_->read("q.dlq", 0, 0, 100000);
  ASSERT_TRUE(dlq.ok());
  for (const Record& record : *dlq) {
    std::optional<engine::DlqOrigin> origin = engine::dlq_origin(record);
    ASSERT_TRUE(origin);
    dead.insert(origin->offset);
  }
  const TableView end = view_of(*engine_, dlq_end());
  for (int64_t o = 0; o < kEvents; ++o) {
    EXPECT_LE(acks[o], 1) << "event " << o << " acked twice";
    EXPECT_TRUE(acks[o] == 1 || dead.contains(o))
        << "event " << o << " lost: acked " << acks[o] << " times, handled "
        << end.handled[static_cast<size_t>(o)] << ", pending " << end.pending.contains(o);
  }
  EXPECT_FALSE(replayed_.empty());
}

// The crash windows of __queue_state, written by hand: a snapshot synced with the segments
// before it still there, and one cut short after its first parts.
TEST_F(QueueCompactionTest, SnapshotWithoutItsDeletionOrCutShortRebuildsTheSameTable) {
  options_.internal_compaction_min_bytes = 0;  // the test writes the snapshots itself
  engine_.reset();
  engine_ = testing::open_engine(options_);
  {
    Queue q = queue();
    std::vector<QueuedEvent> all;
    while (all.size() < 300) {
      auto more = q.receive(300, 1s);
      ASSERT_TRUE(more.ok());
      ASSERT_FALSE(more->empty());
      for (auto& e : *more)
        all.push_back(std::move(e));
    }
    auto got = std::optional(std::move(all));
    for (size_t i = 0; i < got->size(); ++i) {
      const QueuedEvent& e = (*got)[i];
      if (i % 3 == 0) {
        ASSERT_TRUE(q.ack({{0, e.record.offset, e.lock_token}}).ok());
      } else if (i % 3 == 1) {
        ASSERT_TRUE(q.nack({{0, e.record.offset, e.lock_token}}, {"x", 0ms}).ok());
      }
    }
  }
  auto write_snapshot = [&](size_t part_bytes, size_t parts_kept) {
    engine::Queues& queues = *engine_->impl().queues;
    for (const auto& state : queues.states()) {
      std::vector<engine::PendingRecord> pending;
      {
        std::lock_guard lock(state->mutex);
        std::vector<consumers::SnapshotRecord> parts = state->table.snapshot(part_bytes);
        if (parts_kept != SIZE_MAX) {
          ASSERT_GT(parts.size(), parts_kept);
        }
        for (size_t i = 0; i < std::min(parts.size(), parts_kept); ++i) {
          Result<engine::PendingRecord> sent = queues.write(*state, parts[i], Durability::synced);
          ASSERT_TRUE(sent.ok());
          pending.push_back(std::move(*sent));
        }
      }
      for (auto& record : pending)
        ASSERT_TRUE(queues.wait(record).ok());
    }
  };
  // Whole, the old records still there.
  write_snapshot(consumers::kQueueSnapshotPartBytes, SIZE_MAX);
  reopen_and_compare();
  if (HasFatalFailure()) return;
  // Cut short: two parts of many.
  write_snapshot(512, 2);
  reopen_and_compare();
  if (HasFatalFailure()) return;
  // Cut short, then more changes after it (the rebuild drops the parts at the next record).
  write_snapshot(512, 2);
  {
    Queue q = queue();
    auto got = q.receive(10, 1s);
    ASSERT_TRUE(got.ok());
    ASSERT_FALSE(got->empty());
    ASSERT_TRUE(q.ack({{0, got->front().record.offset, got->front().lock_token}}).ok());
  }
  reopen_and_compare();
}

}  // namespace
}  // namespace sluice
