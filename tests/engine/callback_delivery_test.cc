// Callback delivery (ConsumerOptions::on_events): events reach the callback on the shards'
// threads in offset order per partition, without overlapping calls for one partition; a
// partition behind its tail catches up while producers keep appending; positions (commits,
// lag) cover only calls that returned; a throwing callback stops its partition until a seek;
// rebalances move partitions between callback members without skipping an event.
#include "tests/engine/engine_test_env.h"

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::consumer_options;
using testing::open_engine;
using testing::topic_config;

constexpr int32_t kPartitions = 4;

// What a consumer's on_events saw. Calls for partitions of different shards may overlap, so
// everything is under a mutex; `inside` catches overlapping calls for one partition.
class Sink {
 public:
  EventsCallback callback() {
    return [this](std::span<const Record> records) { take(records); };
  }
  size_t count() const {
    std::lock_guard lock(mutex_);
    return records_.size();
  }
  std::vector<Record> records() const {
    std::lock_guard lock(mutex_);
    return records_;
  }
  std::set<std::thread::id> threads() const {
    std::lock_guard lock(mutex_);
    return threads_;
  }
  bool overlapped() const { return overlapped_.load(); }
  // The next call throws when its first event is at `offset` of `partition` (once).
  void throw_at(int32_t partition, int64_t offset) {
    std::lock_guard lock(mutex_);
    throw_at_ = {partition, offset};
  }

 private:
  void take(std::span<const Record> records) {
    EXPECT_FALSE(records.empty());
    const int32_t partition = records.front().partition;
    std::atomic<int>& inside = inside_[partition];
    if (inside.fetch_add(1) != 0) overlapped_ = true;
    std::this_thread::yield();  // widen the window an overlapping call would fall into
    {
      std::lock_guard lock(mutex_);
      if (throw_at_ && throw_at_->first == partition &&
          throw_at_->second == records.front().offset) {
        throw_at_.reset();
        inside.fetch_sub(1);
        throw std::runtime_error("the application failed");
      }
      threads_.insert(std::this_thread::get_id());
      for (const Record& r : records) {
        EXPECT_EQ(r.partition, partition);
        records_.push_back(r);
      }
    }
    inside.fetch_sub(1);
  }

  mutable std::mutex mutex_;
  std::vector<Record> records_;
  std::set<std::thread::id> threads_;
  std::optional<std::pair<int32_t, int64_t>> throw_at_;
  std::atomic<int> inside_[kPartitions] = {};
  std::atomic<bool> overlapped_{false};
};

class CallbackDeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(engine_, nullptr);
    ASSERT_TRUE(engine_->create_topic("t", topic_config(kPartitions)).ok());
  }
  // Sends `count` events "first".."first+count-1", spread over the partitions by key.
  void produce(int count, int first = 0) {
    Result<Producer> producer = engine_->producer();
    ASSERT_TRUE(producer.ok());
    std::vector<Event> events;
    for (int i = first; i < first + count; ++i) {
      events.push_back(testing::keyed_event("k" + std::to_string(i % 16), std::to_string(i)));
    }
    ASSERT_EQ(testing::send_all(*producer, "t", events).size(), static_cast<size_t>(count));
  }
  ConsumerOptions options(const std::string& group, Sink& sink) {
    ConsumerOptions o = consumer_options(group, {"t"});
    o.on_events = sink.callback();
    return o;
  }
  Consumer make(const ConsumerOptions& o) {
    Result<Consumer> consumer = engine_->consumer(o);
    EXPECT_TRUE(consumer.ok()) << consumer.error().to_string();
    return std::move(*consumer);
  }
  // Polls (membership only: poll returns nothing) until `sink` holds `count` events.
  static void poll_until(Consumer& consumer, const Sink& sink, size_t count,
                         std::chrono::milliseconds timeout = 20s) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (sink.count() < count && std::chrono::steady_clock::now() < until) {
      Result<std::vector<Record>> polled = consumer.poll(20ms);
      ASSERT_TRUE(polled.ok()) << polled.error().to_string();
      EXPECT_TRUE(polled->empty());
    }
  }
  // Each partition's offsets, in the order the calls brought them.
  static std::map<int32_t, std::vector<int64_t>> by_partition(const std::vector<Record>& records) {
    std::map<int32_t, std::vector<int64_t>> out;
    for (const Record& r : records)
      out[r.partition].push_back(r.offset);
    return out;
  }
  // Offsets from..to-1 exactly, in order.
  static void expect_run(const std::vector<int64_t>& offsets, int64_t from, int64_t to) {
    ASSERT_EQ(offsets.size(), static_cast<size_t>(to - from));
    for (size_t i = 0; i < offsets.size(); ++i)
      ASSERT_EQ(offsets[i], from + static_cast<int64_t>(i)) << "at index " << i;
  }
  // Waits until every assigned partition's position is want(lag) (a position moves once its
  // call returned, just after the sink counted the events).
  template <typename Want>
  static bool positions_reach(Consumer& consumer, Want&& want) {
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < until) {
      Result<std::vector<PartitionLag>> lag = consumer.lag();
      EXPECT_TRUE(lag.ok());
      if (!lag.ok()) return false;
      bool all = true;
      for (const auto& l : *lag)
        all = all && l.position == want(l);
      if (all) return true;
      std::this_thread::sleep_for(1ms);
    }
    return false;
  }
  int64_t latest(int32_t partition) {
    Result<PartitionState> state = engine_->partition_state("t", partition);
    EXPECT_TRUE(state.ok());
    return state.ok() ? state->latest_offset : -1;
  }

  testing::TempDir dir_;
  std::unique_ptr<Engine> engine_ = open_engine(testing::engine_options(dir_.path()));
};

TEST_F(CallbackDeliveryTest, EventsArriveOnTheShardsInOffsetOrderWithoutOverlap) {
  Sink sink;
  Consumer consumer = make(options("g", sink));
  // Join first, so that the events below come through the tail, appended one batch at a time.
  for (int i = 0; i < 200 && consumer.assignment().size() < kPartitions; ++i)
    ASSERT_TRUE(consumer.poll(5ms).ok());
  ASSERT_EQ(consumer.assignment().size(), static_cast<size_t>(kPartitions));
  std::vector<std::thread> producers;
  for (int p = 0; p < 3; ++p) {
    producers.emplace_back([this, p] { produce(1000, p * 1000); });
  }
  for (auto& t : producers)
    t.join();
  poll_until(consumer, sink, 3000);
  const auto records = sink.records();
  ASSERT_EQ(records.size(), 3000u);
  EXPECT_FALSE(sink.overlapped());
  std::set<std::string> values;
  for (const auto& r : records)
    values.insert(*r.value);
  EXPECT_EQ(values.size(), 3000u);
  for (const auto& [partition, offsets] : by_partition(records))
    expect_run(offsets, 0, latest(partition));
  // Not on this thread: on the shards' (the engine has two).
  const auto threads = sink.threads();
  EXPECT_EQ(threads.count(std::this_thread::get_id()), 0u);
  EXPECT_LE(threads.size(), 2u);
  // The positions move past every event once the calls returned.
  EXPECT_TRUE(positions_reach(consumer, [](const PartitionLag& l) { return l.latest; }));
}

TEST_F(CallbackDeliveryTest, APartitionBehindItsTailCatchesUpWhileProducersAppend) {
  produce(4000);
  // A first member commits a point in the middle of each partition.
  std::map<int32_t, int64_t> committed;
  {
    Sink first_sink;
    Consumer first = make(options("g", first_sink));
    poll_until(first, first_sink, 4000);
    ASSERT_EQ(first_sink.count(), 4000u);
    for (int32_t p = 0; p < kPartitions; ++p) {
      committed[p] = latest(p) / 3;
      ASSERT_TRUE(first.commit({"t", p}, committed[p]).ok());
    }
  }
  // The next one starts there, reads at most 2 KiB a time, while 2000 more events arrive.
  Sink sink;
  ConsumerOptions o = options("g", sink);
  o.max_partition_bytes = 2048;
  o.max_poll_events = 7;
  Consumer second = make(o);
  std::thread producer([this] { produce(2000, 4000); });
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(second.poll(1ms).ok());
  producer.join();
  size_t expected = 0;
  for (const auto& [p, offset] : committed)
    expected += static_cast<size_t>(latest(p) - offset);
  poll_until(second, sink, expected);
  const auto records = sink.records();
  ASSERT_EQ(records.size(), expected);
  EXPECT_FALSE(sink.overlapped());
  for (const auto& [partition, offsets] : by_partition(records))
    expect_run(offsets, committed[partition], latest(partition));
}

