// The consumer protocol's embedded formats: what Kafka consumers (protocol type "consumer")
// put in JoinGroup's protocol metadata (a subscription) and in SyncGroup's assignments (an
// assignment). The broker passes both through untouched; it decodes them only to show a
// group's subscriptions and assignments (DescribeGroups, the HTTP group state).
//
// Both start with an int16 version and use the classic encoding at every version.
// Subscription: topics; user_data (nullable bytes); v1+ owned_partitions; v2+ generation_id;
// v3+ rack_id. Assignment: assigned_partitions; user_data (v1-3 add nothing on the wire).
// A version newer than the ones known here is decoded as the newest known one, and the bytes
// after its fields are ignored: the format only ever appends fields. Empty bytes (a member
// with nothing assigned yet, a group that is not stable) decode as an empty value.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include "server/kafka/wire.h"

#include <sluice/result.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace sluice::server::kafka {

inline constexpr int16_t kConsumerSubscriptionMaxVersion = 3;
inline constexpr int16_t kConsumerAssignmentMaxVersion = 3;

struct ConsumerTopicPartitions {
  std::string topic;
  std::vector<int32_t> partitions;

  bool operator==(const ConsumerTopicPartitions&) const = default;
};

struct ConsumerSubscription {
  int16_t version = 0;  // as received (may be newer than kConsumerSubscriptionMaxVersion)
  std::vector<std::string> topics;
  std::optional<std::string> user_data;                   // opaque bytes, assignor-specific
  std::vector<ConsumerTopicPartitions> owned_partitions;  // v1+ (cooperative rebalancing)
  int32_t generation_id = -1;                             // v2+
  std::optional<std::string> rack_id;                     // v3+

  bool operator==(const ConsumerSubscription&) const = default;
};

struct ConsumerAssignment {
  int16_t version = 0;  // as received (may be newer than kConsumerAssignmentMaxVersion)
  std::vector<ConsumerTopicPartitions> assigned_partitions;
  std::optional<std::string> user_data;  // opaque bytes, assignor-specific

  bool operator==(const ConsumerAssignment&) const = default;
};

// invalid_argument for a negative version, truncated or malformed fields, or trailing bytes in
// a version known here.
Result<ConsumerSubscription> decode_consumer_subscription(std::span<const std::byte> data);
Result<ConsumerAssignment> decode_consumer_assignment(std::span<const std::byte> data);
// Write at the value's version, which must be a known one (0 to the max above).
void encode_consumer_subscription(Writer& out, const ConsumerSubscription& subscription);
void encode_consumer_assignment(Writer& out, const ConsumerAssignment& assignment);

}  // namespace sluice::server::kafka
