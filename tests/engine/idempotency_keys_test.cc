// IdempotencyKeys through a real engine: first use, in progress, done (the first answer),
// mismatch, abandon, scopes, the async finish, a restart (answers come back from
// __idempotency, claims do not) and retention.
#include "engine/idempotency_keys.h"
#include "engine/engine_impl.h"
#include "tests/engine/engine_test_env.h"

#include <future>
#include <thread>

namespace sluice {
namespace {

using namespace std::chrono_literals;
using engine::IdempotencyKeys;
using Claim = IdempotencyKeys::Claim;
using testing::engine_options;
using testing::open_engine;

class IdempotencyKeysTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }
  void open() {
    engine_.reset();
    engine_ = open_engine(options_);
    ASSERT_NE(engine_, nullptr);
  }
  IdempotencyKeys& keys() { return *engine_->impl().idempotency; }

  testing::TempDir dir_;
  EngineOptions options_ = engine_options(dir_.path());
  std::unique_ptr<Engine> engine_;
};

TEST_F(IdempotencyKeysTest, FirstInProgressDoneAndMismatch) {
  IdempotencyKeys::Begin first = keys().begin("orders", "key-1", 42);
  EXPECT_EQ(first.claim, Claim::first);
  // A repeat while the first call runs.
  EXPECT_EQ(keys().begin("orders", "key-1", 42).claim, Claim::in_progress);
  // The same key for another request.
  EXPECT_EQ(keys().begin("orders", "key-1", 43).claim, Claim::mismatch);
  ASSERT_TRUE(keys().finish("orders", "key-1", R"({"offsets":[7]})").ok());
  IdempotencyKeys::Begin repeat = keys().begin("orders", "key-1", 42);
  EXPECT_EQ(repeat.claim, Claim::done);
  EXPECT_EQ(repeat.answer, R"({"offsets":[7]})");
  EXPECT_EQ(keys().begin("orders", "key-1", 43).claim, Claim::mismatch);
  // Scopes are apart: the same key on another topic is a first use.
  EXPECT_EQ(keys().begin("payments", "key-1", 43).claim, Claim::first);
  // A scope that is a prefix of another plus key does not collide ("ab"+"c" vs "a"+"bc").
  EXPECT_EQ(keys().begin("ab", "c", 1).claim, Claim::first);
  EXPECT_EQ(keys().begin("a", "bc", 2).claim, Claim::first);
}

TEST_F(IdempotencyKeysTest, AbandonLetsARepeatRunAgain) {
  ASSERT_EQ(keys().begin("orders", "k", 1).claim, Claim::first);
  keys().abandon("orders", "k");
  ASSERT_EQ(keys().begin("orders", "k", 1).claim, Claim::first);
  ASSERT_TRUE(keys().finish("orders", "k", "answer").ok());
  // Abandon does not drop a recorded answer.
  keys().abandon("orders", "k");
  EXPECT_EQ(keys().begin("orders", "k", 1).claim, Claim::done);
}

TEST_F(IdempotencyKeysTest, FinishNeedsAClaimAndBoundedInputs) {
  EXPECT_EQ(keys().finish("orders", "never-claimed", "a").code(), Errc::invalid_argument);
  ASSERT_EQ(keys().begin("orders", "big", 1).claim, Claim::first);
  EXPECT_EQ(
      keys().finish("orders", "big", std::string(IdempotencyKeys::kMaxAnswerBytes + 1, 'x')).code(),
      Errc::invalid_argument);
  // Still claimed: the caller may record a proper answer or abandon.
  EXPECT_EQ(keys().begin("orders", "big", 1).claim, Claim::in_progress);
  ASSERT_TRUE(keys().finish("orders", "big", "small").ok());
  EXPECT_EQ(keys().finish("orders", "big", "twice").code(), Errc::invalid_argument);
  EXPECT_EQ(keys().begin("orders", "big", 1).answer, "small");
}

