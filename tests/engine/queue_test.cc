// Queues through the Engine: receive and ack, nack with backoff, dead-lettering after
// max_deliveries with the DLQ headers, replay once, lock expiry, a consumer that drops its
// events, restart with pending, locked and retrying events, key order, the in-flight bound,
// asynchronous calls, bad arguments, per-topic policy and topic deletion.
#include "tests/engine/engine_test_env.h"

#include <atomic>
#include <future>
#include <set>
#include <thread>

namespace sluice {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::open_engine;
using testing::topic_config;

const std::string* find_header(const std::vector<Header>& headers, std::string_view key) {
  for (const Header& h : headers) {
    if (h.key == key && h.value) return &*h.value;
  }
  return nullptr;
}

LockRef ref_of(const QueuedEvent& e) {
  return {e.record.partition, e.record.offset, e.lock_token};
}

std::vector<LockRef> refs_of(const std::vector<QueuedEvent>& events) {
  std::vector<LockRef> out;
  for (const auto& e : events)
    out.push_back(ref_of(e));
  return out;
}

class QueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(engine_, nullptr);
    ASSERT_TRUE(engine_->create_topic("t", topic_config(2)).ok());
  }
  void reopen() {
    engine_.reset();
    engine_ = open_engine(testing::engine_options(dir_.path()));
    ASSERT_NE(engine_, nullptr);
  }
  std::vector<Delivery> produce(int count, int first = 0, std::optional<std::string> key = {},
                                int32_t partition = -1) {
    Result<Producer> producer = engine_->producer();
    EXPECT_TRUE(producer.ok());
    std::vector<Event> events;
    for (int i = first; i < first + count; ++i) {
      Event e;
      e.key = key;
      e.value = "v" + std::to_string(i);
      e.partition = partition;
      e.headers.push_back({"h", "x" + std::to_string(i)});
      events.push_back(std::move(e));
    }
    return testing::send_all(*producer, "t", events);
  }
  Queue make(QueueOptions options) {
    Result<Queue> queue = engine_->queue(options);
    EXPECT_TRUE(queue.ok()) << queue.error().to_string();
    return std::move(*queue);
  }
  static QueueOptions options(const std::string& group = "g") {
    QueueOptions o;
    o.group = group;
    o.topic = "t";
    return o;
  }
  // Receives until `count` events came or `timeout` passed.
  static std::vector<QueuedEvent> receive_all(Queue& queue, size_t count,
                                              std::chrono::milliseconds timeout = 10s) {
    std::vector<QueuedEvent> out;
    const auto until = Clock::now() + timeout;
    while (out.size() < count && Clock::now() < until) {
      auto got =
          queue.receive(static_cast<uint32_t>(std::min<size_t>(count - out.size(), 10000)), 100ms);
      EXPECT_TRUE(got.ok()) << got.error().to_string();
      if (!got.ok()) break;
      for (auto& e : *got)
        out.push_back(std::move(e));
    }
    return out;
  }
  static void ack_ok(Queue& queue, const std::vector<QueuedEvent>& events) {
    auto acked = queue.ack(refs_of(events));
    ASSERT_TRUE(acked.ok()) << acked.error().to_string();
    for (const auto& outcome : *acked)
      EXPECT_TRUE(outcome.result.ok()) << outcome.result.error().to_string();
  }

  testing::TempDir dir_;
  std::unique_ptr<Engine> engine_ = open_engine(testing::engine_options(dir_.path()));
};

