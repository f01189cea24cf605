// RequestParser: a strict, incremental HTTP/1.1 request parser (RFC 9112) with the limits of
// HttpLimits. Debian's only packaged C parser (http-parser) is archived, so sluiced has its own,
// small and fuzzed (tests/fuzz/http_parser_fuzz.cc).
//
// Use: parse() the bytes at the front of the input. `incomplete` asks for the same bytes again
// with more behind them (the parser remembers how far it got and never scans a byte twice);
// `complete` fills the Request and consumed() says how long it was (more requests may follow:
// pipelining); `error` says which status to answer (error_status(), error_message()), after which
// the connection must close. reset() readies the parser for the next request.
//
// Strict means: the request line is exactly METHOD SP target SP HTTP/1.x CRLF; lines end in
// CRLF (a bare LF or CR is refused); field names are tokens with no space before the colon;
// obs-fold is refused; field values hold no control characters; an HTTP/1.1 request has exactly
// one Host; Content-Length is digits only and every copy agrees; Transfer-Encoding is "chunked"
// alone (another coding is 501) and never beside Content-Length; the request target is
// origin-form ("/path?query"), absolute-form ("http://host/path") or "*" (OPTIONS only), in
// visible ASCII.
//
// Statuses: 400 malformed, 413 body over max_body_bytes (a Content-Length is refused before any
// body byte arrives; a chunked body counts as sent, framing and trailers included, so that the
// whole request always fits max_header_bytes + max_body_bytes), 431 request line and headers over
// max_header_bytes (or over kMaxFields fields, or trailers over max_header_bytes), 501 unknown
// method or transfer coding, 505 an HTTP version other than 1.0 and 1.1.
//
// Thread-safety: one parser per connection, used by one thread.
#pragma once

#include "server/http/request.h"
#include "server/server_options.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::server::http {

enum class ParseStatus : uint8_t { incomplete, complete, error };

class RequestParser {
 public:
  static constexpr size_t kMaxFields = 100;
  // A chunk-size line (size and extensions) longer than this is refused (400).
  static constexpr size_t kMaxChunkLineBytes = 1024;

  explicit RequestParser(const HttpLimits& limits) : limits_(limits) {}

  ParseStatus parse(std::string_view input, Request& request);

  // After `complete`: the request's length in the input.
  size_t consumed() const { return consumed_; }
  // After `error`: the status to answer and why.
  int error_status() const { return error_status_; }
  std::string_view error_message() const { return error_message_; }
  // After `incomplete`: the head is complete, the body is not, and the client asked for
  // "Expect: 100-continue".
  bool awaiting_body_after_continue() const;

  void reset();

 private:
  enum class Phase : uint8_t {
    head,
    length_body,
    chunk_size,
    chunk_data,
    chunk_crlf,
    trailers,
    done,
    failed
  };
  struct FieldOffsets {
    uint32_t name, name_length, value, value_length;
  };

  ParseStatus fail(int status, std::string_view message);
  ParseStatus parse_head(std::string_view input, Request& request);
  ParseStatus parse_request_line(std::string_view input, size_t begin, size_t end);
  ParseStatus check_partial_request_line(std::string_view input);
  ParseStatus head_complete(std::string_view input, Request& request);
  ParseStatus parse_chunked(std::string_view input, Request& request);
  ParseStatus parse_chunk_size(std::string_view input);
  ParseStatus parse_trailer(std::string_view input);
  ParseStatus finish(std::string_view input, Request& request, size_t end);
  void fill_views(std::string_view input, Request& request) const;

  const HttpLimits limits_;
  Phase phase_ = Phase::head;
  size_t start_ = 0;       // where the request line begins (after skipped empty lines)
  size_t line_begin_ = 0;  // where the current head line begins
  size_t scanned_ = 0;     // head bytes already searched for a line end
  bool have_request_line_ = false;
  // A request line still arriving is checked as it comes, so that garbage (a TLS hello, a
  // binary protocol) is refused at once rather than after max_header_bytes.
  size_t request_line_checked_ = 0;
  bool past_method_ = false;
  // The request line, as offsets into the input.
  uint32_t target_ = 0, target_length_ = 0;
  Method method_ = Method::get;
  uint8_t version_minor_ = 1;
  std::vector<FieldOffsets> fields_;
  size_t body_begin_ = 0;
  uint64_t content_length_ = 0;
  bool expect_continue_ = false;
  bool keep_alive_ = true;
  // Chunked bodies: where decoding goes on, the bytes left in the current chunk, and the body.
  bool chunked_ = false;
  size_t position_ = 0;
  uint64_t chunk_left_ = 0;
  size_t trailer_bytes_ = 0;
  std::string chunked_body_;
  size_t consumed_ = 0;
  int error_status_ = 0;
  std::string_view error_message_;
};

}  // namespace sluice::server::http
