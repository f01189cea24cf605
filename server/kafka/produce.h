// Produce (key 0), v3-7: record batches (magic 2) for topic partitions. v3 is the first version
// carrying record batch v2 (and the transactional id); v7 allows zstd batches. Every version
// sluiced speaks is classic (the flexible encoding starts at v9).
//
// The records of each partition stay a view into the request frame: the codec does not look
// into them (partitions/record_batch.h validates them).
//
// Thread-safety: plain values and pure functions.
#pragma once

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

struct ProducePartitionData {
  int32_t index = 0;
  // The partition's record batches, a view into the frame; nullopt when the client sent null.
  std::optional<std::span<const std::byte>> records;
};

struct ProduceTopicData {
  std::string_view name;
  std::vector<ProducePartitionData> partitions;
};

struct ProduceRequest {
  std::optional<std::string_view> transactional_id;
  int16_t acks = -1;  // 0: no response, 1: the leader wrote it, -1: every in-sync replica
  int32_t timeout_ms = 0;
  std::vector<ProduceTopicData> topics;
};

struct ProducePartitionResponse {
  int32_t index = 0;
  int16_t error_code = 0;
  int64_t base_offset = -1;
  int64_t log_append_time_ms = -1;  // v2+: -1 unless the topic stamps log-append time
  int64_t log_start_offset = -1;    // v5+
  friend bool operator==(const ProducePartitionResponse&,
                         const ProducePartitionResponse&) = default;
};

struct ProduceTopicResponse {
  std::string name;
  std::vector<ProducePartitionResponse> partitions;
  friend bool operator==(const ProduceTopicResponse&, const ProduceTopicResponse&) = default;
};

struct ProduceResponse {
  std::vector<ProduceTopicResponse> topics;
  int32_t throttle_time_ms = 0;  // v1+
};

Result<ProduceRequest> decode_produce_request(Reader& in, int16_t version);
void encode_produce_request(Writer& out, const ProduceRequest& request, int16_t version);

void encode_produce_response(Writer& out, const ProduceResponse& response, int16_t version);
Result<ProduceResponse> decode_produce_response(Reader& in, int16_t version);

}  // namespace sluice::server::kafka
