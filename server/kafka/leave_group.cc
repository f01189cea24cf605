#include "server/kafka/leave_group.h"

#include "io/assert.h"
#include "server/kafka/api_keys.h"
#include "server/kafka/field_reader.h"

namespace sluice::server::kafka {

namespace {

// Every LeaveGroup version sluiced advertises comes before its flexible versions (api_keys.cc).
constexpr bool kFlexible = false;

}  // namespace

Result<LeaveGroupRequest> decode_leave_group_request(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(ApiKey::leave_group, version, "request"));
  FieldReader f(in, kFlexible);
  LeaveGroupRequest request;
  request.group_id = f.string("group_id");
  if (version < 3) {
    request.members.push_back({f.string("member_id"), std::nullopt});
  } else {
    // Each member: member_id and group_instance_id, both int16-length strings.
    int32_t count = f.array("members", 4);
    request.members.reserve(static_cast<size_t>(count));
    for (int32_t i = 0; i < count && f.ok(); ++i) {
      LeaveGroupMember& member = request.members.emplace_back();
      member.member_id = f.string("members[].member_id");
      member.group_instance_id = f.nullable_string("members[].group_instance_id");
    }
  }
  SLUICE_TRY(f.finish(ApiKey::leave_group, version, "request"));
  return request;
}

void encode_leave_group_request(Writer& out, const LeaveGroupRequest& request, int16_t version) {
  assert_version(ApiKey::leave_group, version);
  out.string(request.group_id);
  if (version < 3) {
    SLUICE_ASSERT_MSG(request.members.size() == 1, "LeaveGroup v0-2 names exactly one member");
    out.string(request.members.front().member_id);
    return;
  }
  write_array_length(out, request.members.size(), kFlexible);
  for (const LeaveGroupMember& member : request.members) {
    out.string(member.member_id);
    out.nullable_string(member.group_instance_id);
  }
}

void encode_leave_group_response(Writer& out, const LeaveGroupResponse& response, int16_t version) {
  assert_version(ApiKey::leave_group, version);
  if (version >= 1) out.int32(response.throttle_time_ms);
  out.int16(code(response.error));
  if (version < 3) return;
  write_array_length(out, response.members.size(), kFlexible);
  for (const LeaveGroupMemberResponse& member : response.members) {
    out.string(member.member_id);
    out.nullable_string(as_view(member.group_instance_id));
    out.int16(code(member.error));
  }
}

Result<LeaveGroupResponse> decode_leave_group_response(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(ApiKey::leave_group, version, "response"));
  FieldReader f(in, kFlexible);
  LeaveGroupResponse response;
  if (version >= 1) response.throttle_time_ms = f.int32("throttle_time_ms");
  response.error = static_cast<ErrorCode>(f.int16("error_code"));
  if (version >= 3) {
    // Each member: member_id, group_instance_id, error_code.
    int32_t count = f.array("members", 6);
    response.members.reserve(static_cast<size_t>(count));
    for (int32_t i = 0; i < count && f.ok(); ++i) {
      LeaveGroupMemberResponse& member = response.members.emplace_back();
      member.member_id = f.string("members[].member_id");
      member.group_instance_id = to_owned(f.nullable_string("members[].group_instance_id"));
      member.error = static_cast<ErrorCode>(f.int16("members[].error_code"));
    }
  }
  SLUICE_TRY(f.finish(ApiKey::leave_group, version, "response"));
  return response;
}

}  // namespace sluice::server::kafka
