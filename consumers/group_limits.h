// The bounds a GroupCoordinator puts on what members may ask for, and the check of a join
// request against them (before any state changes).
//
// Thread-safety: plain values and pure functions.
#pragma once

#include "consumers/group_error.h"
#include "consumers/group_types.h"

#include <cstddef>
#include <cstdint>

namespace sluice::consumers {

struct GroupLimits {
  // Kafka's brokers default to [6 s, 30 min]; sluice accepts shorter sessions, which embedded
  // consumers and tests use.
  int64_t session_timeout_ms_min = 1;
  int64_t session_timeout_ms_max = 30 * 60 * 1000;
  int64_t rebalance_timeout_ms_max = 30 * 60 * 1000;
  uint32_t members_per_group_max = 1000;  // Kafka's group.max.size is unbounded by default
  // Groups held at once. At the bound, a join to a new group first forgets the empty groups
  // (they hold nothing but a generation); when every group has members it is refused.
  uint32_t groups_max = 100000;
  uint32_t topics_per_member_max = 1000;
  size_t client_id_bytes_max = 255;
  size_t protocol_metadata_bytes_max = 64 * 1024;
};

// invalid_group_id, invalid_session_timeout or invalid_argument (empty or invalid topics, a
// rebalance timeout outside [1, max], a client id or protocol metadata too long).
GroupResult<void> check_join_request(const JoinRequest& request, const GroupLimits& limits);

}  // namespace sluice::consumers
