// SyncGroup (key 14, v0-3): after a join, every member asks for its assignment; the leader's
// request carries the assignment of every member.
//
// v1+: the response's throttle_time_ms. v3+: group_instance_id.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include "server/kafka/error_code.h"
#include "server/kafka/wire.h"

#include <sluice/result.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::server::kafka {

struct SyncGroupAssignment {
  std::string_view member_id;
  std::span<const std::byte> assignment;  // opaque; for "consumer" a ConsumerProtocolAssignment
};

struct SyncGroupRequest {
  std::string_view group_id;
  int32_t generation_id = -1;
  std::string_view member_id;
  std::optional<std::string_view> group_instance_id;  // v3+
  std::vector<SyncGroupAssignment> assignments;       // only the leader's is non-empty
};

struct SyncGroupResponse {
  int32_t throttle_time_ms = 0;  // v1+
  ErrorCode error = ErrorCode::none;
  std::string assignment;  // opaque bytes, kept in a string so group state moves in uncopied

  bool operator==(const SyncGroupResponse&) const = default;
};

Result<SyncGroupRequest> decode_sync_group_request(Reader& in, int16_t version);
void encode_sync_group_request(Writer& out, const SyncGroupRequest& request, int16_t version);
void encode_sync_group_response(Writer& out, const SyncGroupResponse& response, int16_t version);
Result<SyncGroupResponse> decode_sync_group_response(Reader& in, int16_t version);

}  // namespace sluice::server::kafka
