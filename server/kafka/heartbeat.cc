#include "server/kafka/heartbeat.h"

#include "server/kafka/api_keys.h"
#include "server/kafka/field_reader.h"

namespace sluice::server::kafka {

namespace {

// Every Heartbeat version sluiced advertises comes before its flexible versions (api_keys.cc).
constexpr bool kFlexible = false;

}  // namespace

Result<HeartbeatRequest> decode_heartbeat_request(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(ApiKey::heartbeat, version, "request"));
  FieldReader f(in, kFlexible);
  HeartbeatRequest request;
  request.group_id = f.string("group_id");
  request.generation_id = f.int32("generation_id");
  request.member_id = f.string("member_id");
  if (version >= 3) request.group_instance_id = f.nullable_string("group_instance_id");
  SLUICE_TRY(f.finish(ApiKey::heartbeat, version, "request"));
  return request;
}

void encode_heartbeat_request(Writer& out, const HeartbeatRequest& request, int16_t version) {
  assert_version(ApiKey::heartbeat, version);
  out.string(request.group_id);
  out.int32(request.generation_id);
  out.string(request.member_id);
  if (version >= 3) out.nullable_string(request.group_instance_id);
}

void encode_heartbeat_response(Writer& out, const HeartbeatResponse& response, int16_t version) {
  assert_version(ApiKey::heartbeat, version);
  if (version >= 1) out.int32(response.throttle_time_ms);
  out.int16(code(response.error));
}

Result<HeartbeatResponse> decode_heartbeat_response(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(ApiKey::heartbeat, version, "response"));
  FieldReader f(in, kFlexible);
  HeartbeatResponse response;
  if (version >= 1) response.throttle_time_ms = f.int32("throttle_time_ms");
  response.error = static_cast<ErrorCode>(f.int16("error_code"));
  SLUICE_TRY(f.finish(ApiKey::heartbeat, version, "response"));
  return response;
}

}  // namespace sluice::server::kafka
