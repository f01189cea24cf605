#include "server/kafka/describe_groups.h"

#include "server/kafka/api_keys.h"
#include "server/kafka/field_reader.h"
#include "server/kafka/opaque_bytes.h"

namespace sluice::server::kafka {

namespace {

// Every DescribeGroups version sluiced advertises comes before its flexible versions (api_keys.cc).
constexpr bool kFlexible = false;

}  // namespace

Result<DescribeGroupsRequest> decode_describe_groups_request(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(ApiKey::describe_groups, version, "request"));
  FieldReader f(in, kFlexible);
  DescribeGroupsRequest request;
  int32_t count = f.array("groups", 2);
  request.groups.reserve(static_cast<size_t>(count));
  for (int32_t i = 0; i < count && f.ok(); ++i)
    request.groups.push_back(f.string("groups[]"));
  if (version >= 3) {
    request.include_authorized_operations = f.boolean("include_authorized_operations");
  }
  SLUICE_TRY(f.finish(ApiKey::describe_groups, version, "request"));
  return request;
}

void encode_describe_groups_request(Writer& out, const DescribeGroupsRequest& request,
                                    int16_t version) {
  assert_version(ApiKey::describe_groups, version);
  write_array_length(out, request.groups.size(), kFlexible);
  for (std::string_view group : request.groups)
    out.string(group);
  if (version >= 3) out.boolean(request.include_authorized_operations);
}

namespace {

void write_member(Writer& out, const DescribedGroupMember& member, int16_t version) {
  out.string(member.member_id);
  if (version >= 4) out.nullable_string(as_view(member.group_instance_id));
  out.string(member.client_id);
  out.string(member.client_host);
  out.bytes(as_byte_span(member.member_metadata));
  out.bytes(as_byte_span(member.member_assignment));
}

void read_members(FieldReader& f, int16_t version, std::vector<DescribedGroupMember>* out) {
  // member_id, [group_instance_id], client_id, client_host (int16 lengths), then the metadata
  // and the assignment (int32 lengths).
  size_t min_bytes = 2 + (version >= 4 ? 2 : 0) + 2 + 2 + 4 + 4;
  int32_t count = f.array("groups[].members", min_bytes);
  out->reserve(static_cast<size_t>(count));
  for (int32_t i = 0; i < count && f.ok(); ++i) {
    DescribedGroupMember& member = out->emplace_back();
    member.member_id = f.string("groups[].members[].member_id");
    if (version >= 4) {
      member.group_instance_id =
          to_owned(f.nullable_string("groups[].members[].group_instance_id"));
    }
    member.client_id = f.string("groups[].members[].client_id");
    member.client_host = f.string("groups[].members[].client_host");
    member.member_metadata = to_byte_string(f.bytes("groups[].members[].member_metadata"));
    member.member_assignment = to_byte_string(f.bytes("groups[].members[].member_assignment"));
  }
}

}  // namespace

void encode_describe_groups_response(Writer& out, const DescribeGroupsResponse& response,
                                     int16_t version) {
  assert_version(ApiKey::describe_groups, version);
  if (version >= 1) out.int32(response.throttle_time_ms);
  write_array_length(out, response.groups.size(), kFlexible);
  for (const DescribedGroup& group : response.groups) {
    out.int16(code(group.error));
    out.string(group.group_id);
    out.string(group.group_state);
    out.string(group.protocol_type);
    out.string(group.protocol_data);
    write_array_length(out, group.members.size(), kFlexible);
    for (const DescribedGroupMember& member : group.members)
      write_member(out, member, version);
    if (version >= 3) out.int32(group.authorized_operations);
  }
}

Result<DescribeGroupsResponse> decode_describe_groups_response(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(ApiKey::describe_groups, version, "response"));
  FieldReader f(in, kFlexible);
  DescribeGroupsResponse response;
  if (version >= 1) response.throttle_time_ms = f.int32("throttle_time_ms");
  // Each group: error_code, four int16-length strings, members, [authorized_operations].
  int32_t count = f.array("groups", 2 + 4 * 2 + 4 + (version >= 3 ? 4 : 0));
  response.groups.reserve(static_cast<size_t>(count));
  for (int32_t i = 0; i < count && f.ok(); ++i) {
    DescribedGroup& group = response.groups.emplace_back();
    group.error = static_cast<ErrorCode>(f.int16("groups[].error_code"));
    group.group_id = f.string("groups[].group_id");
    group.group_state = f.string("groups[].group_state");
    group.protocol_type = f.string("groups[].protocol_type");
    group.protocol_data = f.string("groups[].protocol_data");
    read_members(f, version, &group.members);
    if (version >= 3) group.authorized_operations = f.int32("groups[].authorized_operations");
  }
  SLUICE_TRY(f.finish(ApiKey::describe_groups, version, "response"));
  return response;
}

}  // namespace sluice::server::kafka
