// Request-reply through the Engine (include/sluice/requests.h): submit, complete, fail,
// dead-letter, wait, the asynchronous forms, restart and retention.
#include "engine/engine_impl.h"
#include "engine/request_book.h"
#include "engine/request_record.h"
#include "tests/engine/engine_test_env.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <mutex>
#include <set>
#include <thread>

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::consume;
using testing::consumer_options;
using testing::engine_options;
using testing::open_engine;
using testing::topic_config;

class RequestsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_ = engine_options(dir_.path());
    engine_ = open_engine(options_);
    ASSERT_NE(engine_, nullptr);
    ASSERT_TRUE(engine_->create_topic("jobs", topic_config(2)).ok());
  }

  void reopen() {
    engine_.reset();
    engine_ = open_engine(options_);
    ASSERT_NE(engine_, nullptr);
  }

  RequestState submit(const std::string& value) {
    Event event;
    event.value = value;
    Result<RequestState> state = engine_->submit_request("jobs", event);
    EXPECT_TRUE(state.ok()) << state.error().to_string();
    return state.ok() ? *state : RequestState{};
  }

  testing::TempDir dir_;
  EngineOptions options_;
  std::unique_ptr<Engine> engine_;
};

// A promise for an asynchronous form's one answer; counts the calls.
struct Answer {
  std::promise<Result<RequestState>> promise;
  std::future<Result<RequestState>> future = promise.get_future();
  std::atomic<int> calls{0};
  std::function<void(Result<RequestState>)> callback() {
    return [this](Result<RequestState> result) {
      if (calls.fetch_add(1) == 0) promise.set_value(std::move(result));
    };
  }
};

std::optional<std::string> header(const Record& record, std::string_view key) {
  for (const Header& h : record.headers) {
    if (h.key == key) return h.value;
  }
  return std::nullopt;
}

TEST_F(RequestsTest, SubmitAppendsTheEventWithItsIdAndRecordsItPending) {
  Event event;
  event.key = "k";
  event.value = "do it";
  event.headers.push_back({std::string(kRequestIdHeader), std::string("forged")});
  event.headers.push_back({"other", std::string("kept")});
  Result<RequestState> state = engine_->submit_request("jobs", event);
  ASSERT_TRUE(state.ok()) << state.error().to_string();
  EXPECT_TRUE(engine::valid_request_id(state->id)) << state->id;
  EXPECT_EQ(state->topic, "jobs");
  EXPECT_EQ(state->status, RequestStatus::pending);
  EXPECT_GE(state->partition, 0);
  EXPECT_GE(state->offset, 0);
  EXPECT_GT(state->created_ms, 0);

  Result<std::vector<Record>> read = engine_->read("jobs", state->partition, state->offset, 1);
  ASSERT_TRUE(read.ok()) << read.error().to_string();
  ASSERT_EQ(read->size(), 1u);
  const Record& record = (*read)[0];
  EXPECT_EQ(record.value, "do it");
  EXPECT_EQ(record.key, "k");
  EXPECT_EQ(header(record, kRequestIdHeader), state->id);  // the forged one is replaced
  EXPECT_EQ(header(record, "other"), "kept");
  size_t ids = 0;
  for (const Header& h : record.headers)
    ids += h.key == kRequestIdHeader ? 1 : 0;
  EXPECT_EQ(ids, 1u);

  Result<RequestState> again = engine_->request(state->id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, RequestStatus::pending);
  EXPECT_EQ(again->offset, state->offset);
}

TEST_F(RequestsTest, IdsAreDistinctLowercaseHex) {
  std::set<std::string> ids;
  for (int i = 0; i < 50; ++i)
    ids.insert(submit("x").id);
  EXPECT_EQ(ids.size(), 50u);
  for (const std::string& id : ids)
    EXPECT_TRUE(engine::valid_request_id(id)) << id;
}

TEST_F(RequestsTest, PendingToCompleted) {
  const RequestState submitted = submit("work");
  Result<RequestState> done = engine_->complete_request(submitted.id, R"({"answer":42})");
  ASSERT_TRUE(done.ok()) << done.error().to_string();
  EXPECT_EQ(done->status, RequestStatus::completed);
  EXPECT_EQ(done->outcome, R"({"answer":42})");
  EXPECT_GE(done->updated_ms, submitted.updated_ms);
  Result<RequestState> read = engine_->request(submitted.id);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->status, RequestStatus::completed);
  EXPECT_EQ(read->outcome, R"({"answer":42})");
  EXPECT_EQ(read->offset, submitted.offset);
  EXPECT_EQ(request_status_name(read->status), "completed");
}

