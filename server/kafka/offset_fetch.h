// OffsetFetch (key 9, v0-5): a member reads its group's committed offsets.
//
// v2+: topics may be null, asking for every partition the group has committed, and the
// response gains a top-level error_code. v3+: the response's throttle_time_ms. v5+: the
// committed leader epoch per partition. A partition without a committed offset answers
// offset -1 with no error.
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

struct OffsetFetchTopic {
  std::string_view name;
  std::vector<int32_t> partition_indexes;
};

struct OffsetFetchRequest {
  std::string_view group_id;
  // nullopt (a null array, v2+): every topic and partition the group has committed.
  std::optional<std::vector<OffsetFetchTopic>> topics;
};

// The committed offset of a partition that has none.
inline constexpr int64_t kNoCommittedOffset = -1;

struct OffsetFetchPartitionResponse {
  int32_t partition_index = 0;
  int64_t committed_offset = kNoCommittedOffset;
  int32_t committed_leader_epoch = -1;  // v5+
  std::optional<std::string> metadata;
  ErrorCode error = ErrorCode::none;

  bool operator==(const OffsetFetchPartitionResponse&) const = default;
};

struct OffsetFetchTopicResponse {
  std::string name;
  std::vector<OffsetFetchPartitionResponse> partitions;

  bool operator==(const OffsetFetchTopicResponse&) const = default;
};

struct OffsetFetchResponse {
  int32_t throttle_time_ms = 0;  // v3+
  std::vector<OffsetFetchTopicResponse> topics;
  ErrorCode error = ErrorCode::none;  // v2+: a group-level error (v0-1 have only partitions')

  bool operator==(const OffsetFetchResponse&) const = default;
};

Result<OffsetFetchRequest> decode_offset_fetch_request(Reader& in, int16_t version);
void encode_offset_fetch_request(Writer& out, const OffsetFetchRequest& request, int16_t version);
void encode_offset_fetch_response(Writer& out, const OffsetFetchResponse& response,
                                  int16_t version);
Result<OffsetFetchResponse> decode_offset_fetch_response(Reader& in, int16_t version);

}  // namespace sluice::server::kafka
