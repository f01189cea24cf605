#include "server/kafka/delete_topics.h"

#include "server/kafka/api_keys.h"
#include "server/kafka/field_reader.h"

namespace sluice::server::kafka {

namespace {

constexpr ApiKey kKey = ApiKey::delete_topics;
constexpr size_t kMinNameBytes = 2;
constexpr size_t kMinResultBytes = 2 + 2;  // name, error code

}  // namespace

Result<DeleteTopicsRequest> decode_delete_topics_request(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(kKey, version, "request"));
  FieldReader r(in, is_flexible(kKey, version));
  DeleteTopicsRequest request;
  int32_t n = r.array("topic_names", kMinNameBytes);
  request.topic_names.reserve(static_cast<size_t>(n));
  for (int32_t i = 0; i < n && r.ok(); ++i)
    request.topic_names.push_back(r.string("topic_names[]"));
  request.timeout_ms = r.int32("timeout_ms");
  SLUICE_TRY(r.finish(kKey, version, "request"));
  return request;
}

void encode_delete_topics_request(Writer& out, const DeleteTopicsRequest& request,
                                  int16_t version) {
  assert_version(kKey, version);
  write_array_length(out, request.topic_names.size(), false);
  for (std::string_view name : request.topic_names)
    out.string(name);
  out.int32(request.timeout_ms);
}

void encode_delete_topics_response(Writer& out, const DeleteTopicsResponse& response,
                                   int16_t version) {
  assert_version(kKey, version);
  if (version >= 1) out.int32(response.throttle_time_ms);
  write_array_length(out, response.responses.size(), false);
  for (const DeletableTopicResult& t : response.responses) {
    out.string(t.name);
    out.int16(t.error_code);
  }
}

Result<DeleteTopicsResponse> decode_delete_topics_response(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(kKey, version, "response"));
  FieldReader r(in, is_flexible(kKey, version));
  DeleteTopicsResponse response;
  if (version >= 1) response.throttle_time_ms = r.int32("throttle_time_ms");
  int32_t n = r.array("responses", kMinResultBytes);
  response.responses.reserve(static_cast<size_t>(n));
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    DeletableTopicResult& t = response.responses.emplace_back();
    t.name = r.string("responses[].name");
    t.error_code = r.int16("responses[].error_code");
  }
  SLUICE_TRY(r.finish(kKey, version, "response"));
  return response;
}

}  // namespace sluice::server::kafka