TEST_F(IdempotencyKeysTest, OneOfManyRacingCallersGetsTheClaim) {
  std::atomic<int> first{0};
  std::atomic<int> in_progress{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      Claim claim = keys().begin("orders", "race", 9).claim;
      (claim == Claim::first ? first : in_progress).fetch_add(1);
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(first.load(), 1);
  EXPECT_EQ(in_progress.load(), 7);
}

TEST_F(IdempotencyKeysTest, FinishAsync) {
  ASSERT_EQ(keys().begin("orders", "async", 5).claim, Claim::first);
  std::promise<Result<void>> promise;
  keys().finish_async("orders", "async", "async answer",
                      [&](Result<void> r) { promise.set_value(std::move(r)); });
  std::future<Result<void>> future = promise.get_future();
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(future.get().ok());
  EXPECT_EQ(keys().begin("orders", "async", 5).answer, "async answer");

  std::promise<Result<void>> refused;
  keys().finish_async("orders", "unclaimed", "x",
                      [&](Result<void> r) { refused.set_value(std::move(r)); });
  EXPECT_EQ(refused.get_future().get().code(), Errc::invalid_argument);
}

TEST_F(IdempotencyKeysTest, AnswersSurviveARestartClaimsDoNot) {
  ASSERT_EQ(keys().begin("orders", "kept", 11).claim, Claim::first);
  ASSERT_TRUE(keys().finish("orders", "kept", std::string("bin\0ary", 7)).ok());
  ASSERT_EQ(keys().begin("orders", "claimed", 12).claim, Claim::first);
  ASSERT_EQ(keys().begin("orders", "abandoned", 13).claim, Claim::first);
  keys().abandon("orders", "abandoned");
  open();
  IdempotencyKeys::Begin kept = keys().begin("orders", "kept", 11);
  EXPECT_EQ(kept.claim, Claim::done);
  EXPECT_EQ(kept.answer, std::string("bin\0ary", 7));
  EXPECT_EQ(keys().begin("orders", "kept", 99).claim, Claim::mismatch);
  // A claim lived only in memory: after a restart the call runs again.
  EXPECT_EQ(keys().begin("orders", "claimed", 12).claim, Claim::first);
  EXPECT_EQ(keys().begin("orders", "abandoned", 13).claim, Claim::first);
}

TEST_F(IdempotencyKeysTest, AnswersExpireAfterTheRetention) {
  options_.idempotency_retention = 300ms;
  open();
  ASSERT_EQ(keys().begin("orders", "short", 1).claim, Claim::first);
  ASSERT_TRUE(keys().finish("orders", "short", "a1").ok());
  EXPECT_EQ(keys().begin("orders", "short", 1).claim, Claim::done);
  std::this_thread::sleep_for(400ms);
  // Forgotten: a first use again, even with another fingerprint.
  EXPECT_EQ(keys().begin("orders", "short", 2).claim, Claim::first);
  ASSERT_TRUE(keys().finish("orders", "short", "a2").ok());
  EXPECT_EQ(keys().begin("orders", "short", 2).answer, "a2");
  // Swept from memory too.
  ASSERT_EQ(keys().begin("orders", "other", 3).claim, Claim::first);
  ASSERT_TRUE(keys().finish("orders", "other", "o").ok());
  std::this_thread::sleep_for(400ms);
  ASSERT_EQ(keys().begin("orders", "trigger", 4).claim, Claim::first);
  EXPECT_EQ(keys().size(), 1u);  // only the new claim
  // Expired answers stay forgotten after a restart (their records are still in the log).
  keys().abandon("orders", "trigger");
  open();
  EXPECT_EQ(keys().begin("orders", "short", 2).claim, Claim::first);
  EXPECT_EQ(keys().begin("orders", "other", 3).claim, Claim::first);
}

TEST_F(IdempotencyKeysTest, AKeyReusedAfterItExpiredRebuildsToItsNewAnswer) {
  // Both records of the key are in __idempotency; the rebuild ends with the later one. The
  // retention must outlast the reopen below, which takes seconds under ThreadSanitizer on a
  // loaded machine (1.5 s did not).
  options_.idempotency_retention = 5000ms;
  open();
  ASSERT_EQ(keys().begin("s", "k", 1).claim, Claim::first);
  ASSERT_TRUE(keys().finish("s", "k", "old").ok());
  std::this_thread::sleep_for(5100ms);
  ASSERT_EQ(keys().begin("s", "k", 2).claim, Claim::first);
  ASSERT_TRUE(keys().finish("s", "k", "new").ok());
  open();
  IdempotencyKeys::Begin again = keys().begin("s", "k", 2);
  EXPECT_EQ(again.claim, Claim::done);
  EXPECT_EQ(again.answer, "new");
}

}  // namespace
}  // namespace sluice
