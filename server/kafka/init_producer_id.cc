#include "server/kafka/init_producer_id.h"

#include "server/kafka/api_keys.h"
#include "server/kafka/field_reader.h"

namespace sluice::server::kafka {

namespace {

constexpr ApiKey kKey = ApiKey::init_producer_id;

}  // namespace

Result<InitProducerIdRequest> decode_init_producer_id_request(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(kKey, version, "request"));
  FieldReader r(in, is_flexible(kKey, version));
  InitProducerIdRequest request;
  request.transactional_id = r.nullable_string("transactional_id");
  request.transaction_timeout_ms = r.int32("transaction_timeout_ms");
  if (version >= 3) {
    request.producer_id = r.int64("producer_id");
    request.producer_epoch = r.int16("producer_epoch");
  }
  r.tagged_fields("tagged_fields");
  SLUICE_TRY(r.finish(kKey, version, "request"));
  return request;
}

void encode_init_producer_id_request(Writer& out, const InitProducerIdRequest& request,
                                     int16_t version) {
  assert_version(kKey, version);
  const bool flexible = is_flexible(kKey, version);
  out.flex_nullable_string(request.transactional_id, flexible);
  out.int32(request.transaction_timeout_ms);
  if (version >= 3) {
    out.int64(request.producer_id);
    out.int16(request.producer_epoch);
  }
  write_tagged_fields(out, flexible);
}

void encode_init_producer_id_response(Writer& out, const InitProducerIdResponse& response,
                                      int16_t version) {
  assert_version(kKey, version);
  out.int32(response.throttle_time_ms);
  out.int16(response.error_code);
  out.int64(response.producer_id);
  out.int16(response.producer_epoch);
  write_tagged_fields(out, is_flexible(kKey, version));
}

Result<InitProducerIdResponse> decode_init_producer_id_response(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(kKey, version, "response"));
  FieldReader r(in, is_flexible(kKey, version));
  InitProducerIdResponse response;
  response.throttle_time_ms = r.int32("throttle_time_ms");
  response.error_code = r.int16("error_code");
  response.producer_id = r.int64("producer_id");
  response.producer_epoch = r.int16("producer_epoch");
  r.tagged_fields("tagged_fields");
  SLUICE_TRY(r.finish(kKey, version, "response"));
  return response;
}

}  // namespace sluice::server::kafka
