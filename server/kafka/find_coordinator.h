// FindCoordinator (key 10, v0-2): which broker coordinates a group (or a transactional id).
// sluiced is a single node, so the answer is always itself; the codec stays general.
//
// v0: key. v1+: key_type; the response gains throttle_time_ms and error_message.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include "server/kafka/error_code.h"
#include "server/kafka/wire.h"

#include <sluice/result.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::server::kafka {

enum class CoordinatorKeyType : int8_t { group = 0, transaction = 1 };

struct FindCoordinatorRequest {
  std::string_view key;  // a group id, or a transactional id
  // v1+; v0 always asks for a group's coordinator. Other values are passed through for the
  // caller to refuse.
  int8_t key_type = static_cast<int8_t>(CoordinatorKeyType::group);
};

struct FindCoordinatorResponse {
  int32_t throttle_time_ms = 0;  // v1+
  ErrorCode error = ErrorCode::none;
  std::optional<std::string> error_message;  // v1+
  int32_t node_id = -1;
  std::string host;
  int32_t port = -1;

  bool operator==(const FindCoordinatorResponse&) const = default;
};

Result<FindCoordinatorRequest> decode_find_coordinator_request(Reader& in, int16_t version);
void encode_find_coordinator_request(Writer& out, const FindCoordinatorRequest& request,
                                     int16_t version);
void encode_find_coordinator_response(Writer& out, const FindCoordinatorResponse& response,
                                      int16_t version);
Result<FindCoordinatorResponse> decode_find_coordinator_response(Reader& in, int16_t version);

}  // namespace sluice::server::kafka
