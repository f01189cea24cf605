// Retry backoff (exponential, capped, with jitter from an injected draw), lock tokens and the
// range checks of queue settings.
#include "consumers/lock_token.h"
#include "consumers/queue_policy.h"
#include "consumers/retry_backoff.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace sluice::consumers {
namespace {

using namespace std::chrono_literals;

RetryBackoff backoff(int64_t initial, double multiplier, int64_t maximum, double jitter) {
  RetryBackoff b;
  b.initial = std::chrono::milliseconds(initial);
  b.multiplier = multiplier;
  b.maximum = std::chrono::milliseconds(maximum);
  b.jitter = jitter;
  return b;
}

TEST(RetryBackoffTest, GrowsByTheMultiplierUntilTheMaximumWithoutJitter) {
  const RetryBackoff b = backoff(100, 2.0, 1000, 0.0);
  EXPECT_EQ(backoff_delay_ms(b, 1, 0.5), 100);
  EXPECT_EQ(backoff_delay_ms(b, 2, 0.5), 200);
  EXPECT_EQ(backoff_delay_ms(b, 3, 0.5), 400);
  EXPECT_EQ(backoff_delay_ms(b, 4, 0.5), 800);
  EXPECT_EQ(backoff_delay_ms(b, 5, 0.5), 1000);
  EXPECT_EQ(backoff_delay_ms(b, 1000, 0.5), 1000);  // multiplier^999 overflows, then caps
}

TEST(RetryBackoffTest, JitterSpreadsAroundTheBaseByTheDraw) {
  const RetryBackoff b = backoff(1000, 1.0, 1000, 0.2);
  EXPECT_EQ(backoff_delay_ms(b, 1, 0.0), 800);   // 1 - jitter
  EXPECT_EQ(backoff_delay_ms(b, 1, 0.5), 1000);  // no change
  EXPECT_EQ(backoff_delay_ms(b, 1, 0.75), 1100);
  EXPECT_LE(backoff_delay_ms(b, 1, 0.999999), 1200);  // up to 1 + jitter, even at the maximum
  EXPECT_GT(backoff_delay_ms(b, 1, 0.999999), 1199);
}

TEST(RetryBackoffTest, SeededDrawsStayInsideTheJitterBand) {
  const RetryBackoff b = backoff(50, 3.0, 10000, 0.5);
  SplitMix64 random(42);
  for (uint32_t retry = 1; retry <= 12; ++retry) {
    const double base = std::min(10000.0, 50.0 * std::pow(3.0, retry - 1));
    for (int i = 0; i < 200; ++i) {
      const int64_t delay = backoff_delay_ms(b, retry, random.unit());
      EXPECT_GE(delay, static_cast<int64_t>(base * 0.5) - 1);
      EXPECT_LE(delay, static_cast<int64_t>(base * 1.5) + 1);
    }
  }
}

TEST(RetryBackoffTest, UnitDrawsAreInRangeAndVary) {
  SplitMix64 random(7);
  std::set<uint64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    const double u = random.unit();
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
    seen.insert(random.next());
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(LockTokenTest, RoundTripsAndRefusesAnythingElse) {
  for (uint64_t token :
       {uint64_t{0}, uint64_t{1}, uint64_t{31}, uint64_t{0x123456789abcdefull}, UINT64_MAX}) {
    const std::string text = lock_token_text(token);
    EXPECT_EQ(text.size(), kLockTokenChars);
    ASSERT_TRUE(parse_lock_token(text).has_value()) << text;
    EXPECT_EQ(*parse_lock_token(text), token);
  }
  EXPECT_EQ(lock_token_text(UINT64_MAX), "fzzzzzzzzzzzz");
  EXPECT_FALSE(parse_lock_token("").has_value());
  EXPECT_FALSE(parse_lock_token("000000000000").has_value());    // 12 characters
  EXPECT_FALSE(parse_lock_token("0000000000000a").has_value());  // 14
  EXPECT_FALSE(parse_lock_token("000000000000i").has_value());   // not in the alphabet
  EXPECT_FALSE(parse_lock_token("000000000000A").has_value());   // upper case
  EXPECT_FALSE(parse_lock_token("g000000000000").has_value());   // above 64 bits
}

TEST(QueuePolicyTest, RangesAreCheckedWithTheFieldNamed) {
  QueuePolicy policy;
  EXPECT_TRUE(validate_queue_policy(policy, "topic t").ok());
  auto expect_bad = [](const QueuePolicy& p, const std::string& field) {
    Result<void> checked = validate_queue_policy(p, "topic t");
    ASSERT_FALSE(checked.ok()) << field;
    EXPECT_EQ(checked.code(), Errc::invalid_argument);
    EXPECT_NE(checked.error().message().find(field), std::string::npos)
        << checked.error().message();
    EXPECT_NE(checked.error().message().find("topic t"), std::string::npos);
  };
  QueuePolicy p = policy;
  p.max_deliveries = 0;
  expect_bad(p, "max_deliveries");
  p = policy;
  p.max_deliveries = 1001;
  expect_bad(p, "max_deliveries");
  p = policy;
  p.lock_duration = 0ms;
  expect_bad(p, "lock_duration");
  p = policy;
  p.lock_duration = std::chrono::hours(13);
  expect_bad(p, "lock_duration");
  p = policy;
  p.retry.multiplier = 0.5;
  expect_bad(p, "retry.multiplier");
  p = policy;
  p.retry.jitter = 1.5;
  expect_bad(p, "retry.jitter");
  p = policy;
  p.retry.initial = 5000ms;
  p.retry.maximum = 1000ms;
  expect_bad(p, "retry.maximum");
  p = policy;
  p.retry.initial = -1ms;
  expect_bad(p, "retry.initial");

  QueueSettings s = settings_from_policy(policy);
  EXPECT_EQ(s.max_deliveries, 10u);
  EXPECT_EQ(s.lock_ms, 30000);
  s.max_in_flight = 0;
  EXPECT_FALSE(validate_queue_settings(s, "queue").ok());
}

}  // namespace
}  // namespace sluice::consumers
