// QueueSettings: the settings one group applies when it reads a topic as a queue
// (include/sluice/queue.h), and the checks of their ranges.
//
// Settings are resolved once per Queue handle, in order: the handle's QueueOptions, the topic's
// TopicConfig::queue, QueuePolicy's defaults. A nack's own retry delay comes on top.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <sluice/result.h>
#include <sluice/topic.h>

#include <cstdint>
#include <string_view>

namespace sluice::consumers {

inline constexpr uint32_t kQueueMaxDeliveriesMax = 1000;
inline constexpr int64_t kQueueLockMsMax = 12ll * 3600 * 1000;
inline constexpr int64_t kQueueRetryMsMax = 24ll * 3600 * 1000;
inline constexpr double kQueueRetryMultiplierMax = 1000.0;
inline constexpr uint32_t kQueueMaxInFlightMax = 10'000'000;
// A nack's reason is kept with the event and written to a DLQ header: bounded.
inline constexpr size_t kQueueReasonBytesMax = 4096;

struct QueueSettings {
  uint32_t max_deliveries = 10;
  RetryBackoff retry;
  int64_t lock_ms = 30000;
  bool key_order = false;
  uint32_t max_in_flight = 100000;
  friend bool operator==(const QueueSettings&, const QueueSettings&) = default;
};

// invalid_argument naming `where` and the field: initial and maximum 0 to 24 h with
// initial <= maximum, multiplier 1 to 1000, jitter 0 to 1.
Result<void> validate_retry_backoff(const RetryBackoff& retry, std::string_view where);
// The ranges of include/sluice/topic.h: max_deliveries 1 to 1000, lock_duration 1 ms to 12 h,
// and the retry's.
Result<void> validate_queue_policy(const QueuePolicy& policy, std::string_view where);
// The same for resolved settings, with max_in_flight 1 to 10 million.
Result<void> validate_queue_settings(const QueueSettings& settings, std::string_view where);

// The topic's policy as settings (key_order and max_in_flight at their defaults).
QueueSettings settings_from_policy(const QueuePolicy& policy);

}  // namespace sluice::consumers
