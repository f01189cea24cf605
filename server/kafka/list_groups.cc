#include "server/kafka/list_groups.h"

#include "server/kafka/api_keys.h"
#include "server/kafka/field_reader.h"

namespace sluice::server::kafka {

namespace {

// Every ListGroups version sluiced advertises comes before its flexible versions (api_keys.cc).
constexpr bool kFlexible = false;

}  // namespace

Result<ListGroupsRequest> decode_list_groups_request(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(ApiKey::list_groups, version, "request"));
  FieldReader f(in, kFlexible);
  SLUICE_TRY(f.finish(ApiKey::list_groups, version, "request"));
  return ListGroupsRequest{};
}

void encode_list_groups_request(Writer& /*out*/, const ListGroupsRequest& /*request*/,
                                int16_t version) {
  assert_version(ApiKey::list_groups, version);
}

void encode_list_groups_response(Writer& out, const ListGroupsResponse& response, int16_t version) {
  assert_version(ApiKey::list_groups, version);
  if (version >= 1) out.int32(response.throttle_time_ms);
  out.int16(code(response.error));
  write_array_length(out, response.groups.size(), kFlexible);
  for (const ListedGroup& group : response.groups) {
    out.string(group.group_id);
    out.string(group.protocol_type);
  }
}

Result<ListGroupsResponse> decode_list_groups_response(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(ApiKey::list_groups, version, "response"));
  FieldReader f(in, kFlexible);
  ListGroupsResponse response;
  if (version >= 1) response.throttle_time_ms = f.int32("throttle_time_ms");
  response.error = static_cast<ErrorCode>(f.int16("error_code"));
  // Each group: group_id and protocol_type, int16-length strings.
  int32_t count = f.array("groups", 4);
  response.groups.reserve(static_cast<size_t>(count));
  for (int32_t i = 0; i < count && f.ok(); ++i) {
    ListedGroup& group = response.groups.emplace_back();
    group.group_id = f.string("groups[].group_id");
    group.protocol_type = f.string("groups[].protocol_type");
  }
  SLUICE_TRY(f.finish(ApiKey::list_groups, version, "response"));
  return response;
}

}  // namespace sluice::server::kafka