TEST_F(CallbackDeliveryTest, CommitsCoverReturnedCallsAndANewMemberResumesAfterThem) {
  produce(400);
  Sink sink;
  ConsumerOptions o = options("g", sink);
  o.auto_commit = true;
  o.auto_commit_interval = 1h;  // only on close
  {
    Consumer consumer = make(o);
    poll_until(consumer, sink, 400);
    ASSERT_EQ(sink.count(), 400u);
  }  // closes: stops the deliveries, then commits their positions
  Result<Engine::GroupDescription> group = engine_->describe_group("g");
  ASSERT_TRUE(group.ok());
  ASSERT_EQ(group->offsets.size(), static_cast<size_t>(kPartitions));
  for (const auto& l : group->offsets)
    EXPECT_EQ(l.committed, l.latest);
  // A new member gets only what came after.
  produce(40, 400);
  Sink next;
  ConsumerOptions again = options("g", next);
  Consumer resumed = make(again);
  poll_until(resumed, next, 40);
  std::set<std::string> values;
  for (const auto& r : next.records())
    values.insert(*r.value);
  EXPECT_EQ(values.size(), 40u);
  for (int i = 400; i < 440; ++i)
    EXPECT_EQ(values.count(std::to_string(i)), 1u) << i;
}

TEST_F(CallbackDeliveryTest, AThrowingCallbackStopsItsPartitionUntilASeek) {
  produce(100);
  const int64_t end0 = latest(0);
  ASSERT_GT(end0, 0);
  Sink sink;
  sink.throw_at(0, 0);
  ConsumerOptions o = options("g", sink);
  o.max_poll_events = 1;  // one event per call: the throw is at offset 0 of partition 0 exactly
  Consumer consumer = make(o);
  // poll() reports the error of partition 0; the other partitions go on.
  std::optional<Error> reported;
  const auto until = std::chrono::steady_clock::now() + 20s;
  while ((!reported || sink.count() < 100u - static_cast<size_t>(end0)) &&
         std::chrono::steady_clock::now() < until) {
    Result<std::vector<Record>> polled = consumer.poll(20ms);
    if (!polled.ok()) reported = polled.error();
  }
  ASSERT_TRUE(reported.has_value());
  EXPECT_EQ(reported->code(), Errc::invalid_argument);
  EXPECT_NE(reported->message().find("the application failed"), std::string::npos)
      << reported->message();
  EXPECT_NE(reported->message().find("t/0 at offset 0"), std::string::npos) << reported->message();
  EXPECT_EQ(sink.count(), 100u - static_cast<size_t>(end0));
  // Partition 0 stays where the throwing call began: its events were not taken.
  EXPECT_TRUE(positions_reach(
      consumer, [](const PartitionLag& l) { return l.partition.partition == 0 ? 0 : l.latest; }));
  std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(consumer.poll(20ms).ok());  // reported once
  EXPECT_EQ(sink.count(), 100u - static_cast<size_t>(end0));
  // A seek starts it again, here from where it stopped.
  ASSERT_TRUE(consumer.seek({"t", 0}, SeekTarget::offset(0)).ok());
  poll_until(consumer, sink, 100);
  const auto parts = by_partition(sink.records());
  expect_run(parts.at(0), 0, end0);
}

