// Request: one HTTP/1.x request as the parser hands it to the session. Every view points into
// the session's input (or, for a chunked body, into the parser's buffer) and is valid only until
// the session returns from on_input().
//
// Thread-safety: plain values, owned by one session.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace sluice::server::http {

// The methods the parser knows. Any other token is answered 501 Not Implemented.
enum class Method : uint8_t { get, head, post, put, delete_, patch, options, trace, connect };

std::string_view method_name(Method method);

struct HeaderField {
  std::string_view name;   // as sent (compare case-insensitively)
  std::string_view value;  // without the surrounding whitespace
};

struct Request {
  Method method = Method::get;
  std::string_view target;    // as sent
  std::string_view path;      // the target's path, still percent-encoded ("/v1/topics/a%20b")
  std::string_view query;     // after '?', still encoded; empty when there is none
  uint8_t version_minor = 1;  // HTTP/1.0 or HTTP/1.1
  bool keep_alive = true;     // the connection stays open after the response
  bool expect_continue = false;
  std::vector<HeaderField> headers;  // in order
  std::string_view body;

  // The first field with this name (ASCII case-insensitive), or nullptr.
  const HeaderField* find(std::string_view name) const;
};

// ASCII case-insensitive equality (header names, tokens).
bool equals_ignore_case(std::string_view a, std::string_view b);

}  // namespace sluice::server::http
