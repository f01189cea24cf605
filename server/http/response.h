// Responses of the HTTP API, written straight into the session's output buffer: the status
// line, Date, Content-Type, Content-Length, Connection and any extra fields (Location, Allow),
// then the body. The body is written after the head, in place; Content-Length is a fixed-width
// field patched once the body is done (right-aligned after optional whitespace, which RFC 9110's
// OWS allows), so that no body is ever copied.
//
// Errors carry a JSON body {"error": code, "message": text}.
//
// Thread-safety: plain functions and a writer over a caller's buffer (the Date cache is per
// thread).
#pragma once

#include <string>
#include <string_view>

namespace sluice::server::http {

inline constexpr std::string_view kJsonType = "application/json";
inline constexpr std::string_view kPrometheusType = "text/plain; version=0.0.4; charset=utf-8";
// The interim answer to "Expect: 100-continue".
inline constexpr std::string_view kContinueResponse = "HTTP/1.1 100 Continue\r\n\r\n";

// "OK", "Not Found", ... ("Unknown" for a status not in the table).
std::string_view reason_phrase(int status);
// The error code of an HTTP-level error: 400 "bad_request", 404 "not_found", ...
std::string_view error_code_for_status(int status);

struct ResponseHead {
  int status = 200;
  std::string_view content_type = kJsonType;  // empty: no Content-Type
  bool close = false;                         // "Connection: close", else "Connection: keep-alive"
  bool head_only = false;         // a HEAD request: the GET's head with its Content-Length, no body
  std::string_view extra_fields;  // preformatted lines: "Location: /v1/topics/a\r\n"
};

class ResponseWriter {
 public:
  // Appends the status line and fields to `out`.
  ResponseWriter(std::string& out, const ResponseHead& head);
  ResponseWriter(const ResponseWriter&) = delete;
  ResponseWriter& operator=(const ResponseWriter&) = delete;

  // Append the body here.
  std::string& body() { return out_; }
  // Sets Content-Length (and drops the body of a HEAD answer). Call once, after the body.
  void finish();

 private:
  std::string& out_;
  size_t length_field_;  // where the Content-Length digits go
  size_t body_begin_;
  bool head_only_;
};

// A whole response with `body`.
void write_response(std::string& out, const ResponseHead& head, std::string_view body);
// An error response: {"error": code, "message": message} (the message may be any bytes).
void write_error(std::string& out, const ResponseHead& head, std::string_view code,
                 std::string_view message);

}  // namespace sluice::server::http
