// JoinGroup (key 11, v0-5): a member asks to join a group's next generation, offering the
// assignment protocols it supports; the answer names the generation, the chosen protocol, the
// leader and, for the leader only, every member's metadata.
//
// v1+: rebalance_timeout_ms. v2+: the response's throttle_time_ms. v4: a join without a member
// id is answered MEMBER_ID_REQUIRED (the encoding is unchanged). v5+: group_instance_id
// (static membership) in the request and in each member of the response.
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

struct JoinGroupProtocol {
  std::string_view name;                // an assignor ("range", "roundrobin", ...)
  std::span<const std::byte> metadata;  // opaque; for protocol type "consumer" a subscription
};

struct JoinGroupRequest {
  std::string_view group_id;
  int32_t session_timeout_ms = 0;
  // v1+. -1 when absent (v0): the session timeout stands in for it.
  int32_t rebalance_timeout_ms = -1;
  std::string_view member_id;                         // empty on a first join
  std::optional<std::string_view> group_instance_id;  // v5+; null for a dynamic member
  std::string_view protocol_type;
  std::vector<JoinGroupProtocol> protocols;
};

struct JoinGroupMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;  // v5+
  std::string metadata;  // opaque bytes, kept in a string so group state moves in uncopied

  bool operator==(const JoinGroupMember&) const = default;
};

struct JoinGroupResponse {
  int32_t throttle_time_ms = 0;  // v2+
  ErrorCode error = ErrorCode::none;
  int32_t generation_id = -1;
  std::string protocol_name;
  std::string leader;
  std::string member_id;
  std::vector<JoinGroupMember> members;  // empty except in the leader's answer

  bool operator==(const JoinGroupResponse&) const = default;
};

Result<JoinGroupRequest> decode_join_group_request(Reader& in, int16_t version);
void encode_join_group_request(Writer& out, const JoinGroupRequest& request, int16_t version);
void encode_join_group_response(Writer& out, const JoinGroupResponse& response, int16_t version);
Result<JoinGroupResponse> decode_join_group_response(Reader& in, int16_t version);

}  // namespace sluice::server::kafka