TEST_F(CallbackDeliveryTest, SeeksMoveTheDelivery) {
  produce(100);
  Sink sink;
  Consumer consumer = make(options("g", sink));
  poll_until(consumer, sink, 100);
  const int64_t end1 = latest(1);
  ASSERT_GT(end1, 5);
  ASSERT_TRUE(consumer.seek({"t", 1}, SeekTarget::offset(5)).ok());
  poll_until(consumer, sink, 100 + static_cast<size_t>(end1 - 5));
  ASSERT_TRUE(consumer.seek({"t", 1}, SeekTarget::earliest()).ok());
  poll_until(consumer, sink, 100 + static_cast<size_t>(end1 - 5 + end1));
  const auto parts = by_partition(sink.records());
  const std::vector<int64_t>& p1 = parts.at(1);
  ASSERT_EQ(p1.size(), static_cast<size_t>(3 * end1 - 5));
  expect_run({p1.begin(), p1.begin() + end1}, 0, end1);
  expect_run({p1.begin() + end1, p1.begin() + 2 * end1 - 5}, 5, end1);
  expect_run({p1.begin() + 2 * end1 - 5, p1.end()}, 0, end1);
  ASSERT_TRUE(consumer.seek({"t", 1}, SeekTarget::latest()).ok());
  EXPECT_EQ(consumer.seek({"t", 99}, SeekTarget::earliest()).code(), Errc::invalid_argument);
}

TEST_F(CallbackDeliveryTest, RebalancesBetweenCallbackMembersSkipNoEvent) {
  Sink sink_a;
  Sink sink_b;
  ConsumerOptions oa = options("g", sink_a);
  oa.auto_commit = true;
  oa.auto_commit_interval = 1h;  // commits when it gives partitions up, and on close
  ConsumerOptions ob = options("g", sink_b);
  ob.auto_commit = true;
  ob.auto_commit_interval = 1h;
  Consumer a = make(oa);
  std::optional<Consumer> b(make(ob));
  for (int i = 0; i < 400 && (a.assignment().size() != 2 || b->assignment().size() != 2); ++i) {
    ASSERT_TRUE(a.poll(5ms).ok());
    ASSERT_TRUE(b->poll(5ms).ok());
  }
  ASSERT_EQ(a.assignment().size(), 2u);
  ASSERT_EQ(b->assignment().size(), 2u);
  std::thread producer([&] { produce(3000); });
  // b leaves halfway through (or after everything reached it, if the producer is quicker); a
  // takes its partitions from b's commits.
  while (sink_a.count() + sink_b.count() < 1000) {
    ASSERT_TRUE(a.poll(5ms).ok());
    ASSERT_TRUE(b->poll(5ms).ok());
  }
  b.reset();
  producer.join();
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (a.assignment().size() < kPartitions && std::chrono::steady_clock::now() < deadline)
    ASSERT_TRUE(a.poll(5ms).ok());
  ASSERT_EQ(a.assignment().size(), static_cast<size_t>(kPartitions));
  // What comes now goes to a, b's former partitions included.
  produce(1000, 3000);
  std::set<std::pair<int32_t, int64_t>> seen;
  const auto until = std::chrono::steady_clock::now() + 20s;
  while (seen.size() < 4000 && std::chrono::steady_clock::now() < until) {
    ASSERT_TRUE(a.poll(20ms).ok());
    seen.clear();
    for (const auto& r : sink_a.records())
      seen.insert({r.partition, r.offset});
    for (const auto& r : sink_b.records())
      seen.insert({r.partition, r.offset});
  }
  EXPECT_EQ(seen.size(), 4000u);  // every event reached one of them
  EXPECT_FALSE(sink_a.overlapped());
  EXPECT_FALSE(sink_b.overlapped());
  // Each member saw each of its partitions in order; b's commits leave no repeats for a.
  for (const Sink* sink : {&sink_a, &sink_b}) {
    for (const auto& [partition, offsets] : by_partition(sink->records())) {
      for (size_t i = 1; i < offsets.size(); ++i)
        ASSERT_EQ(offsets[i], offsets[i - 1] + 1) << "partition " << partition;
    }
  }
  std::set<std::string> values_a;
  for (const auto& r : sink_a.records())
    values_a.insert(*r.value);
  for (int i = 3000; i < 4000; ++i)
    EXPECT_EQ(values_a.count(std::to_string(i)), 1u) << i;
  EXPECT_EQ(sink_a.count() + sink_b.count(), 4000u);
}

}  // namespace
}  // namespace sluice
