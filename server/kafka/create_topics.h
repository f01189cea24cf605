// CreateTopics (key 19), v0-4: create topics with a partition count (or a manual assignment)
// and configs. v1 adds validate_only and the per-topic error message, v2 the throttle time; v4
// lets num_partitions and replication_factor be -1 (the broker's defaults). Every version
// sluiced speaks is classic (the flexible encoding starts at v5).
//
// Thread-safety: plain values and pure functions.
#pragma once

#include "server/kafka/wire.h"

#include <sluice/result.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::server::kafka {

struct CreatableReplicaAssignment {
  int32_t partition_index = 0;
  std::vector<int32_t> broker_ids;
};

struct CreatableTopicConfig {
  std::string_view name;
  std::optional<std::string_view> value;
};

struct CreatableTopic {
  std::string_view name;
  int32_t num_partitions = -1;                          // -1: a manual assignment or the default
  int16_t replication_factor = -1;                      // -1: a manual assignment or the default
  std::vector<CreatableReplicaAssignment> assignments;  // empty: automatic
  std::vector<CreatableTopicConfig> configs;
};

struct CreateTopicsRequest {
  std::vector<CreatableTopic> topics;
  int32_t timeout_ms = 60000;
  bool validate_only = false;  // v1+
};

struct CreatableTopicResult {
  std::string name;
  int16_t error_code = 0;
  std::optional<std::string> error_message;  // v1+
  friend bool operator==(const CreatableTopicResult&, const CreatableTopicResult&) = default;
};

struct CreateTopicsResponse {
  int32_t throttle_time_ms = 0;  // v2+
  std::vector<CreatableTopicResult> topics;
};

Result<CreateTopicsRequest> decode_create_topics_request(Reader& in, int16_t version);
void encode_create_topics_request(Writer& out, const CreateTopicsRequest& request, int16_t version);

void encode_create_topics_response(Writer& out, const CreateTopicsResponse& response,
                                   int16_t version);
Result<CreateTopicsResponse> decode_create_topics_response(Reader& in, int16_t version);

}  // namespace sluice::server::kafka
