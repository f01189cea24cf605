// Consumer groups through the Engine: delivery in partition order, rebalances when members
// join, leave or go silent, at-least-once across a lost member, committed offsets across a
// restart, seeks and lag.
#include "tests/engine/engine_test_env.h"

#include <set>
#include <thread>

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::consume;
using testing::consumer_options;
using testing::keyed_event;
using testing::open_engine;
using testing::topic_config;

class ConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(engine_, nullptr);
    ASSERT_TRUE(engine_->create_topic("t", topic_config(4)).ok());
  }
  // Sends `count` events with keys k0..k9; returns the deliveries.
  std::vector<Delivery> produce(int count, int first = 0) {
    Result<Producer> producer = engine_->producer();
    EXPECT_TRUE(producer.ok());
    std::vector<Event> events;
    for (int i = first; i < first + count; ++i) {
      events.push_back(keyed_event("k" + std::to_string(i % 10), std::to_string(i)));
    }
    return testing::send_all(*producer, "t", events);
  }
  Consumer make(ConsumerOptions options) {
    Result<Consumer> consumer = engine_->consumer(options);
    EXPECT_TRUE(consumer.ok()) << consumer.error().to_string();
    return std::move(*consumer);
  }
  // Every record is in offset order within its partition.
  static void expect_partition_order(const std::vector<Record>& records) {
    std::map<int32_t, int64_t> last;
    for (const Record& r : records) {
      auto it = last.find(r.partition);
      if (it != last.end()) {
        EXPECT_GT(r.offset, it->second);
      }
      last[r.partition] = r.offset;
    }
  }
  testing::TempDir dir_;
  std::unique_ptr<Engine> engine_ = open_engine(testing::engine_options(dir_.path()));
};

TEST_F(ConsumerTest, OneMemberReadsEverythingInPartitionOrder) {
  produce(400);
  Consumer consumer = make(consumer_options("g", {"t"}));
  const auto records = consume(consumer, 400);
  ASSERT_EQ(records.size(), 400u);
  expect_partition_order(records);
  EXPECT_EQ(consumer.assignment().size(), 4u);
  // And what comes later, from the tail.
  produce(100, 400);
  const auto more = consume(consumer, 100);
  EXPECT_EQ(more.size(), 100u);
  std::set<std::string> values;
  for (const auto& r : records)
    values.insert(*r.value);
  for (const auto& r : more)
    values.insert(*r.value);
  EXPECT_EQ(values.size(), 500u);
}

TEST_F(ConsumerTest, TwoMembersSplitThePartitionsAndTheSurvivorTakesAllWhenOneLeaves) {
  for (AssignmentStrategy strategy : {AssignmentStrategy::range, AssignmentStrategy::round_robin}) {
    const std::string group = strategy == AssignmentStrategy::range ? "range" : "rr";
    ConsumerOptions options = consumer_options(group, {"t"});
    options.strategy = strategy;
    Consumer a = make(options);
    Consumer b = make(options);
    // Both poll until the group is stable with two members.
    for (int i = 0; i < 200 && (a.assignment().size() + b.assignment().size() != 4 ||
                                a.assignment().empty() || b.assignment().empty());
         ++i) {
      ASSERT_TRUE(a.poll(5ms).ok());
      ASSERT_TRUE(b.poll(5ms).ok());
    }
    ASSERT_EQ(a.assignment().size(), 2u);
    ASSERT_EQ(b.assignment().size(), 2u);
    EXPECT_EQ(a.generation(), b.generation());
    std::set<TopicPartition> all;
    for (const auto& tp : a.assignment())
      all.insert(tp);
    for (const auto& tp : b.assignment())
      all.insert(tp);
    EXPECT_EQ(all.size(), 4u);

    ASSERT_TRUE(b.close().ok());
    for (int i = 0; i < 200 && a.assignment().size() != 4; ++i)
      ASSERT_TRUE(a.poll(5ms).ok());
    EXPECT_EQ(a.assignment().size(), 4u);
  }
}

