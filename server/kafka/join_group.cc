#include "server/kafka/join_group.h"

#include "server/kafka/api_keys.h"
#include "server/kafka/field_reader.h"
#include "server/kafka/opaque_bytes.h"

namespace sluice::server::kafka {

namespace {

// Every JoinGroup version sluiced advertises comes before its flexible versions (api_keys.cc).
constexpr bool kFlexible = false;

}  // namespace

Result<JoinGroupRequest> decode_join_group_request(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(ApiKey::join_group, version, "request"));
  FieldReader f(in, kFlexible);
  JoinGroupRequest request;
  request.group_id = f.string("group_id");
  request.session_timeout_ms = f.int32("session_timeout_ms");
  if (version >= 1) request.rebalance_timeout_ms = f.int32("rebalance_timeout_ms");
  request.member_id = f.string("member_id");
  if (version >= 5) request.group_instance_id = f.nullable_string("group_instance_id");
  request.protocol_type = f.string("protocol_type");
  // Each protocol: a name (int16 length) and metadata (int32 length): 6 bytes at least.
  int32_t count = f.array("protocols", 6);
  request.protocols.reserve(static_cast<size_t>(count));
  for (int32_t i = 0; i < count && f.ok(); ++i) {
    JoinGroupProtocol& protocol = request.protocols.emplace_back();
    protocol.name = f.string("protocols[].name");
    protocol.metadata = f.bytes("protocols[].metadata");
  }
  SLUICE_TRY(f.finish(ApiKey::join_group, version, "request"));
  return request;
}

void encode_join_group_request(Writer& out, const JoinGroupRequest& request, int16_t version) {
  assert_version(ApiKey::join_group, version);
  out.string(request.group_id);
  out.int32(request.session_timeout_ms);
  if (version >= 1) out.int32(request.rebalance_timeout_ms);
  out.string(request.member_id);
  if (version >= 5) out.nullable_string(request.group_instance_id);
  out.string(request.protocol_type);
  write_array_length(out, request.protocols.size(), kFlexible);
  for (const JoinGroupProtocol& protocol : request.protocols) {
    out.string(protocol.name);
    out.bytes(protocol.metadata);
  }
}

void encode_join_group_response(Writer& out, const JoinGroupResponse& response, int16_t version) {
  assert_version(ApiKey::join_group, version);
  if (version >= 2) out.int32(response.throttle_time_ms);
  out.int16(code(response.error));
  out.int32(response.generation_id);
  out.string(response.protocol_name);
  out.string(response.leader);
  out.string(response.member_id);
  write_array_length(out, response.members.size(), kFlexible);
  for (const JoinGroupMember& member : response.members) {
    out.string(member.member_id);
    if (version >= 5) out.nullable_string(as_view(member.group_instance_id));
    out.bytes(as_byte_span(member.metadata));
  }
}

Result<JoinGroupResponse> decode_join_group_response(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(ApiKey::join_group, version, "response"));
  FieldReader f(in, kFlexible);
  JoinGroupResponse response;
  if (version >= 2) response.throttle_time_ms = f.int32("throttle_time_ms");
  response.error = static_cast<ErrorCode>(f.int16("error_code"));
  response.generation_id = f.int32("generation_id");
  response.protocol_name = f.string("protocol_name");
  response.leader = f.string("leader");
  response.member_id = f.string("member_id");
  // Each member: member_id, [group_instance_id], metadata.
  int32_t count = f.array("members", version >= 5 ? 8 : 6);
  response.members.reserve(static_cast<size_t>(count));
  for (int32_t i = 0; i < count && f.ok(); ++i) {
    JoinGroupMember& member = response.members.emplace_back();
    member.member_id = f.string("members[].member_id");
    if (version >= 5) {
      member.group_instance_id = to_owned(f.nullable_string("members[].group_instance_id"));
    }
    member.metadata = to_byte_string(f.bytes("members[].metadata"));
  }
  SLUICE_TRY(f.finish(ApiKey::join_group, version, "response"));
  return response;
}

}  // namespace sluice::server::kafka
