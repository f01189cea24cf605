// Fetch (key 1), v4-11: read record batches from topic partitions. v4 is the first version
// with record batch v2 and the transactional fields, v7 adds fetch sessions (KIP-227), v11 the
// consumer's rack and the preferred read replica. Every version sluiced speaks is classic (the
// flexible encoding starts at v12).
//
// sluiced runs sessionless: it answers session_id 0, so clients send full fetch requests and the
// session fields and forgotten topics are decoded but carry nothing it needs.
//
// A partition's records are encoded from a list of byte spans (stored batches, as read) and
// appended one after the other under one length: no intermediate buffer.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include "server/kafka/wire.h"

#include <sluice/result.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::server::kafka {

struct FetchPartition {
  int32_t partition = 0;
  int32_t current_leader_epoch = -1;  // v9+
  int64_t fetch_offset = 0;
  int64_t log_start_offset = -1;  // v5+ (followers only)
  int32_t partition_max_bytes = 0;
};

struct FetchTopic {
  std::string_view topic;
  std::vector<FetchPartition> partitions;
};

struct ForgottenTopic {  // v7+
  std::string_view topic;
  std::vector<int32_t> partitions;
};

struct FetchRequest {
  int32_t replica_id = -1;  // -1 for a consumer
  int32_t max_wait_ms = 0;
  int32_t min_bytes = 0;
  int32_t max_bytes = std::numeric_limits<int32_t>::max();
  int8_t isolation_level = 0;  // 0: read uncommitted, 1: read committed
  int32_t session_id = 0;      // v7+
  int32_t session_epoch = -1;  // v7+
  std::vector<FetchTopic> topics;
  std::vector<ForgottenTopic> forgotten_topics;  // v7+
  std::string_view rack_id;                      // v11+
};

struct AbortedTransaction {
  int64_t producer_id = 0;
  int64_t first_offset = 0;
  friend bool operator==(const AbortedTransaction&, const AbortedTransaction&) = default;
};

struct FetchPartitionResponse {
  int32_t partition = 0;
  int16_t error_code = 0;
  int64_t high_watermark = -1;
  int64_t last_stable_offset = -1;  // v4+
  int64_t log_start_offset = -1;    // v5+
  // nullopt encodes null (no transactions to skip: what a read-uncommitted fetch gets).
  std::optional<std::vector<AbortedTransaction>> aborted_transactions;
  int32_t preferred_read_replica = -1;  // v11+
  // The record batches, appended in order under one length. The spans must stay valid until
  // the response is encoded. A decoded response holds one span, a view into the frame (none
  // when the records were empty or null).
  std::vector<std::span<const std::byte>> records;
};

struct FetchTopicResponse {
  std::string topic;
  std::vector<FetchPartitionResponse> partitions;
};

struct FetchResponse {
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;  // v7+
  int32_t session_id = 0;  // v7+
  std::vector<FetchTopicResponse> topics;
};

Result<FetchRequest> decode_fetch_request(Reader& in, int16_t version);
void encode_fetch_request(Writer& out, const FetchRequest& request, int16_t version);

void encode_fetch_response(Writer& out, const FetchResponse& response, int16_t version);
Result<FetchResponse> decode_fetch_response(Reader& in, int16_t version);

// The bytes of a partition's records on the wire (the sum of its spans).
size_t records_bytes(const FetchPartitionResponse& partition);

}  // namespace sluice::server::kafka