// A member that stops polling is removed after its session timeout; its partitions go to the
// other member, which resumes them from the committed offsets: nothing is skipped.
TEST_F(ConsumerTest, SilentMemberIsRemovedAndNoEventIsSkipped) {
  ConsumerOptions options = consumer_options("g", {"t"});
  options.session_timeout = 600ms;
  // a commits when it gives its partitions up in the rebalance, so it resumes them in order.
  options.auto_commit = true;
  options.auto_commit_interval = 1h;
  Consumer a = make(options);
  ConsumerOptions slow = options;
  slow.max_poll_events = 10;
  Consumer b = make(slow);
  std::vector<Record> seen_by_a;
  std::vector<Record> seen_by_b;
  for (int i = 0; i < 200 && (a.assignment().size() != 2 || b.assignment().size() != 2); ++i) {
    ASSERT_TRUE(a.poll(5ms).ok());
    ASSERT_TRUE(b.poll(5ms).ok());
  }
  ASSERT_EQ(b.assignment().size(), 2u);
  produce(400);
  // b reads a little, commits that, and goes silent.
  while (seen_by_b.size() < 20) {
    Result<std::vector<Record>> polled = b.poll(100ms);
    ASSERT_TRUE(polled.ok());
    for (auto& r : *polled)
      seen_by_b.push_back(r);
  }
  ASSERT_TRUE(b.commit().ok());
  // b's partitions come to a once b's session times out.
  std::set<std::pair<int32_t, int64_t>> seen;
  for (const auto& r : seen_by_b)
    seen.insert({r.partition, r.offset});
  for (const auto& r : seen_by_a)
    seen.insert({r.partition, r.offset});
  seen_by_a.clear();
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (seen.size() < 400 && std::chrono::steady_clock::now() < until) {
    Result<std::vector<Record>> polled = a.poll(50ms);
    ASSERT_TRUE(polled.ok());
    for (auto& r : *polled) {
      seen.insert({r.partition, r.offset});
      seen_by_a.push_back(r);
    }
  }
  EXPECT_EQ(a.assignment().size(), 4u);
  EXPECT_EQ(seen.size(), 400u);  // at least once: every event seen by someone
  expect_partition_order(seen_by_a);
}

TEST_F(ConsumerTest, CommittedOffsetsResumeANewMemberAndSurviveRestart) {
  produce(200);
  {
    Consumer first = make(consumer_options("g", {"t"}));
    const auto records = consume(first, 200);
    ASSERT_EQ(records.size(), 200u);
    // Commit half of each partition's events.
    std::map<int32_t, int64_t> ends;
    for (const auto& r : records)
      ends[r.partition] = std::max(ends[r.partition], r.offset + 1);
    for (const auto& [partition, end] : ends) {
      ASSERT_TRUE(first.commit({"t", partition}, end / 2).ok());
    }
    Result<std::vector<PartitionLag>> lag = first.lag();
    ASSERT_TRUE(lag.ok());
    for (const auto& l : *lag)
      EXPECT_EQ(l.lag, l.latest - l.latest / 2);
  }
  engine_.reset();
  engine_ = open_engine(testing::engine_options(dir_.path()));
  ASSERT_NE(engine_, nullptr);
  Result<Engine::GroupDescription> group = engine_->describe_group("g");
  ASSERT_TRUE(group.ok()) << group.error().to_string();
  EXPECT_EQ(group->offsets.size(), 4u);
  Consumer second = make(consumer_options("g", {"t"}));
  size_t expected = 0;
  for (const auto& l : group->offsets)
    expected += static_cast<size_t>(l.latest - l.committed);
  const auto rest = consume(second, expected, 5s);
  EXPECT_EQ(rest.size(), expected);
  EXPECT_TRUE(second.poll(100ms)->empty());
  for (const auto& r : rest) {
    for (const auto& l : group->offsets) {
      if (l.partition.partition == r.partition) {
        EXPECT_GE(r.offset, l.committed);
      }
    }
  }
}

TEST_F(ConsumerTest, AutoCommitStoresPositionsOnClose) {
  produce(100);
  ConsumerOptions options = consumer_options("auto", {"t"});
  options.auto_commit = true;
  {
    Consumer consumer = make(options);
    ASSERT_EQ(consume(consumer, 100).size(), 100u);
  }
  Consumer again = make(options);
  EXPECT_TRUE(consume(again, 1, 500ms).empty());
}

TEST_F(ConsumerTest, SeekMovesThePosition) {
  const auto deliveries = produce(100);
  Consumer consumer = make(consumer_options("g", {"t"}));
  consume(consumer, 100);
  const TopicPartition tp{"t", deliveries[0].partition};
  ASSERT_TRUE(consumer.seek(tp, SeekTarget::earliest()).ok());
  const auto again = consume(consumer, 1, 2s);
  ASSERT_FALSE(again.empty());
  EXPECT_EQ(again.front().offset, 0);
  ASSERT_TRUE(consumer.seek(tp, SeekTarget::latest()).ok());
  EXPECT_TRUE(consumer.poll(50ms)->empty());
  ASSERT_TRUE(consumer.seek(tp, SeekTarget::offset(5)).ok());
  EXPECT_EQ(consume(consumer, 1, 2s).front().offset, 5);
  ASSERT_TRUE(consumer.seek(tp, SeekTarget::timestamp(0)).ok());
  EXPECT_EQ(consume(consumer, 1, 2s).front().offset, 0);
  EXPECT_EQ(consumer.seek({"t", 99}, SeekTarget::earliest()).code(), Errc::invalid_argument);
}

TEST_F(ConsumerTest, BadOptionsAreRefused) {
  EXPECT_EQ(engine_->consumer(consumer_options("", {"t"})).code(), Errc::invalid_argument);
  EXPECT_EQ(engine_->consumer(consumer_options("g", {})).code(), Errc::invalid_argument);
  EXPECT_EQ(engine_->consumer(consumer_options("g", {"missing"})).code(), Errc::not_found);
  EXPECT_EQ(engine_->consumer(consumer_options("g", {"__consumer_offsets"})).code(),
            Errc::invalid_argument);
}

}  // namespace
}  // namespace sluice
