// Heartbeat (key 12, v0-3): a member tells the coordinator it is alive; the answer tells it
// whether a rebalance has begun (REBALANCE_IN_PROGRESS) or it has been fenced out.
//
// v1+: the response's throttle_time_ms. v3+: group_instance_id.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include "server/kafka/error_code.h"
#include "server/kafka/wire.h"

#include <sluice/result.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace sluice::server::kafka {

struct HeartbeatRequest {
  std::string_view group_id;
  int32_t generation_id = -1;
  std::string_view member_id;
  std::optional<std::string_view> group_instance_id;  // v3+
};

struct HeartbeatResponse {
  int32_t throttle_time_ms = 0;  // v1+
  ErrorCode error = ErrorCode::none;

  bool operator==(const HeartbeatResponse&) const = default;
};

Result<HeartbeatRequest> decode_heartbeat_request(Reader& in, int16_t version);
void encode_heartbeat_request(Writer& out, const HeartbeatRequest& request, int16_t version);
void encode_heartbeat_response(Writer& out, const HeartbeatResponse& response, int16_t version);
Result<HeartbeatResponse> decode_heartbeat_response(Reader& in, int16_t version);

}  // namespace sluice::server::kafka
