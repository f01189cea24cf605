// ListGroups (key 16, v0-2): every group the broker coordinates, with its protocol type.
//
// The request has no field in v0-2 (a states filter comes in v4). v1+: the response's
// throttle_time_ms.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include "server/kafka/error_code.h"
#include "server/kafka/wire.h"

#include <sluice/result.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::server::kafka {

struct ListGroupsRequest {};

struct ListedGroup {
  std::string group_id;
  std::string protocol_type;  // "consumer", or empty for a group with no protocol yet

  bool operator==(const ListedGroup&) const = default;
};

struct ListGroupsResponse {
  int32_t throttle_time_ms = 0;  // v1+
  ErrorCode error = ErrorCode::none;
  std::vector<ListedGroup> groups;

  bool operator==(const ListGroupsResponse&) const = default;
};

// Fails on any byte after the header: the request is empty at every version we speak.
Result<ListGroupsRequest> decode_list_groups_request(Reader& in, int16_t version);
void encode_list_groups_request(Writer& out, const ListGroupsRequest& request, int16_t version);
void encode_list_groups_response(Writer& out, const ListGroupsResponse& response, int16_t version);
Result<ListGroupsResponse> decode_list_groups_response(Reader& in, int16_t version);

}  // namespace sluice::server::kafka