TEST_F(QueueTest, EveryEventIsReceivedOnceAndAckedEventsNeverComeBack) {
  produce(200);
  Queue queue = make(options());
  auto events = receive_all(queue, 200);
  ASSERT_EQ(events.size(), 200u);
  std::set<std::pair<int32_t, int64_t>> seen;
  for (const auto& e : events) {
    EXPECT_TRUE(seen.insert({e.record.partition, e.record.offset}).second);
    EXPECT_EQ(e.delivery_count, 1u);
    EXPECT_EQ(e.lock_token.size(), 13u);
    EXPECT_GT(e.lock_expires_ms, 0);
    EXPECT_EQ(e.record.topic, "t");
    ASSERT_TRUE(e.record.value);
    EXPECT_EQ(*find_header(e.record.headers, "h"), "x" + e.record.value->substr(1));
  }
  ack_ok(queue, events);
  auto more = queue.receive(100, 200ms);
  ASSERT_TRUE(more.ok());
  EXPECT_TRUE(more->empty());
  QueueStats stats = queue.stats();
  EXPECT_EQ(stats.acked, 200u);
  EXPECT_EQ(stats.in_flight, 0u);
  EXPECT_EQ(stats.backlog, 0);
  EXPECT_EQ(stats.oldest_unacked_age_ms, 0);
  // The handled prefix reaches __consumer_offsets within a second or so: describe_group
  // shows no lag.
  const auto until = Clock::now() + 5s;
  int64_t lag = -1;
  while (Clock::now() < until) {
    auto described = engine_->describe_group("g");
    if (described.ok() && described->offsets.size() == 2) {
      lag = 0;
      for (const auto& o : described->offsets)
        lag += o.lag;
      if (lag == 0) break;
    }
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(lag, 0);
}

TEST_F(QueueTest, AnAlwaysFailingConsumerDeadLettersAfterExactlyMaxDeliveries) {
  produce(1, 0, std::string("key-1"), 1);
  QueueOptions o = options();
  o.max_deliveries = 3;
  Queue queue = make(o);
  uint32_t deliveries = 0;
  QueuedEvent last;
  for (int round = 0; round < 10; ++round) {
    auto got = queue.receive(10, 2s);
    ASSERT_TRUE(got.ok());
    if (got->empty()) break;
    ASSERT_EQ(got->size(), 1u);
    ++deliveries;
    EXPECT_EQ((*got)[0].delivery_count, deliveries);
    last = (*got)[0];
    NackOptions nack;
    nack.reason = "failure " + std::to_string(deliveries);
    nack.retry_after = 0ms;
    auto nacked = queue.nack(refs_of(*got), nack);
    ASSERT_TRUE(nacked.ok());
    ASSERT_TRUE((*nacked)[0].result.ok()) << (*nacked)[0].result.error().to_string();
    if (deliveries == 3) {
      auto after = queue.receive(10, 300ms);
      ASSERT_TRUE(after.ok());
      EXPECT_TRUE(after->empty());
      break;
    }
  }
  EXPECT_EQ(deliveries, 3u);
  Result<TopicDescription> dlq = engine_->describe_topic("t.dlq");
  ASSERT_TRUE(dlq.ok()) << dlq.error().to_string();
  EXPECT_EQ(dlq->config.partitions, 2);
  auto records = engine_->read("t.dlq", 1, 0, 10);
  ASSERT_TRUE(records.ok()) << records.error().to_string();
  ASSERT_EQ(records->size(), 1u);
  const Record& r = (*records)[0];
  EXPECT_EQ(r.key, std::optional<std::string>("key-1"));
  EXPECT_EQ(r.value, std::optional<std::string>("v0"));
  EXPECT_EQ(*find_header(r.headers, "h"), "x0");
  EXPECT_EQ(*find_header(r.headers, kDlqHeaderTopic), "t");
  EXPECT_EQ(*find_header(r.headers, kDlqHeaderPartition), "1");
  EXPECT_EQ(*find_header(r.headers, kDlqHeaderOffset), std::to_string(last.record.offset));
  EXPECT_EQ(*find_header(r.headers, kDlqHeaderGroup), "g");
  EXPECT_EQ(*find_header(r.headers, kDlqHeaderDeliveries), "3");
  EXPECT_EQ(*find_header(r.headers, kDlqHeaderReason), "failure 3");
  const int64_t time = std::stoll(*find_header(r.headers, kDlqHeaderTime));
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  EXPECT_LE(time, now);
  EXPECT_GT(time, now - 60000);
  EXPECT_TRUE(engine_->read("t.dlq", 0, 0, 10)->empty());
  EXPECT_EQ(queue.stats().dead_lettered, 1u);

  // Replay brings it back exactly once, in front of the group, with a fresh count.
  Result<ReplayResult> replayed = engine_->replay_dlq("t", {});
  ASSERT_TRUE(replayed.ok()) << replayed.error().to_string();
  EXPECT_EQ(replayed->replayed, 1u);
  EXPECT_EQ(replayed->already_replayed, 0u);
  auto back = queue.receive(10, 2s);
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->size(), 1u);
  EXPECT_EQ((*back)[0].record.offset, last.record.offset);
  EXPECT_EQ((*back)[0].record.partition, 1);
  EXPECT_EQ((*back)[0].delivery_count, 1u);
  ack_ok(queue, *back);
  replayed = engine_->replay_dlq("t", {});
  ASSERT_TRUE(replayed.ok());
  EXPECT_EQ(replayed->replayed, 0u);
  EXPECT_EQ(replayed->already_replayed, 1u);
  auto none = queue.receive(10, 200ms);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  // Nothing was appended to the topic: another group sees the event once.
  Queue other = make(options("other"));
  EXPECT_EQ(receive_all(other, 2, 500ms).size(), 1u);
  EXPECT_EQ(queue.stats().replayed, 1u);
}

