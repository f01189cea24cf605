#include "server/kafka/find_coordinator.h"

#include "server/kafka/api_keys.h"
#include "server/kafka/field_reader.h"

namespace sluice::server::kafka {

namespace {

// Every FindCoordinator version sluiced advertises comes before its flexible versions
// (api_keys.cc).
constexpr bool kFlexible = false;

}  // namespace

Result<FindCoordinatorRequest> decode_find_coordinator_request(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(ApiKey::find_coordinator, version, "request"));
  FieldReader f(in, kFlexible);
  FindCoordinatorRequest request;
  request.key = f.string("key");
  if (version >= 1) request.key_type = f.int8("key_type");
  SLUICE_TRY(f.finish(ApiKey::find_coordinator, version, "request"));
  return request;
}

void encode_find_coordinator_request(Writer& out, const FindCoordinatorRequest& request,
                                     int16_t version) {
  assert_version(ApiKey::find_coordinator, version);
  out.string(request.key);
  if (version >= 1) out.int8(request.key_type);
}

void encode_find_coordinator_response(Writer& out, const FindCoordinatorResponse& response,
                                      int16_t version) {
  assert_version(ApiKey::find_coordinator, version);
  if (version >= 1) out.int32(response.throttle_time_ms);
  out.int16(code(response.error));
  if (version >= 1) out.nullable_string(as_view(response.error_message));
  out.int32(response.node_id);
  out.string(response.host);
  out.int32(response.port);
}

Result<FindCoordinatorResponse> decode_find_coordinator_response(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(ApiKey::find_coordinator, version, "response"));
  FieldReader f(in, kFlexible);
  FindCoordinatorResponse response;
  if (version >= 1) response.throttle_time_ms = f.int32("throttle_time_ms");
  response.error = static_cast<ErrorCode>(f.int16("error_code"));
  if (version >= 1) response.error_message = to_owned(f.nullable_string("error_message"));
  response.node_id = f.int32("node_id");
  response.host = std::string(f.string("host"));
  response.port = f.int32("port");
  SLUICE_TRY(f.finish(ApiKey::find_coordinator, version, "response"));
  return response;
}

}  // namespace sluice::server::kafka
