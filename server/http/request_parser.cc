#include "server/http/request_parser.h"

#include "io/assert.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace sluice::server::http {
namespace {

enum CharClass : uint8_t {
  kTchar = 1,       // token characters (RFC 9110 section 5.6.2)
  kFieldChar = 2,   // field-value characters: VCHAR, obs-text, SP, HTAB
  kTargetChar = 4,  // request-target characters: visible ASCII except '#'
};

constexpr std::array<uint8_t, 256> make_classes() {
  std::array<uint8_t, 256> table{};
  for (int c = 0x21; c <= 0x7e; ++c)
    table[static_cast<size_t>(c)] |= kFieldChar | kTargetChar;
  for (int c = 0x80; c <= 0xff; ++c)
    table[static_cast<size_t>(c)] |= kFieldChar;
  table[' '] |= kFieldChar;
  table['\t'] |= kFieldChar;
  table['#'] &= static_cast<uint8_t>(~kTargetChar);
  for (int c = '0'; c <= '9'; ++c)
    table[static_cast<size_t>(c)] |= kTchar;
  for (int c = 'a'; c <= 'z'; ++c)
    table[static_cast<size_t>(c)] |= kTchar;
  for (int c = 'A'; c <= 'Z'; ++c)
    table[static_cast<size_t>(c)] |= kTchar;
  for (char c : std::string_view("!#$%&'*+-.^_`|~"))
    table[static_cast<unsigned char>(c)] |= kTchar;
  return table;
}

constexpr std::array<uint8_t, 256> kClasses = make_classes();

bool is(char c, CharClass cls) {
  return (kClasses[static_cast<unsigned char>(c)] & cls) != 0;
}
bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim_ows(std::string_view text) {
  while (!text.empty() && is_ows(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && is_ows(text.back()))
    text.remove_suffix(1);
  return text;
}

bool parse_method(std::string_view token, Method* out) {
  static constexpr std::pair<std::string_view, Method> kMethods[] = {
      {"GET", Method::get},         {"HEAD", Method::head},      {"POST", Method::post},
      {"PUT", Method::put},         {"DELETE", Method::delete_}, {"PATCH", Method::patch},
      {"OPTIONS", Method::options}, {"TRACE", Method::trace},    {"CONNECT", Method::connect},
  };
  for (const auto& [name, method] : kMethods) {
    if (token == name) {  // methods are case-sensitive
      *out = method;
      return true;
    }
  }
  return false;
}

// A field line "name: value" (without its CRLF). Returns nullptr and fills the offsets (relative
// to `line`) when it is well-formed, else why not.
const char* check_field_line(std::string_view line, uint32_t* name_length, uint32_t* value,
                             uint32_t* value_length) {
  if (is_ows(line.front())) return "obs-fold (a line starting with whitespace) is not accepted";
  size_t colon = 0;
  while (colon < line.size() && is(line[colon], kTchar))
    ++colon;
  if (colon == line.size() || line[colon] != ':') {
    return colon < line.size() && is_ows(line[colon])
               ? "whitespace between a field name and its colon"
               : "a header field name that is not a token";
  }
  if (colon == 0) return "an empty header field name";
  size_t begin = colon + 1;
  size_t end = line.size();
  while (begin < end && is_ows(line[begin]))
    ++begin;
  while (end > begin && is_ows(line[end - 1]))
    --end;
  for (size_t i = begin; i < end; ++i) {
    if (!is(line[i], kFieldChar)) return "a control character in a header field value";
  }
  *name_length = static_cast<uint32_t>(colon);
  *value = static_cast<uint32_t>(begin);
  *value_length = static_cast<uint32_t>(end - begin);
  return nullptr;
}

// Content-Length: 1*DIGIT. Values too large for the body limit saturate (a 413, not a 400).
bool parse_content_length(std::string_view text, uint64_t* out) {
  if (text.empty()) return false;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value =
        value > (UINT64_MAX - 9) / 10 ? UINT64_MAX : value * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = value;
  return true;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

ParseStatus RequestParser::fail(int status, std::string_view message) {
  phase_ = Phase::failed;
  error_status_ = status;
  error_message_ = message;
  return ParseStatus::error;
}

void RequestParser::reset() {
  phase_ = Phase::head;
  start_ = line_begin_ = scanned_ = 0;
  have_request_line_ = false;
  request_line_checked_ = 0;
  past_method_ = false;
  target_ = target_length_ = 0;
  method_ = Method::get;
  version_minor_ = 1;
  fields_.clear();
  body_begin_ = 0;
  content_length_ = 0;
  expect_continue_ = false;
  keep_alive_ = true;
  chunked_ = false;
  position_ = 0;
  chunk_left_ = 0;
  trailer_bytes_ = 0;
  // A large chunked body's buffer is not kept for the connection's lifetime.
  if (chunked_body_.capacity() > (1u << 20)) {
    std::string().swap(chunked_body_);
  } else {
    chunked_body_.clear();
  }
  consumed_ = 0;
  error_status_ = 0;
  error_message_ = {};
}

bool RequestParser::awaiting_body_after_continue() const {
  return expect_continue_ && phase_ != Phase::head && phase_ != Phase::done &&
         phase_ != Phase::failed;
}

ParseStatus RequestParser::parse(std::string_view input, Request& request) {
  switch (phase_) {
    case Phase::head:
      return parse_head(input, request);
    case Phase::length_body:
      if (input.size() - body_begin_ < content_length_) return ParseStatus::incomplete;
      return finish(input, request, body_begin_ + content_length_);
    case Phase::chunk_size:
    case Phase::chunk_data:
    case Phase::chunk_crlf:
    case Phase::trailers:
      return parse_chunked(input, request);
    case Phase::done:
      SLUICE_UNREACHABLE("parse() after complete without reset()");
    case Phase::failed:
      return ParseStatus::error;
  }
  SLUICE_UNREACHABLE("bad phase");
}

ParseStatus RequestParser::parse_head(std::string_view input, Request& request) {
  // Empty lines before the request line are ignored (RFC 9112 section 2.2).
  if (!have_request_line_ && line_begin_ == start_) {
    while (input.size() >= start_ + 2 && input[start_] == '\r' && input[start_ + 1] == '\n') {
      start_ += 2;
      if (start_ > limits_.max_header_bytes) return fail(431, "request head too large");
    }
    line_begin_ = start_;
    scanned_ = std::max(scanned_, start_);
  }
  const size_t limit = limits_.max_header_bytes;
  while (true) {
    const void* found = std::memchr(input.data() + scanned_, '\n', input.size() - scanned_);
    if (found == nullptr) {
      if (!have_request_line_) {
        const ParseStatus checked = check_partial_request_line(input);
        if (checked != ParseStatus::incomplete) return checked;
      }
      if (input.size() - start_ > limit) return fail(431, "request line and headers too large");
      scanned_ = input.size();
      return ParseStatus::incomplete;
    }
    const size_t lf = static_cast<size_t>(static_cast<const char*>(found) - input.data());
    if (!have_request_line_) {
      // The same check as for a line still arriving, so that the outcome does not depend on
      // how the bytes were split.
      const ParseStatus checked = check_partial_request_line(input.substr(0, lf));
      if (checked != ParseStatus::incomplete) return checked;
    }
    if (lf + 1 - start_ > limit) return fail(431, "request line and headers too large");
    if (lf == line_begin_ || input[lf - 1] != '\r') return fail(400, "a line ended in a bare LF");
    const size_t end = lf - 1;
    ParseStatus status = ParseStatus::incomplete;
    if (!have_request_line_) {
      status = parse_request_line(input, line_begin_, end);
      have_request_line_ = true;
    } else if (end == line_begin_) {
      body_begin_ = lf + 1;
      return head_complete(input, request);
    } else {
      if (fields_.size() == kMaxFields) return fail(431, "too many header fields");
      FieldOffsets field{};
      const char* bad = check_field_line(input.substr(line_begin_, end - line_begin_),
                                         &field.name_length, &field.value, &field.value_length);
      if (bad != nullptr) return fail(400, bad);
      field.name = static_cast<uint32_t>(line_begin_);
      field.value += static_cast<uint32_t>(line_begin_);
      fields_.push_back(field);
    }
    if (status == ParseStatus::error) return status;
    line_begin_ = scanned_ = lf + 1;
  }
}

ParseStatus RequestParser::check_partial_request_line(std::string_view input) {
  size_t i = std::max(request_line_checked_, line_begin_);
  for (; i < input.size(); ++i) {
    const char c = input[i];
    if (c == '\r' && i + 1 == input.size()) break;  // a CRLF may be arriving (checked again)
    if (!past_method_) {
      if (c == ' ' && i > line_begin_) {
        past_method_ = true;
      } else if (!is(c, kTchar)) {
        return fail(400, "malformed request line");
      }
    } else if (c != ' ' && !is(c, kTargetChar)) {
      return fail(400, "malformed request line");
    }
  }
  request_line_checked_ = i;
  return ParseStatus::incomplete;
}

ParseStatus RequestParser::parse_request_line(std::string_view input, size_t begin, size_t end) {
  const std::string_view line = input.substr(begin, end - begin);
  const size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0) return fail(400, "malformed request line");
  const std::string_view method = line.substr(0, sp1);
  for (char c : method) {
    if (!is(c, kTchar)) return fail(400, "malformed request line");
  }
  const size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return fail(400, "malformed request line");
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  for (char c : target) {
    if (!is(c, kTargetChar)) return fail(400, "malformed request target");
  }
  const std::string_view version = line.substr(sp2 + 1);
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
      version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9') {
    return fail(400, "malformed HTTP version");
  }
  if (version[5] != '1' || (version[7] != '0' && version[7] != '1')) {
    return fail(505, "only HTTP/1.0 and HTTP/1.1 are supported");
  }
  version_minor_ = static_cast<uint8_t>(version[7] - '0');
  if (!parse_method(method, &method_)) return fail(501, "unknown method");

  const bool origin_form = target.front() == '/';
  const bool asterisk_form = target == "*";
  const bool absolute_form = equals_ignore_case(target.substr(0, 7), "http://") ||
                             equals_ignore_case(target.substr(0, 8), "https://");
  if (!origin_form && !absolute_form && !(asterisk_form && method_ == Method::options)) {
    return fail(400, "malformed request target");
  }
  target_ = static_cast<uint32_t>(begin + sp1 + 1);
  target_length_ = static_cast<uint32_t>(target.size());
  return ParseStatus::incomplete;
}

ParseStatus RequestParser::head_complete(std::string_view input, Request& request) {
  bool has_length = false;
  bool chunked = false;
  bool close = false;
  bool keep_alive_token = false;
  uint64_t length = 0;
  int hosts = 0;
  for (const FieldOffsets& field : fields_) {
    const std::string_view name = input.substr(field.name, field.name_length);
    const std::string_view value = input.substr(field.value, field.value_length);
    if (equals_ignore_case(name, "content-length")) {
      uint64_t parsed = 0;
      if (!parse_content_length(value, &parsed)) return fail(400, "Content-Length is not digits");
      if (has_length && parsed != length) return fail(400, "conflicting Content-Length fields");
      has_length = true;
      length = parsed;
    } else if (equals_ignore_case(name, "transfer-encoding")) {
      if (version_minor_ == 0) return fail(400, "Transfer-Encoding in an HTTP/1.0 request");
      if (chunked) return fail(400, "chunked applied more than once");
      if (!equals_ignore_case(value, "chunked")) {
        return fail(501, "the only transfer coding accepted is chunked");
      }
      chunked = true;
    } else if (equals_ignore_case(name, "connection")) {
      std::string_view rest = value;
      while (!rest.empty()) {
        const size_t comma = rest.find(',');
        const std::string_view token = trim_ows(rest.substr(0, comma));
        if (equals_ignore_case(token, "close")) close = true;
        if (equals_ignore_case(token, "keep-alive")) keep_alive_token = true;
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
    } else if (equals_ignore_case(name, "host")) {
      ++hosts;
    } else if (equals_ignore_case(name, "expect")) {
      if (equals_ignore_case(value, "100-continue")) expect_continue_ = true;
    }
  }
  if (version_minor_ == 1 && hosts != 1) {
    return fail(400, "an HTTP/1.1 request must have exactly one Host field");
  }
  if (has_length && chunked) return fail(400, "both Content-Length and Transfer-Encoding");
  keep_alive_ = !close && (version_minor_ == 1 || keep_alive_token);

  if (chunked) {
    chunked_ = true;
    phase_ = Phase::chunk_size;
    position_ = body_begin_;
    return parse_chunked(input, request);
  }
  if (has_length) {
    if (length > limits_.max_body_bytes) return fail(413, "request body too large");
    content_length_ = length;
    phase_ = Phase::length_body;
    if (input.size() - body_begin_ < length) return ParseStatus::incomplete;
    return finish(input, request, body_begin_ + length);
  }
  content_length_ = 0;
  return finish(input, request, body_begin_);
}

ParseStatus RequestParser::parse_chunked(std::string_view input, Request& request) {
  while (true) {
    switch (phase_) {
      case Phase::chunk_size: {
        const ParseStatus status = parse_chunk_size(input);
        if (status != ParseStatus::complete) return status;
        break;
      }
      case Phase::chunk_data: {
        const uint64_t take = std::min<uint64_t>(chunk_left_, input.size() - position_);
        chunked_body_.append(input.data() + position_, take);
        position_ += take;
        chunk_left_ -= take;
        if (chunk_left_ > 0) return ParseStatus::incomplete;
        phase_ = Phase::chunk_crlf;
        break;
      }
      case Phase::chunk_crlf:
        if (input.size() - position_ < 2) {
          if (input.size() > position_ && input[position_] != '\r') {
            return fail(400, "chunk data not followed by CRLF");
          }
          return ParseStatus::incomplete;
        }
        if (input[position_] != '\r' || input[position_ + 1] != '\n') {
          return fail(400, "chunk data not followed by CRLF");
        }
        position_ += 2;
        phase_ = Phase::chunk_size;
        break;
      case Phase::trailers: {
        const size_t before = position_;
        const ParseStatus status = parse_trailer(input);
        if (status == ParseStatus::complete) return finish(input, request, position_);
        if (status == ParseStatus::error) return status;
        if (position_ == before) return ParseStatus::incomplete;
        break;
      }
      default:
        SLUICE_UNREACHABLE("not a chunked phase");
    }
  }
}

// One chunk-size line: 1*HEXDIG [ chunk-ext ] CRLF. `complete` when it was read.
ParseStatus RequestParser::parse_chunk_size(std::string_view input) {
  const size_t window = std::min(input.size() - position_, kMaxChunkLineBytes + 1);
  const void* found = std::memchr(input.data() + position_, '\n', window);
  if (found == nullptr) {
    if (window > kMaxChunkLineBytes) return fail(400, "chunk size line too long");
    return ParseStatus::incomplete;
  }
  const size_t lf = static_cast<size_t>(static_cast<const char*>(found) - input.data());
  if (lf == position_ || input[lf - 1] != '\r') return fail(400, "a line ended in a bare LF");
  const std::string_view line = input.substr(position_, lf - 1 - position_);
  uint64_t size = 0;
  size_t i = 0;
  for (; i < line.size() && hex_digit(line[i]) >= 0; ++i) {
    if (i == 16) return fail(400, "chunk size too long");
    size = size << 4 | static_cast<uint64_t>(hex_digit(line[i]));
  }
  if (i == 0) return fail(400, "malformed chunk size");
  // Extensions (";name=value") are allowed and ignored; they must hold no control characters.
  std::string_view rest = line.substr(i);
  while (!rest.empty() && is_ows(rest.front()))
    rest.remove_prefix(1);
  if (!rest.empty() && rest.front() != ';') return fail(400, "malformed chunk size");
  for (char c : rest) {
    if (!is(c, kFieldChar)) return fail(400, "a control character in a chunk extension");
  }
  // The body as sent, chunk framing included, must fit max_body_bytes: the connection holds
  // it whole until the request completes.
  const uint64_t framed = lf + 1 - body_begin_;
  if (framed > limits_.max_body_bytes || size > limits_.max_body_bytes - framed ||
      (size > 0 && limits_.max_body_bytes - framed - size < 2)) {
    return fail(413, "request body too large");
  }
  position_ = lf + 1;
  if (size == 0) {
    phase_ = Phase::trailers;
  } else {
    chunk_left_ = size;
    phase_ = Phase::chunk_data;
  }
  return ParseStatus::complete;
}

// One trailer line, or the empty line that ends the body (`complete`). Trailers are checked
// like header fields and dropped.
ParseStatus RequestParser::parse_trailer(std::string_view input) {
  // Trailers count against max_header_bytes, and (being part of the body as sent) against
  // max_body_bytes.
  const size_t header_room =
      limits_.max_header_bytes - std::min<size_t>(trailer_bytes_, limits_.max_header_bytes);
  const uint64_t framed = position_ - body_begin_;
  const uint64_t body_room =
      limits_.max_body_bytes - std::min<uint64_t>(framed, limits_.max_body_bytes);
  const size_t room = static_cast<size_t>(std::min<uint64_t>(header_room, body_room));
  const size_t window = std::min(input.size() - position_, room + 1);
  const void* found = std::memchr(input.data() + position_, '\n', window);
  if (found == nullptr) {
    if (window > room) {
      return header_room <= body_room ? fail(431, "trailer fields too large")
                                      : fail(413, "request body too large");
    }
    return ParseStatus::incomplete;
  }
  const size_t lf = static_cast<size_t>(static_cast<const char*>(found) - input.data());
  if (lf + 1 - position_ > room) {
    return header_room <= body_room ? fail(431, "trailer fields too large")
                                    : fail(413, "request body too large");
  }
  if (lf == position_ || input[lf - 1] != '\r') return fail(400, "a line ended in a bare LF");
  const std::string_view line = input.substr(position_, lf - 1 - position_);
  trailer_bytes_ += lf + 1 - position_;
  position_ = lf + 1;
  if (line.empty()) return ParseStatus::complete;
  uint32_t name_length = 0, value = 0, value_length = 0;
  const char* bad = check_field_line(line, &name_length, &value, &value_length);
  if (bad != nullptr) return fail(400, bad);
  return ParseStatus::incomplete;
}

ParseStatus RequestParser::finish(std::string_view input, Request& request, size_t end) {
  phase_ = Phase::done;
  consumed_ = end;
  fill_views(input, request);
  return ParseStatus::complete;
}

void RequestParser::fill_views(std::string_view input, Request& request) const {
  request.method = method_;
  request.target = input.substr(target_, target_length_);
  std::string_view path = request.target;
  if (path.front() != '/' && path != "*") {
    // absolute-form: drop "scheme://authority".
    const size_t authority = path.find("//") + 2;
    const size_t slash = path.find_first_of("/?", authority);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash);
  }
  const size_t question = path.find('?');
  request.query =
      question == std::string_view::npos ? std::string_view() : path.substr(question + 1);
  request.path = path.substr(0, question);
  if (request.path.empty()) request.path = "/";
  request.version_minor = version_minor_;
  request.keep_alive = keep_alive_;
  request.expect_continue = expect_continue_;
  request.headers.clear();
  for (const FieldOffsets& field : fields_) {
    request.headers.push_back({input.substr(field.name, field.name_length),
                               input.substr(field.value, field.value_length)});
  }
  request.body =
      chunked_ ? std::string_view(chunked_body_) : input.substr(body_begin_, content_length_);
}

}  // namespace sluice::server::http
