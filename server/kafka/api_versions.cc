#include "server/kafka/api_versions.h"

#include "server/kafka/api_keys.h"
#include "server/kafka/error_code.h"
#include "server/kafka/field_reader.h"

namespace sluice::server::kafka {

namespace {

constexpr ApiKey kKey = ApiKey::api_versions;
// An entry: api_key, min_version and max_version (and, flexible, an empty tagged section).
constexpr size_t kMinKeyBytes = 6;

void write_keys(Writer& out, const std::vector<ApiVersionsKey>& keys, bool flexible) {
  write_array_length(out, keys.size(), flexible);
  for (const ApiVersionsKey& k : keys) {
    out.int16(k.api_key);
    out.int16(k.min_version);
    out.int16(k.max_version);
    write_tagged_fields(out, flexible);
  }
}

}  // namespace

Result<ApiVersionsRequest> decode_api_versions_request(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(kKey, version, "request"));
  FieldReader r(in, is_flexible(kKey, version));
  ApiVersionsRequest request;
  if (version >= 3) {
    request.client_software_name = r.string("client_software_name");
    request.client_software_version = r.string("client_software_version");
  }
  r.tagged_fields("tagged_fields");
  SLUICE_TRY(r.finish(kKey, version, "request"));
  return request;
}

void encode_api_versions_request(Writer& out, const ApiVersionsRequest& request, int16_t version) {
  assert_version(kKey, version);
  const bool flexible = is_flexible(kKey, version);
  if (version >= 3) {
    out.compact_string(request.client_software_name);
    out.compact_string(request.client_software_version);
  }
  write_tagged_fields(out, flexible);
}

ApiVersionsResponse make_api_versions_response() {
  ApiVersionsResponse response;
  for (const ApiRange& api : supported_apis()) {
    response.api_keys.push_back({static_cast<int16_t>(api.key), api.min_version, api.max_version});
  }
  return response;
}

void encode_api_versions_response(Writer& out, const ApiVersionsResponse& response,
                                  int16_t version) {
  assert_version(kKey, version);
  const bool flexible = is_flexible(kKey, version);
  out.int16(response.error_code);
  write_keys(out, response.api_keys, flexible);
  if (version >= 1) out.int32(response.throttle_time_ms);
  write_tagged_fields(out, flexible);
}

Result<ApiVersionsResponse> decode_api_versions_response(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(kKey, version, "response"));
  FieldReader r(in, is_flexible(kKey, version));
  ApiVersionsResponse response;
  response.error_code = r.int16("error_code");
  int32_t n = r.array("api_keys", kMinKeyBytes);
  response.api_keys.reserve(static_cast<size_t>(n));
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    ApiVersionsKey k;
    k.api_key = r.int16("api_keys[].api_key");
    k.min_version = r.int16("api_keys[].min_version");
    k.max_version = r.int16("api_keys[].max_version");
    r.tagged_fields("api_keys[].tagged_fields");
    response.api_keys.push_back(k);
  }
  if (version >= 1) response.throttle_time_ms = r.int32("throttle_time_ms");
  r.tagged_fields("tagged_fields");
  SLUICE_TRY(r.finish(kKey, version, "response"));
  return response;
}

void encode_api_versions_unsupported(Writer& out) {
  ApiVersionsResponse response = make_api_versions_response();
  response.error_code = code(ErrorCode::unsupported_version);
  // v0: error code and the classic array, no throttle time, no tagged fields.
  out.int16(response.error_code);
  write_keys(out, response.api_keys, /*flexible=*/false);
}

}  // namespace sluice::server::kafka
