// ListOffsets (key 2), v0-3: the offset of the first record at or after a timestamp, or the
// log's start (timestamp -2, "earliest") or end (-1, "latest"). v0 asks for up to
// max_num_offsets offsets and answers an array of them (old_style_offsets); v1+ answer one
// offset with its timestamp; v2 adds the isolation level and the throttle time. Every version
// sluiced speaks is classic (the flexible encoding starts at v6).
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

inline constexpr int64_t kListOffsetsLatest = -1;
inline constexpr int64_t kListOffsetsEarliest = -2;

struct ListOffsetsPartition {
  int32_t partition_index = 0;
  int64_t timestamp = kListOffsetsLatest;
  int32_t max_num_offsets = 1;  // v0 only
};

struct ListOffsetsTopic {
  std::string_view name;
  std::vector<ListOffsetsPartition> partitions;
};

struct ListOffsetsRequest {
  int32_t replica_id = -1;
  int8_t isolation_level = 0;  // v2+
  std::vector<ListOffsetsTopic> topics;
};

struct ListOffsetsPartitionResponse {
  int32_t partition_index = 0;
  int16_t error_code = 0;
  std::vector<int64_t> old_style_offsets;  // v0 only
  int64_t timestamp = -1;                  // v1+
  int64_t offset = -1;                     // v1+
  friend bool operator==(const ListOffsetsPartitionResponse&,
                         const ListOffsetsPartitionResponse&) = default;
};

struct ListOffsetsTopicResponse {
  std::string name;
  std::vector<ListOffsetsPartitionResponse> partitions;
  friend bool operator==(const ListOffsetsTopicResponse&,
                         const ListOffsetsTopicResponse&) = default;
};

struct ListOffsetsResponse {
  int32_t throttle_time_ms = 0;  // v2+
  std::vector<ListOffsetsTopicResponse> topics;
};

Result<ListOffsetsRequest> decode_list_offsets_request(Reader& in, int16_t version);
void encode_list_offsets_request(Writer& out, const ListOffsetsRequest& request, int16_t version);

void encode_list_offsets_response(Writer& out, const ListOffsetsResponse& response,
                                  int16_t version);
Result<ListOffsetsResponse> decode_list_offsets_response(Reader& in, int16_t version);

}  // namespace sluice::server::kafka
