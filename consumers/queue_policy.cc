#include "consumers/queue_policy.h"

#include <cmath>
#include <string>

namespace sluice::consumers {
namespace {

Error invalid(std::string_view where, const std::string& what) {
  return Error(Errc::invalid_argument, std::string(where) + ": " + what);
}

}  // namespace

Result<void> validate_retry_backoff(const RetryBackoff& retry, std::string_view where) {
  const int64_t initial = retry.initial.count();
  const int64_t maximum = retry.maximum.count();
  if (initial < 0 || initial > kQueueRetryMsMax) {
    return invalid(where, "retry.initial is " + std::to_string(initial) + " ms (0 to 24 h)");
  }
  if (maximum < initial || maximum > kQueueRetryMsMax) {
    return invalid(where,
                   "retry.maximum is " + std::to_string(maximum) + " ms (retry.initial to 24 h)");
  }
  if (!std::isfinite(retry.multiplier) || retry.multiplier < 1.0 ||
      retry.multiplier > kQueueRetryMultiplierMax) {
    return invalid(where,
                   "retry.multiplier is " + std::to_string(retry.multiplier) + " (1 to 1000)");
  }
  if (!std::isfinite(retry.jitter) || retry.jitter < 0.0 || retry.jitter > 1.0) {
    return invalid(where, "retry.jitter is " + std::to_string(retry.jitter) + " (0 to 1)");
  }
  return {};
}

Result<void> validate_queue_policy(const QueuePolicy& policy, std::string_view where) {
  return validate_queue_settings(settings_from_policy(policy), where);
}

Result<void> validate_queue_settings(const QueueSettings& s, std::string_view where) {
  if (s.max_deliveries < 1 || s.max_deliveries > kQueueMaxDeliveriesMax) {
    return invalid(where, "max_deliveries is " + std::to_string(s.max_deliveries) + " (1 to 1000)");
  }
  if (s.lock_ms < 1 || s.lock_ms > kQueueLockMsMax) {
    return invalid(where, "lock_duration is " + std::to_string(s.lock_ms) + " ms (1 ms to 12 h)");
  }
  if (s.max_in_flight < 1 || s.max_in_flight > kQueueMaxInFlightMax) {
    return invalid(where,
                   "max_in_flight is " + std::to_string(s.max_in_flight) + " (1 to 10000000)");
  }
  return validate_retry_backoff(s.retry, where);
}

QueueSettings settings_from_policy(const QueuePolicy& policy) {
  QueueSettings s;
  s.max_deliveries = policy.max_deliveries;
  s.retry = policy.retry;
  s.lock_ms = policy.lock_duration.count();
  return s;
}

}  // namespace sluice::consumers