TEST_F(RequestsTest, PendingToFailed) {
  const RequestState submitted = submit("work");
  Result<RequestState> failed = engine_->fail_request(submitted.id, "no such customer");
  ASSERT_TRUE(failed.ok()) << failed.error().to_string();
  EXPECT_EQ(failed->status, RequestStatus::failed);
  EXPECT_EQ(engine_->request(submitted.id)->outcome, "no such customer");
  EXPECT_EQ(request_status_name(RequestStatus::failed), "failed");
}

TEST_F(RequestsTest, DeadLetteredThroughTheQueueHook) {
  const RequestState submitted = submit("poison");
  Answer waiting;
  engine_->wait_request_async(submitted.id, 10s, waiting.callback());
  engine_->impl().request_dead_lettered(submitted.id, "max deliveries (10) reached: bad input");
  ASSERT_EQ(waiting.future.wait_for(10s), std::future_status::ready);
  Result<RequestState> state = waiting.future.get();
  ASSERT_TRUE(state.ok()) << state.error().to_string();
  EXPECT_EQ(state->status, RequestStatus::dead_lettered);
  EXPECT_EQ(state->outcome, "max deliveries (10) reached: bad input");
  EXPECT_EQ(request_status_name(state->status), "dead-lettered");
  // A finished request is not dead-lettered again, nor is an unknown id a problem.
  engine_->impl().request_dead_lettered(submitted.id, "again");
  engine_->impl().request_dead_lettered("0123456789abcdef0123456789abcdef", "unknown");
  engine_->impl().request_dead_lettered("not an id", "malformed");
  Result<RequestState> final_state = engine_->complete_request(submitted.id, "late");
  EXPECT_EQ(final_state.code(), Errc::conflict);
  EXPECT_EQ(engine_->request(submitted.id)->outcome, "max deliveries (10) reached: bad input");
  EXPECT_EQ(waiting.calls.load(), 1);
}

TEST_F(RequestsTest, UnknownIdsAreNotFound) {
  EXPECT_EQ(engine_->request("0123456789abcdef0123456789abcdef").code(), Errc::not_found);
  EXPECT_EQ(engine_->request("nonsense").code(), Errc::not_found);
  EXPECT_EQ(engine_->request("").code(), Errc::not_found);
  EXPECT_EQ(engine_->complete_request("0123456789abcdef0123456789abcdef", "r").code(),
            Errc::not_found);
  EXPECT_EQ(engine_->fail_request("nonsense", "e").code(), Errc::not_found);
  EXPECT_EQ(engine_->wait_request("0123456789abcdef0123456789abcdef", 1s).code(), Errc::not_found);
}

TEST_F(RequestsTest, SecondOutcomeIsAConflict) {
  const RequestState submitted = submit("work");
  ASSERT_TRUE(engine_->complete_request(submitted.id, "first").ok());
  Result<RequestState> second = engine_->complete_request(submitted.id, "second");
  EXPECT_EQ(second.code(), Errc::conflict);
  EXPECT_NE(second.error().message().find("completed"), std::string::npos)
      << second.error().message();
  EXPECT_EQ(engine_->fail_request(submitted.id, "late failure").code(), Errc::conflict);
  EXPECT_EQ(engine_->request(submitted.id)->outcome, "first");
}

