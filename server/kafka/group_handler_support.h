// What the Kafka group handlers (handle_groups.cc, handle_join_sync.cc, handle_offsets.cc)
// share: the Kafka code of each group coordinator error, the client host a member shows in
// DescribeGroups, and the pacing of a deferred JoinGroup or SyncGroup.
//
// Thread-safety: pure functions and constants.
#pragma once

#include "consumers/group_error.h"
#include "server/kafka/error_code.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::server::kafka {

// A JoinGroup or SyncGroup that waits for the group asks the coordinator again at most this
// often. The session polls a waiting reply every millisecond or so; each coordinator call takes
// its mutex and runs the group's housekeeping (a walk over the members), so a group of many
// waiting members would otherwise keep the coordinator busy. 5 ms is small against a
// rebalance, which waits for every member's next join.
inline constexpr int64_t kGroupPollIntervalMs = 5;

// The Kafka error a group coordinator error mirrors (consumers/group_error.h names each one);
// none for GroupError::none.
ErrorCode group_error_code(consumers::GroupError error);

// The client host a member shows in DescribeGroups, in the form Kafka tools print: "/" and the
// peer's address without its port ("127.0.0.1:5000" -> "/127.0.0.1", "[::1]:5000" -> "/::1").
// An address it cannot parse is kept whole after the "/".
std::string kafka_client_host(std::string_view peer);

}  // namespace sluice::server::kafka
