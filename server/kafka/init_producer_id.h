// InitProducerId (key 22), v0-4: a producer id and epoch for an idempotent (or transactional)
// producer. v2 is the first flexible version (compact strings, tagged fields); v3 adds the
// producer's current id and epoch so that it can bump its epoch after an error; v4 only allows
// the PRODUCER_FENCED error.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include "server/kafka/wire.h"

#include <sluice/result.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace sluice::server::kafka {

struct InitProducerIdRequest {
  std::optional<std::string_view> transactional_id;  // null for an idempotent producer
  int32_t transaction_timeout_ms = 0;
  int64_t producer_id = -1;     // v3+
  int16_t producer_epoch = -1;  // v3+
};

struct InitProducerIdResponse {
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  friend bool operator==(const InitProducerIdResponse&, const InitProducerIdResponse&) = default;
};

Result<InitProducerIdRequest> decode_init_producer_id_request(Reader& in, int16_t version);
void encode_init_producer_id_request(Writer& out, const InitProducerIdRequest& request,
                                     int16_t version);

void encode_init_producer_id_response(Writer& out, const InitProducerIdResponse& response,
                                      int16_t version);
Result<InitProducerIdResponse> decode_init_producer_id_response(Reader& in, int16_t version);

}  // namespace sluice::server::kafka
