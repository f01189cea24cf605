// DescribeGroups (key 15, v0-4): the state, protocol and members of named groups (for admin
// tools: kafka-consumer-groups --describe, kcat -L's group listing, admin clients).
//
// v1+: the response's throttle_time_ms. v3+: include_authorized_operations in the request and
// authorized_operations per group in the response. v4+: each member's group_instance_id.
// A member's metadata and assignment are the opaque bytes its protocol uses; for protocol type
// "consumer" consumer_protocol.h decodes them.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include "server/kafka/error_code.h"
#include "server/kafka/wire.h"

#include <sluice/result.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::server::kafka {

struct DescribeGroupsRequest {
  std::vector<std::string_view> groups;
  bool include_authorized_operations = false;  // v3+
};

// authorized_operations when they were not asked for or are unknown.
inline constexpr int32_t kAuthorizedOperationsOmitted = std::numeric_limits<int32_t>::min();

struct DescribedGroupMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;  // v4+
  std::string client_id;
  std::string client_host;
  std::string member_metadata;    // opaque bytes (the subscription, for "consumer")
  std::string member_assignment;  // opaque bytes (the assignment, for "consumer")

  bool operator==(const DescribedGroupMember&) const = default;
};

struct DescribedGroup {
  ErrorCode error = ErrorCode::none;
  std::string group_id;
  std::string group_state;    // "Stable", "PreparingRebalance", "Empty", "Dead", ...
  std::string protocol_type;  // "consumer", or empty
  std::string protocol_data;  // the chosen protocol ("range"), or empty
  std::vector<DescribedGroupMember> members;
  int32_t authorized_operations = kAuthorizedOperationsOmitted;  // v3+; a bit field

  bool operator==(const DescribedGroup&) const = default;
};

struct DescribeGroupsResponse {
  int32_t throttle_time_ms = 0;  // v1+
  std::vector<DescribedGroup> groups;

  bool operator==(const DescribeGroupsResponse&) const = default;
};

Result<DescribeGroupsRequest> decode_describe_groups_request(Reader& in, int16_t version);
void encode_describe_groups_request(Writer& out, const DescribeGroupsRequest& request,
                                    int16_t version);
void encode_describe_groups_response(Writer& out, const DescribeGroupsResponse& response,
                                     int16_t version);
Result<DescribeGroupsResponse> decode_describe_groups_response(Reader& in, int16_t version);

}  // namespace sluice::server::kafka
