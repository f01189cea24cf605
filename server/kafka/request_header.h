// The request header (v1 for classic versions, v2 with tagged fields for flexible ones) and
// the response header (v0: correlation id; v1 adds tagged fields) of every Kafka frame.
//
// A frame is an int32 size followed by that many bytes: header, then the API's body.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include "server/kafka/wire.h"

#include <cstdint>
#include <optional>
#include <string_view>

namespace sluice::server::kafka {

struct RequestHeader {
  int16_t api_key = 0;
  int16_t api_version = 0;
  int32_t correlation_id = 0;
  std::optional<std::string_view> client_id;  // a view into the frame
  bool flexible = false;                      // header v2 (the API version is flexible)
};

// Reads the header at the front of a frame's bytes (after the size). For an API we do not
// answer, or a version past our range, the body is not read: api key, version and correlation
// id are still filled in so that the caller can answer UNSUPPORTED_VERSION. Fails the reader
// when even those are missing.
RequestHeader read_request_header(Reader& in);

// The response header. ApiVersions keeps v0 even at its flexible v3.
void write_response_header(Writer& out, int32_t correlation_id, bool flexible);

}  // namespace sluice::server::kafka
