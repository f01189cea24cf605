// OffsetCommit (key 8, v0-7): a member stores its group's committed offsets.
//
// v0: group_id and the offsets only (no generation or member: a simple, group-less commit).
// v1: generation_id, member_id, and a commit_timestamp per partition. v2-4: the timestamp
// goes and a request-wide retention_time_ms comes. v5: retention goes too (broker setting).
// v6: committed_leader_epoch per partition. v7: group_instance_id.
// The response: throttle_time_ms from v3, then an error per partition.
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
#include <vector>

namespace sluice::server::kafka {

struct OffsetCommitPartition {
  int32_t partition_index = 0;
  int64_t committed_offset = 0;
  int32_t committed_leader_epoch = -1;  // v6+
  int64_t commit_timestamp = -1;        // v1 only
  std::optional<std::string_view> committed_metadata;
};

struct OffsetCommitTopic {
  std::string_view name;
  std::vector<OffsetCommitPartition> partitions;
};

struct OffsetCommitRequest {
  std::string_view group_id;
  int32_t generation_id = -1;                         // v1+; -1 for a group-less commit
  std::string_view member_id;                         // v1+; empty for a group-less commit
  std::optional<std::string_view> group_instance_id;  // v7+
  int64_t retention_time_ms = -1;                     // v2-4; -1: the broker's setting
  std::vector<OffsetCommitTopic> topics;
};

struct OffsetCommitPartitionResponse {
  int32_t partition_index = 0;
  ErrorCode error = ErrorCode::none;

  bool operator==(const OffsetCommitPartitionResponse&) const = default;
};

struct OffsetCommitTopicResponse {
  std::string name;
  std::vector<OffsetCommitPartitionResponse> partitions;

  bool operator==(const OffsetCommitTopicResponse&) const = default;
};

struct OffsetCommitResponse {
  int32_t throttle_time_ms = 0;  // v3+
  std::vector<OffsetCommitTopicResponse> topics;

  bool operator==(const OffsetCommitResponse&) const = default;
};

Result<OffsetCommitRequest> decode_offset_commit_request(Reader& in, int16_t version);
void encode_offset_commit_request(Writer& out, const OffsetCommitRequest& request, int16_t version);
void encode_offset_commit_response(Writer& out, const OffsetCommitResponse& response,
                                   int16_t version);
Result<OffsetCommitResponse> decode_offset_commit_response(Reader& in, int16_t version);

}  // namespace sluice::server::kafka