TEST_F(QueueTest, BackoffDelaysAreObservedWithinTolerance) {
  produce(1);
  QueueOptions o = options();
  o.max_deliveries = 4;
  RetryBackoff retry;
  retry.initial = 100ms;
  retry.multiplier = 2.0;
  retry.maximum = 1000ms;
  retry.jitter = 0.0;
  o.retry = retry;
  Queue queue = make(o);
  auto got = queue.receive(1, 2s);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  for (int64_t expected : {100, 200, 400}) {
    const auto nacked_at = Clock::now();
    auto nacked = queue.nack(refs_of(*got), {"slow", std::nullopt});
    ASSERT_TRUE(nacked.ok());
    ASSERT_TRUE((*nacked)[0].result.ok());
    EXPECT_EQ(queue.stats().waiting_retry, 1u);
    got = queue.receive(1, 5s);
    ASSERT_TRUE(got.ok());
    ASSERT_EQ(got->size(), 1u);
    const int64_t waited =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - nacked_at).count();
    EXPECT_GE(waited, expected - 5) << "retry after " << expected;
    EXPECT_LE(waited, expected + 400) << "retry after " << expected;  // a loaded machine
  }
  EXPECT_EQ((*got)[0].delivery_count, 4u);
  EXPECT_EQ(queue.stats().redelivered, 3u);
}

TEST_F(QueueTest, AnExpiredLockRedeliversWithTheNextCountAndTheOldTokenIsLockLost) {
  produce(1);
  QueueOptions o = options();
  Queue queue = make(o);
  auto first = queue.receive(1, 2s, 100ms);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 1u);
  auto second = queue.receive(1, 3s);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ((*second)[0].record.offset, (*first)[0].record.offset);
  EXPECT_EQ((*second)[0].delivery_count, 2u);
  EXPECT_NE((*second)[0].lock_token, (*first)[0].lock_token);
  auto stale = queue.ack(refs_of(*first));
  ASSERT_TRUE(stale.ok());
  EXPECT_EQ((*stale)[0].result.code(), Errc::lock_lost);
  LockRef malformed = ref_of((*second)[0]);
  malformed.lock_token = "not-a-token";
  auto bad = queue.ack({malformed});
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ((*bad)[0].result.code(), Errc::invalid_argument);
  ack_ok(queue, *second);
  auto again = queue.ack(refs_of(*second));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[0].result.code(), Errc::not_found);
}

TEST_F(QueueTest, AConsumerThatCrashesMidWorkHasItsEventsRedeliveredAfterTheLock) {
  produce(10);
  QueueOptions o = options();
  o.lock_duration = 200ms;
  std::set<int64_t> dropped;
  {
    Queue crashing = make(o);
    auto got = receive_all(crashing, 10);
    ASSERT_EQ(got.size(), 10u);
    for (const auto& e : got)
      dropped.insert(e.record.partition * 1000 + e.record.offset);
  }  // gone without acking
  Queue survivor = make(o);
  auto again = receive_all(survivor, 10, 5s);
  ASSERT_EQ(again.size(), 10u);
  for (const auto& e : again) {
    EXPECT_EQ(e.delivery_count, 2u);
    EXPECT_TRUE(dropped.contains(e.record.partition * 1000 + e.record.offset));
  }
  ack_ok(survivor, again);
}

