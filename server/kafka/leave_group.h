// LeaveGroup (key 13, v0-3): members leave a group at once instead of waiting out their
// session timeout.
//
// v0-2 name one member (member_id); v3 names a list of members, each by member id and/or
// group instance id, and the response answers each. The request is decoded into the list form
// at every version (one member for v0-2), so the caller handles a single shape.
// v1+: the response's throttle_time_ms.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include "server/kafka/error_code.h"
#include "server/kafka/wire.h"

#include <sluice/result.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::server::kafka {

struct LeaveGroupMember {
  std::string_view member_id;
  std::optional<std::string_view> group_instance_id;  // v3+
};

struct LeaveGroupRequest {
  std::string_view group_id;
  // v0-2: exactly one member, without an instance id (encoding other counts is a bug).
  std::vector<LeaveGroupMember> members;
};

struct LeaveGroupMemberResponse {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  ErrorCode error = ErrorCode::none;

  bool operator==(const LeaveGroupMemberResponse&) const = default;
};

struct LeaveGroupResponse {
  int32_t throttle_time_ms = 0;  // v1+
  ErrorCode error = ErrorCode::none;
  std::vector<LeaveGroupMemberResponse> members;  // v3+: one per member of the request

  bool operator==(const LeaveGroupResponse&) const = default;
};

Result<LeaveGroupRequest> decode_leave_group_request(Reader& in, int16_t version);
void encode_leave_group_request(Writer& out, const LeaveGroupRequest& request, int16_t version);
void encode_leave_group_response(Writer& out, const LeaveGroupResponse& response, int16_t version);
Result<LeaveGroupResponse> decode_leave_group_response(Reader& in, int16_t version);

}  // namespace sluice::server::kafka
