// The bounds a GroupCoordinator puts on what members may ask for, and the checks of join and
// sync requests against them (before any state changes).
//
// Thread-safety: plain values and pure functions.
#pragma once

#include "consumers/group_error.h"
#include "consumers/group_types.h"
#include "consumers/kafka_group_types.h"

#include <cstddef>
#include <cstdint>

namespace sluice::consumers {

struct GroupLimits {
  // Kafka's brokers default to [6 s, 30 min]; sluice accepts shorter sessions, which embedded
  // consumers and tests use.
  int64_t session_timeout_ms_min = 1;
  int64_t session_timeout_ms_max = 30 * 60 * 1000;
  int64_t rebalance_timeout_ms_max = 30 * 60 * 1000;
  // Members of a group, counting the member ids handed out with member_id_required that have
  // not joined yet (Kafka's group.max.size is unbounded by default).
  uint32_t members_per_group_max = 1000;
  // Groups held at once. At the bound, a join to a new group first forgets the empty groups
  // (they hold nothing but a generation); when every group has members it is refused.
  uint32_t groups_max = 100000;
  uint32_t topics_per_member_max = 1000;
  size_t client_id_bytes_max = 255;
  // Native: the one protocol_metadata. Kafka: the sum of a member's protocols' metadata (clients
  // send the subscription once per protocol).
  size_t protocol_metadata_bytes_max = 1024 * 1024;
  // Kafka mode.
  size_t client_host_bytes_max = 255;
  size_t member_id_bytes_max = 255;  // a longer one cannot be ours
  size_t group_instance_id_bytes_max = 255;
  size_t protocol_name_bytes_max = 255;  // protocol type and protocol names
  uint32_t protocols_per_member_max = 16;
  size_t assignment_bytes_max = 1024 * 1024;  // the leader's bytes for one member
};

// invalid_group_id, invalid_session_timeout or invalid_argument (empty or invalid topics, a
// rebalance timeout outside [1, max], a client id or protocol metadata too long).
GroupResult<void> check_join_request(const JoinRequest& request, const GroupLimits& limits);
// invalid_group_id, invalid_session_timeout, inconsistent_protocol (no protocol type or no
// protocols, as Kafka answers) or invalid_argument (a rebalance timeout outside [1, max], a
// field too long, too many protocols, a protocol name empty or repeated, metadata too long).
GroupResult<void> check_join_request(const KafkaJoinRequest& request, const GroupLimits& limits);
// invalid_group_id or invalid_argument (more assignments than members_per_group_max, one
// longer than assignment_bytes_max, a member named twice, a field too long).
GroupResult<void> check_sync_request(const SyncRequest& request, const GroupLimits& limits);

}  // namespace sluice::consumers