TEST_F(QueueTest, ARestartLosesNoPendingEventAndRepeatsNoAcknowledgedOne) {
  produce(30);
  QueueOptions o = options();
  o.lock_duration = 60s;
  std::vector<QueuedEvent> acked, retrying, locked;
  Clock::time_point nacked_at;
  {
    Queue queue = make(o);
    auto events = receive_all(queue, 30);
    ASSERT_EQ(events.size(), 30u);
    for (size_t i = 0; i < events.size(); ++i)
      (i % 3 == 0 ? acked : i % 3 == 1 ? retrying : locked).push_back(events[i]);
    ack_ok(queue, acked);
    nacked_at = Clock::now();
    auto nacked = queue.nack(refs_of(retrying), {"later", 2000ms});
    ASSERT_TRUE(nacked.ok());
    for (const auto& outcome : *nacked)
      EXPECT_TRUE(outcome.result.ok());
  }
  produce(5, 30);  // never delivered before the restart
  reopen();
  Queue queue = make(o);
  QueueStats stats = queue.stats();
  EXPECT_EQ(stats.in_flight, 10u);
  // Unless the restart itself took longer than the retry delay (sanitizer builds).
  if (Clock::now() - nacked_at < 1500ms) {
    EXPECT_EQ(stats.waiting_retry, 10u);
  }
  // Locks taken before the restart are still valid.
  ack_ok(queue, locked);
  std::set<std::pair<int32_t, int64_t>> handled;
  for (const auto& e : acked)
    handled.insert({e.record.partition, e.record.offset});
  for (const auto& e : locked)
    handled.insert({e.record.partition, e.record.offset});
  // The 5 new ones come at once, the 10 retries after their due time, with count 2.
  auto rest = receive_all(queue, 15, 20s);
  ASSERT_EQ(rest.size(), 15u);
  size_t redelivered = 0;
  for (const auto& e : rest) {
    EXPECT_FALSE(handled.contains({e.record.partition, e.record.offset}))
        << "acknowledged event delivered again: " << e.record.partition << "@" << e.record.offset;
    if (e.delivery_count == 2) ++redelivered;
  }
  EXPECT_EQ(redelivered, 10u);
  ack_ok(queue, rest);
  auto none = queue.receive(100, 300ms);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  // And again after a second restart: everything stays handled.
  reopen();
  Queue after = make(o);
  auto still_none = after.receive(100, 300ms);
  ASSERT_TRUE(still_none.ok());
  EXPECT_TRUE(still_none->empty());
  EXPECT_EQ(after.stats().in_flight, 0u);
}

TEST_F(QueueTest, KeyOrderHoldsAKeysLaterEventsWhileAnEarlierIsPending) {
  Result<Producer> producer = engine_->producer();
  ASSERT_TRUE(producer.ok());
  std::vector<Event> events;
  for (const char* key : {"a", "b", "a", "c", "a"}) {
    Event e = testing::keyed_event(key, std::string(key) + "-value");
    e.partition = 0;
    events.push_back(e);
  }
  testing::send_all(*producer, "t", events);
  QueueOptions o = options();
  o.key_order = true;
  Queue queue = make(o);
  auto first = queue.receive(10, 1s);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 3u);  // a, b, c: the later a's wait
  EXPECT_EQ((*first)[0].record.offset, 0);
  EXPECT_EQ((*first)[1].record.offset, 1);
  EXPECT_EQ((*first)[2].record.offset, 3);
  auto blocked = queue.receive(10, 100ms);
  ASSERT_TRUE(blocked.ok());
  EXPECT_TRUE(blocked->empty());
  ack_ok(queue, {(*first)[0]});
  auto second = queue.receive(10, 1s);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ((*second)[0].record.offset, 2);
  // A nack keeps the key's next event waiting through the retry.
  ASSERT_TRUE(queue.nack(refs_of(*second), {"", 200ms}).ok());
  auto during = queue.receive(10, 50ms);
  ASSERT_TRUE(during.ok());
  EXPECT_TRUE(during->empty());
  auto retried = queue.receive(10, 2s);
  ASSERT_TRUE(retried.ok());
  ASSERT_EQ(retried->size(), 1u);
  EXPECT_EQ((*retried)[0].record.offset, 2);
  ack_ok(queue, *retried);
  auto last = queue.receive(10, 1s);
  ASSERT_TRUE(last.ok());
  ASSERT_EQ(last->size(), 1u);
  EXPECT_EQ((*last)[0].record.offset, 4);
}

