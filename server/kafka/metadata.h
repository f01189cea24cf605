// Metadata (key 3), v0-6: the brokers, the topics and each partition's leader and replicas.
// Every version sluiced speaks is classic (the flexible encoding starts at v9).
//
// Which topics: in v0 an empty array asks for every topic; from v1 a null array does and an
// empty one asks for none. Both decode to MetadataRequest::topics: nullopt for every topic.
// (v0 cannot ask for no topics: encoding an empty list at v0 asks for all.)
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

struct MetadataRequest {
  std::optional<std::vector<std::string_view>> topics;  // nullopt: every topic
  bool allow_auto_topic_creation = true;                // v4+ (earlier versions: true)
};

struct MetadataBroker {
  int32_t node_id = 0;
  std::string host;
  int32_t port = 0;
  std::optional<std::string> rack;  // v1+
  friend bool operator==(const MetadataBroker&, const MetadataBroker&) = default;
};

struct MetadataPartition {
  int16_t error_code = 0;
  int32_t partition_index = 0;
  int32_t leader_id = -1;
  std::vector<int32_t> replica_nodes;
  std::vector<int32_t> isr_nodes;
  std::vector<int32_t> offline_replicas;  // v5+
  friend bool operator==(const MetadataPartition&, const MetadataPartition&) = default;
};

struct MetadataTopic {
  int16_t error_code = 0;
  std::string name;
  bool is_internal = false;  // v1+
  std::vector<MetadataPartition> partitions;
  friend bool operator==(const MetadataTopic&, const MetadataTopic&) = default;
};

struct MetadataResponse {
  int32_t throttle_time_ms = 0;  // v3+
  std::vector<MetadataBroker> brokers;
  std::optional<std::string> cluster_id;  // v2+
  int32_t controller_id = -1;             // v1+
  std::vector<MetadataTopic> topics;
};

Result<MetadataRequest> decode_metadata_request(Reader& in, int16_t version);
void encode_metadata_request(Writer& out, const MetadataRequest& request, int16_t version);

void encode_metadata_response(Writer& out, const MetadataResponse& response, int16_t version);
Result<MetadataResponse> decode_metadata_response(Reader& in, int16_t version);

}  // namespace sluice::server::kafka
