#include "server/kafka/sync_group.h"

#include "server/kafka/api_keys.h"
#include "server/kafka/field_reader.h"
#include "server/kafka/opaque_bytes.h"

namespace sluice::server::kafka {

namespace {

// Every SyncGroup version sluiced advertises comes before its flexible versions (api_keys.cc).
constexpr bool kFlexible = false;

}  // namespace

Result<SyncGroupRequest> decode_sync_group_request(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(ApiKey::sync_group, version, "request"));
  FieldReader f(in, kFlexible);
  SyncGroupRequest request;
  request.group_id = f.string("group_id");
  request.generation_id = f.int32("generation_id");
  request.member_id = f.string("member_id");
  if (version >= 3) request.group_instance_id = f.nullable_string("group_instance_id");
  // Each assignment: member_id (int16 length) and assignment (int32 length).
  int32_t count = f.array("assignments", 6);
  request.assignments.reserve(static_cast<size_t>(count));
  for (int32_t i = 0; i < count && f.ok(); ++i) {
    SyncGroupAssignment& assignment = request.assignments.emplace_back();
    assignment.member_id = f.string("assignments[].member_id");
    assignment.assignment = f.bytes("assignments[].assignment");
  }
  SLUICE_TRY(f.finish(ApiKey::sync_group, version, "request"));
  return request;
}

void encode_sync_group_request(Writer& out, const SyncGroupRequest& request, int16_t version) {
  assert_version(ApiKey::sync_group, version);
  out.string(request.group_id);
  out.int32(request.generation_id);
  out.string(request.member_id);
  if (version >= 3) out.nullable_string(request.group_instance_id);
  write_array_length(out, request.assignments.size(), kFlexible);
  for (const SyncGroupAssignment& assignment : request.assignments) {
    out.string(assignment.member_id);
    out.bytes(assignment.assignment);
  }
}

void encode_sync_group_response(Writer& out, const SyncGroupResponse& response, int16_t version) {
  assert_version(ApiKey::sync_group, version);
  if (version >= 1) out.int32(response.throttle_time_ms);
  out.int16(code(response.error));
  out.bytes(as_byte_span(response.assignment));
}

Result<SyncGroupResponse> decode_sync_group_response(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(ApiKey::sync_group, version, "response"));
  FieldReader f(in, kFlexible);
  SyncGroupResponse response;
  if (version >= 1) response.throttle_time_ms = f.int32("throttle_time_ms");
  response.error = static_cast<ErrorCode>(f.int16("error_code"));
  response.assignment = to_byte_string(f.bytes("assignment"));
  SLUICE_TRY(f.finish(ApiKey::sync_group, version, "response"));
  return response;
}

}  // namespace sluice::server::kafka