TEST_F(QueueTest, MaxInFlightBoundsTheLockedEvents) {
  produce(20);
  QueueOptions o = options();
  o.max_in_flight = 5;
  Queue queue = make(o);
  auto first = queue.receive(20, 1s);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 5u);
  auto none = queue.receive(20, 100ms);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(queue.stats().in_flight, 5u);
  ack_ok(queue, {(*first)[0], (*first)[1]});
  auto more = queue.receive(20, 1s);
  ASSERT_TRUE(more.ok());
  EXPECT_EQ(more->size(), 2u);
}

TEST_F(QueueTest, AsyncReceiveWaitsForAppendsAndAsyncAckCompletes) {
  Queue queue = make(options());
  std::promise<Result<std::vector<QueuedEvent>>> received;
  const auto asked = Clock::now();
  queue.receive_async(10, 5s, std::nullopt, [&](Result<std::vector<QueuedEvent>> events) {
    received.set_value(std::move(events));
  });
  std::this_thread::sleep_for(100ms);
  produce(3);
  auto events = received.get_future().get();
  ASSERT_TRUE(events.ok());
  ASSERT_GE(events->size(), 1u);
  EXPECT_LT(Clock::now() - asked, 4s);  // woken by the append, not by the deadline
  std::promise<Result<std::vector<LockOutcome>>> acked;
  queue.ack_async(refs_of(*events), [&](Result<std::vector<LockOutcome>> outcomes) {
    acked.set_value(std::move(outcomes));
  });
  auto outcomes = acked.get_future().get();
  ASSERT_TRUE(outcomes.ok());
  for (const auto& outcome : *outcomes)
    EXPECT_TRUE(outcome.result.ok());
  // A wait that runs out answers with no events.
  std::promise<Result<std::vector<QueuedEvent>>> empty;
  Queue other = make(options("empty-group"));
  auto drained = receive_all(other, 3, 2s);
  ack_ok(other, drained);
  other.receive_async(10, 100ms, std::nullopt,
                      [&](Result<std::vector<QueuedEvent>> r) { empty.set_value(std::move(r)); });
  auto nothing = empty.get_future().get();
  ASSERT_TRUE(nothing.ok());
  EXPECT_TRUE(nothing->empty());
}

TEST_F(QueueTest, BadArgumentsAreInvalidArgumentWithAClearMessage) {
  auto expect_invalid = [](const Error& error, const std::string& words) {
    EXPECT_EQ(error.code(), Errc::invalid_argument) << error.to_string();
    EXPECT_NE(error.message().find(words), std::string::npos) << error.message();
  };
  QueueOptions o = options();
  o.group = "";
  expect_invalid(engine_->queue(o).error(), "group");
  o = options();
  o.topic = "";
  expect_invalid(engine_->queue(o).error(), "topic");
  o = options();
  o.topic = "missing";
  EXPECT_EQ(engine_->queue(o).code(), Errc::not_found);
  o.topic = "__consumer_offsets";
  expect_invalid(engine_->queue(o).error(), "internal");
  o = options();
  o.max_deliveries = 0;
  expect_invalid(engine_->queue(o).error(), "max_deliveries");
  o = options();
  o.lock_duration = 0ms;
  expect_invalid(engine_->queue(o).error(), "lock_duration");
  o = options();
  o.max_in_flight = 0;
  expect_invalid(engine_->queue(o).error(), "max_in_flight");

  Queue queue = make(options());
  expect_invalid(queue.receive(0, 0ms).error(), "max_events");
  expect_invalid(queue.receive(10001, 0ms).error(), "max_events");
  expect_invalid(queue.receive(1, -1ms).error(), "wait");
  expect_invalid(queue.receive(1, 0ms, 0ms).error(), "lock");
  expect_invalid(queue.ack({}).error(), "no events");
  expect_invalid(queue.nack({{0, 0, "0000000000000"}}, {std::string(5000, 'r'), {}}).error(),
                 "reason");
  expect_invalid(queue.nack({{0, 0, "0000000000000"}}, {"", -5ms}).error(), "retry_after");
  auto bad_partition = queue.ack({{7, 0, "0000000000000"}});
  ASSERT_TRUE(bad_partition.ok());
  expect_invalid((*bad_partition)[0].result.error(), "partition 7");
  ReplayFilter filter;
  filter.from = 5;
  filter.to = 2;
  expect_invalid(engine_->replay_dlq("t", filter).error(), "from");
  EXPECT_EQ(engine_->replay_dlq("t", {}).code(), Errc::not_found);  // no DLQ yet
  EXPECT_EQ(engine_->replay_dlq("missing", {}).code(), Errc::not_found);
}

