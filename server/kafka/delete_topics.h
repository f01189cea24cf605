// DeleteTopics (key 20), v0-3: delete topics by name. v1 adds the throttle time; v2 and v3 are
// the same on the wire. Every version sluiced speaks is classic (the flexible encoding starts
// at v4).
//
// Thread-safety: plain values and pure functions.
#pragma once

#include "server/kafka/wire.h"

#include <sluice/result.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::server::kafka {

struct DeleteTopicsRequest {
  std::vector<std::string_view> topic_names;
  int32_t timeout_ms = 0;
};

struct DeletableTopicResult {
  std::string name;
  int16_t error_code = 0;
  friend bool operator==(const DeletableTopicResult&, const DeletableTopicResult&) = default;
};

struct DeleteTopicsResponse {
  int32_t throttle_time_ms = 0;  // v1+
  std::vector<DeletableTopicResult> responses;
};

Result<DeleteTopicsRequest> decode_delete_topics_request(Reader& in, int16_t version);
void encode_delete_topics_request(Writer& out, const DeleteTopicsRequest& request, int16_t version);

void encode_delete_topics_response(Writer& out, const DeleteTopicsResponse& response,
                                   int16_t version);
Result<DeleteTopicsResponse> decode_delete_topics_response(Reader& in, int16_t version);

}  // namespace sluice::server::kafka