TEST_F(RequestsTest, RacingCompletionsHaveOneWinner) {
  const RequestState submitted = submit("work");
  std::atomic<int> won{0};
  std::atomic<int> conflicts{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      Result<RequestState> r = engine_->complete_request(submitted.id, "by " + std::to_string(i));
      if (r.ok()) {
        won.fetch_add(1);
      } else if (r.code() == Errc::conflict) {
        conflicts.fetch_add(1);
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(conflicts.load(), 3);
}

TEST_F(RequestsTest, SubmitRefusesWhatItCannotAppend) {
  Event event;
  event.value = "x";
  EXPECT_EQ(engine_->submit_request("missing", event).code(), Errc::not_found);
  EXPECT_EQ(engine_->submit_request("__requests", event).code(), Errc::invalid_argument);
  event.partition = 5;
  EXPECT_EQ(engine_->submit_request("jobs", event).code(), Errc::invalid_argument);
  event.partition = -1;
  event.value = std::string(2u << 20, 'x');
  EXPECT_EQ(engine_->submit_request("jobs", event).code(), Errc::too_large);
  EXPECT_EQ(engine_->partition_state("jobs", 0)->latest_offset +
                engine_->partition_state("jobs", 1)->latest_offset,
            0);
  EXPECT_EQ(engine_->impl().requests->size(), 0u);
  const RequestState submitted = submit("ok");
  EXPECT_EQ(engine_->complete_request(submitted.id, std::string((1u << 20) + 1, 'r')).code(),
            Errc::too_large);
  EXPECT_EQ(engine_->request(submitted.id)->status, RequestStatus::pending);
}

TEST_F(RequestsTest, WaitReturnsAsSoonAsTheOutcomeExists) {
  const RequestState submitted = submit("work");
  std::thread worker([&] {
    std::this_thread::sleep_for(100ms);
    EXPECT_TRUE(engine_->complete_request(submitted.id, "done").ok());
  });
  const auto start = std::chrono::steady_clock::now();
  Result<RequestState> waited = engine_->wait_request(submitted.id, 20s);
  const auto took = std::chrono::steady_clock::now() - start;
  worker.join();
  ASSERT_TRUE(waited.ok()) << waited.error().to_string();
  EXPECT_EQ(waited->status, RequestStatus::completed);
  EXPECT_EQ(waited->outcome, "done");
  // The outcome came after ~100 ms; the wait ends then, far from its 20 s timeout.
  EXPECT_GE(took, 90ms);
  EXPECT_LT(took, 5s) << std::chrono::duration_cast<std::chrono::milliseconds>(took).count();
}

TEST_F(RequestsTest, WaitOnAnEndedRequestAnswersAtOnce) {
  const RequestState submitted = submit("work");
  ASSERT_TRUE(engine_->fail_request(submitted.id, "bad").ok());
  const auto start = std::chrono::steady_clock::now();
  Result<RequestState> waited = engine_->wait_request(submitted.id, 20s);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  ASSERT_TRUE(waited.ok());
  EXPECT_EQ(waited->status, RequestStatus::failed);
}

TEST_F(RequestsTest, WaitTimesOutStillPending) {
  const RequestState submitted = submit("work");
  const auto start = std::chrono::steady_clock::now();
  Result<RequestState> waited = engine_->wait_request(submitted.id, 200ms);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(waited.ok()) << waited.error().to_string();
  EXPECT_EQ(waited->status, RequestStatus::pending);
  EXPECT_GE(took, 200ms);
  EXPECT_LT(took, 2s);
  // A zero timeout answers at once.
  Result<RequestState> polled = engine_->wait_request(submitted.id, 0ms);
  ASSERT_TRUE(polled.ok());
  EXPECT_EQ(polled->status, RequestStatus::pending);
}

TEST_F(RequestsTest, ManyWaitersWithDifferentDeadlines) {
  const RequestState a = submit("a");
  const RequestState b = submit("b");
  // Registered latest deadline first: the timer must wake for the earlier ones.
  Answer long_wait, short_wait, completed_wait;
  engine_->wait_request_async(a.id, 30s, long_wait.callback());
  engine_->wait_request_async(a.id, 100ms, short_wait.callback());
  engine_->wait_request_async(b.id, 30s, completed_wait.callback());
  ASSERT_EQ(short_wait.future.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(short_wait.future.get()->status, RequestStatus::pending);
  EXPECT_EQ(long_wait.future.wait_for(0s), std::future_status::timeout);
  ASSERT_TRUE(engine_->complete_request(b.id, "b done").ok());
  ASSERT_EQ(completed_wait.future.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(completed_wait.future.get()->outcome, "b done");
  ASSERT_TRUE(engine_->fail_request(a.id, "a failed").ok());
  ASSERT_EQ(long_wait.future.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(long_wait.future.get()->status, RequestStatus::failed);
  EXPECT_EQ(long_wait.calls.load() + short_wait.calls.load() + completed_wait.calls.load(), 3);
}

TEST_F(RequestsTest, AsyncForms) {
  Answer submitted;
  Event event;
  event.value = "async";
  engine_->submit_request_async("jobs", event, submitted.callback());
  ASSERT_EQ(submitted.future.wait_for(10s), std::future_status::ready);
  Result<RequestState> state = submitted.future.get();
  ASSERT_TRUE(state.ok()) << state.error().to_string();
  EXPECT_EQ(state->status, RequestStatus::pending);

  Answer completed;
  engine_->complete_request_async(state->id, "r", completed.callback());
  ASSERT_EQ(completed.future.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(completed.future.get()->status, RequestStatus::completed);

  Answer conflict;
  engine_->fail_request_async(state->id, "e", conflict.callback());
  ASSERT_EQ(conflict.future.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(conflict.future.get().code(), Errc::conflict);

  Answer missing;
  engine_->submit_request_async("missing", event, missing.callback());
  ASSERT_EQ(missing.future.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(missing.future.get().code(), Errc::not_found);

  Answer second;
  engine_->submit_request_async("jobs", event, second.callback());
  ASSERT_EQ(second.future.wait_for(10s), std::future_status::ready);
  const std::string second_id = second.future.get()->id;
  Answer failed;
  engine_->fail_request_async(second_id, "e", failed.callback());
  ASSERT_EQ(failed.future.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(failed.future.get()->status, RequestStatus::failed);
  EXPECT_EQ(submitted.calls.load() + completed.calls.load() + conflict.calls.load() +
                missing.calls.load() + second.calls.load() + failed.calls.load(),
            6);
}

TEST_F(RequestsTest, AWorkerCompletesWhatAConsumerReceives) {
  const RequestState submitted = submit("payload");
  Result<Consumer> consumer = engine_->consumer(consumer_options("workers", {"jobs"}));
  ASSERT_TRUE(consumer.ok());
  std::vector<Record> records = consume(*consumer, 1);
  ASSERT_EQ(records.size(), 1u);
  std::optional<std::string> id = header(records[0], kRequestIdHeader);
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(*id, submitted.id);
  ASSERT_TRUE(engine_->complete_request(*id, "result of " + *records[0].value).ok());
  EXPECT_EQ(engine_->wait_request(submitted.id, 1s)->outcome, "result of payload");
}

TEST_F(RequestsTest, StatusesSurviveARestart) {
  const RequestState completed = submit("one");
  const RequestState failed = submit("two");
  const RequestState dead = submit("three");
  const RequestState pending = submit("four");
  ASSERT_TRUE(engine_->complete_request(completed.id, "result one").ok());
  ASSERT_TRUE(engine_->fail_request(failed.id, "error two").ok());
  Answer dead_wait;
  engine_->wait_request_async(dead.id, 10s, dead_wait.callback());
  engine_->impl().request_dead_lettered(dead.id, "reason three");
  ASSERT_EQ(dead_wait.future.wait_for(10s), std::future_status::ready);

  reopen();
  Result<RequestState> c = engine_->request(completed.id);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->status, RequestStatus::completed);
  EXPECT_EQ(c->outcome, "result one");
  EXPECT_EQ(c->topic, "jobs");
  EXPECT_EQ(c->partition, completed.partition);
  EXPECT_EQ(c->offset, completed.offset);
  EXPECT_EQ(c->created_ms, completed.created_ms);
  EXPECT_EQ(engine_->request(failed.id)->status, RequestStatus::failed);
  EXPECT_EQ(engine_->request(failed.id)->outcome, "error two");
  EXPECT_EQ(engine_->request(dead.id)->status, RequestStatus::dead_lettered);
  EXPECT_EQ(engine_->request(dead.id)->outcome, "reason three");
  Result<RequestState> p = engine_->request(pending.id);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->status, RequestStatus::pending);
  EXPECT_EQ(p->offset, pending.offset);
  // Still a live request: it can end after the restart, and only once.
  ASSERT_TRUE(engine_->complete_request(pending.id, "after restart").ok());
  EXPECT_EQ(engine_->complete_request(completed.id, "again").code(), Errc::conflict);

  reopen();
  EXPECT_EQ(engine_->request(pending.id)->outcome, "after restart");
  EXPECT_EQ(engine_->impl().requests->size(), 4u);
}

TEST_F(RequestsTest, StatusesExpireAfterTheRetention) {
  engine_.reset();
  options_.request_retention = 400ms;
  engine_ = open_engine(options_);
  ASSERT_NE(engine_, nullptr);
  const RequestState old_one = submit("old");
  ASSERT_TRUE(engine_->complete_request(old_one.id, "r").ok());
  std::this_thread::sleep_for(200ms);
  const RequestState young = submit("young");
  // A change restarts the retention: `young` ends now and lives 400 ms from here.
  EXPECT_TRUE(engine_->request(old_one.id).ok());
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(engine_->request(old_one.id).code(), Errc::not_found);
  EXPECT_EQ(engine_->complete_request(old_one.id, "again").code(), Errc::not_found);
  ASSERT_TRUE(engine_->request(young.id).ok());
  // The timer removes expired statuses from memory, not only hides them.
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (engine_->impl().requests->size() > 1 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(engine_->impl().requests->size(), 1u);
  // Expired ones stay forgotten after a restart.
  reopen();
  EXPECT_EQ(engine_->request(old_one.id).code(), Errc::not_found);
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(engine_->request(young.id).code(), Errc::not_found);
}

TEST_F(RequestsTest, AWaiterOfARequestThatExpiresGetsNotFound) {
  engine_.reset();
  options_.request_retention = 300ms;
  engine_ = open_engine(options_);
  ASSERT_NE(engine_, nullptr);
  const RequestState submitted = submit("never answered");
  Answer waiting;
  engine_->wait_request_async(submitted.id, 30s, waiting.callback());
  ASSERT_EQ(waiting.future.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(waiting.future.get().code(), Errc::not_found);
}

TEST_F(RequestsTest, WaitersLeftAtCloseAreAnsweredClosed) {
  const RequestState submitted = submit("work");
  Answer waiting;
  engine_->wait_request_async(submitted.id, 60s, waiting.callback());
  engine_.reset();
  ASSERT_EQ(waiting.future.wait_for(0s), std::future_status::ready);
  EXPECT_EQ(waiting.future.get().code(), Errc::closed);
}

TEST(RequestRecordTest, RoundTripsAndMerges) {
  RequestState state;
  state.id = "00112233445566778899aabbccddeeff";
  state.topic = "jobs";
  state.partition = 3;
  state.offset = 77;
  state.status = RequestStatus::failed;
  state.outcome = std::string("bin\0ary", 7);
  state.created_ms = 1000;
  state.updated_ms = 2000;
  engine::EncodedRequestRecord encoded = engine::encode_request_record(state);
  EXPECT_EQ(encoded.key, state.id);
  EXPECT_EQ(encoded.value.size(), 36u + 4 + 7);
  Result<RequestState> decoded = engine::decode_request_record(encoded.key, encoded.value);
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  EXPECT_EQ(decoded->outcome, state.outcome);
  EXPECT_EQ(decoded->status, state.status);
  EXPECT_EQ(decoded->offset, 77);
  EXPECT_EQ(decoded->created_ms, 1000);
  EXPECT_EQ(decoded->updated_ms, 2000);

  EXPECT_EQ(engine::decode_request_record("short", encoded.value).code(), Errc::corruption);
  EXPECT_EQ(engine::decode_request_record(encoded.key, encoded.value.substr(0, 40)).code(),
            Errc::corruption);
  std::string newer = encoded.value;
  newer[0] = 2;
  EXPECT_EQ(engine::decode_request_record(encoded.key, newer).code(), Errc::unsupported);
  std::string bad_status = encoded.value;
  bad_status[1] = 9;
  EXPECT_EQ(engine::decode_request_record(encoded.key, bad_status).code(), Errc::corruption);

  // A location record written after the outcome does not bring the request back to pending.
  RequestState located = state;
  located.status = RequestStatus::pending;
  located.outcome.clear();
  located.partition = 1;
  located.offset = 5;
  located.updated_ms = 3000;
  RequestState merged = state;
  engine::merge_request_record(merged, located);
  EXPECT_EQ(merged.status, RequestStatus::failed);
  EXPECT_EQ(merged.outcome, state.outcome);
  EXPECT_EQ(merged.offset, 5);
  EXPECT_EQ(merged.updated_ms, 3000);
}

TEST(RequestRecordTest, FormatMdExampleByteForByte) {
  RequestState state;
  state.id = "00112233445566778899aabbccddeeff";
  state.topic = "jobs";
  state.partition = 1;
  state.offset = 5;
  state.status = RequestStatus::completed;
  state.outcome = "ok";
  state.created_ms = 1000;
  state.updated_ms = 2000;
  const std::string value = engine::encode_request_record(state).value;
  std::string hex;
  for (unsigned char c : value) {
    char two[3];
    std::snprintf(two, sizeof two, "%02x", c);
    hex += two;
  }
  EXPECT_EQ(hex,
            "0101"
            "00000001"
            "0000000000000005"
            "00000000000003e8"
            "00000000000007d0"
            "0004"
            "6a6f6273"
            "00000002"
            "6f6b");
  EXPECT_EQ(value.size(), 42u);
}

}  // namespace
}  // namespace sluice