TEST_F(QueueTest, TheTopicsQueuePolicySurvivesARestartAndApplies) {
  TopicConfig config = topic_config(1);
  config.queue.max_deliveries = 2;
  config.queue.lock_duration = 5000ms;
  config.queue.retry.initial = 10ms;
  config.queue.retry.jitter = 0.5;
  ASSERT_TRUE(engine_->create_topic("p", config).ok());
  TopicConfig bad = topic_config(1);
  bad.queue.max_deliveries = 5000;
  EXPECT_EQ(engine_->create_topic("bad", bad).code(), Errc::invalid_argument);
  reopen();
  Result<TopicDescription> described = engine_->describe_topic("p");
  ASSERT_TRUE(described.ok());
  EXPECT_EQ(described->config.queue, config.queue);

  Result<Producer> producer = engine_->producer();
  ASSERT_TRUE(producer.ok());
  testing::send_all(*producer, "p", {testing::keyed_event("k", "v")});
  QueueOptions o;
  o.group = "g";
  o.topic = "p";
  Queue queue = make(o);
  for (uint32_t n = 1; n <= 2; ++n) {
    auto got = queue.receive(1, 2s);
    ASSERT_TRUE(got.ok());
    ASSERT_EQ(got->size(), 1u);
    EXPECT_EQ((*got)[0].delivery_count, n);
    const int64_t lock_left =
        (*got)[0].lock_expires_ms - std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count();
    EXPECT_GT(lock_left, 3000);  // the topic's 5 s lock
    EXPECT_LE(lock_left, 5000);
    ASSERT_TRUE(queue.nack(refs_of(*got), {"no", std::nullopt}).ok());
  }
  auto none = queue.receive(1, 300ms);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(engine_->read("p.dlq", 0, 0, 10)->size(), 1u);
}

TEST_F(QueueTest, ADeletedTopicForgetsItsQueuesAndANewTopicStartsAfresh) {
  produce(10);
  {
    Queue queue = make(options());
    auto events = receive_all(queue, 10);
    ack_ok(queue, events);
    ASSERT_TRUE(engine_->delete_topic("t").ok());
    auto gone = queue.receive(1, 0ms);
    ASSERT_FALSE(gone.ok());
    EXPECT_EQ(gone.code(), Errc::not_found);
  }
  ASSERT_TRUE(engine_->create_topic("t", topic_config(2)).ok());
  produce(4);
  {
    Queue queue = make(options());
    auto events = receive_all(queue, 4);
    EXPECT_EQ(events.size(), 4u);  // from offset 0 of the new topic
    ack_ok(queue, events);
  }
  reopen();
  produce(2, 4);
  Queue after = make(options());
  auto events = receive_all(after, 3, 1s);
  ASSERT_EQ(events.size(), 2u);  // only the new ones: the rebuild forgot the deleted topic's
  for (const auto& e : events)
    EXPECT_EQ(e.delivery_count, 1u);
}

}  // namespace
}  // namespace sluice
