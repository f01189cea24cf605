// ApiVersions (key 18), v0-3: the first request of every connection, answered with the APIs
// and version ranges sluiced speaks (api_keys.h). v3 is flexible (compact strings and arrays,
// tagged fields); its response still goes out under response header v0.
//
// A request at a version past our range is not decoded: the server answers it with
// encode_api_versions_unsupported(), the v0 body with UNSUPPORTED_VERSION (35) and our list,
// which every client reads whatever version it asked for, and the client retries at a version
// we list.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include "server/kafka/wire.h"

#include <sluice/result.h>

#include <cstdint>
#include <string_view>
#include <vector>

namespace sluice::server::kafka {

struct ApiVersionsRequest {
  // v3+: the client's own name and version ("librdkafka", "2.0.2"); empty before.
  std::string_view client_software_name;
  std::string_view client_software_version;
};

struct ApiVersionsKey {
  int16_t api_key = 0;
  int16_t min_version = 0;
  int16_t max_version = 0;
  friend bool operator==(const ApiVersionsKey&, const ApiVersionsKey&) = default;
};

struct ApiVersionsResponse {
  int16_t error_code = 0;
  std::vector<ApiVersionsKey> api_keys;
  int32_t throttle_time_ms = 0;  // v1+
};

Result<ApiVersionsRequest> decode_api_versions_request(Reader& in, int16_t version);
void encode_api_versions_request(Writer& out, const ApiVersionsRequest& request, int16_t version);

// The normal answer: no error, every API in supported_apis() with its range.
ApiVersionsResponse make_api_versions_response();
void encode_api_versions_response(Writer& out, const ApiVersionsResponse& response,
                                  int16_t version);
Result<ApiVersionsResponse> decode_api_versions_response(Reader& in, int16_t version);

// The v0-format body answering an ApiVersions request at a version we do not support: error
// UNSUPPORTED_VERSION (35) and supported_apis(). The caller writes response header v0 first.
void encode_api_versions_unsupported(Writer& out);

}  // namespace sluice::server::kafka
