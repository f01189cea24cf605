#include "tools/common/http_client.h"

#include "io/socket.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <span>
#include <utility>

#include <strings.h>

namespace sluice::tools {
namespace {

constexpr size_t kReadBytes = 16 * 1024;
// 1xx answers (100 Continue and the like) skipped before the final response, at most.
constexpr int kMaxInterimResponses = 8;
// A chunk-size line: hex digits, and extensions this client ignores.
constexpr size_t kMaxChunkLineBytes = 1024;
// Hex digits of a chunk size: 15 keep it below 2^60, far past any body limit.
constexpr size_t kMaxChunkSizeDigits = 15;

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

// `text` for an error message: at most 60 bytes, control and non-ASCII bytes as '?'.
std::string quoted(std::string_view text) {
  std::string out = "'";
  for (char c : text.substr(0, 60))
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (text.size() > 60) out += "...";
  return out + "'";
}

// RFC 9110 token characters (header names).
bool is_token(std::string_view text) {
  if (text.empty()) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Whether the comma-separated header value lists `token` (any case).
bool lists_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const size_t comma = value.find(',');
    if (equals_ignoring_case(trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

// "HTTP/1.x SSS[ reason]": the status code, the reason and the minor version.
bool parse_status_line(std::string_view line, int* status, std::string* reason, int* minor) {
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || !is_digit(line[7]) || line[8] != ' ' ||
      !is_digit(line[9]) || !is_digit(line[10]) || !is_digit(line[11])) {
    return false;
  }
  if (line.size() > 12 && line[12] != ' ') return false;
  *minor = line[7] - '0';
  *status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  *reason = line.size() > 13 ? std::string(line.substr(13)) : std::string();
  return *status >= 100 && *status <= 599;
}

}  // namespace

// The parts of a response head that decide how its body is framed.
struct HttpClient::Head {
  int status = 0;
  std::string reason;
  std::vector<HttpHeader> headers;
  bool chunked = false;
  bool has_length = false;
  uint64_t length = 0;
  bool close = false;  // the server closes the connection after this response
};

std::string percent_encode(std::string_view text) {
  constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  return out;
}

const std::string* HttpResponse::header(std::string_view name) const {
  for (const HttpHeader& h : headers) {
    if (equals_ignoring_case(h.name, name)) return &h.value;
  }
  return nullptr;
}

Result<HttpClient> HttpClient::connect(std::string_view address, const HttpClientOptions& options) {
  HttpClient client{std::string(address), options};
  SLUICE_TRY(client.open());
  return client;
}

HttpClient::HttpClient(HttpClient&& other) noexcept
    : address_(std::move(other.address_)),
      options_(std::move(other.options_)),
      fd_(std::exchange(other.fd_, -1)),
      in_(std::move(other.in_)),
      in_begin_(std::exchange(other.in_begin_, 0)) {}

HttpClient& HttpClient::operator=(HttpClient&& other) noexcept {
  if (this != &other) {
    drop();
    address_ = std::move(other.address_);
    options_ = std::move(other.options_);
    fd_ = std::exchange(other.fd_, -1);
    in_ = std::move(other.in_);
    in_begin_ = std::exchange(other.in_begin_, 0);
  }
  return *this;
}

HttpClient::~HttpClient() {
  drop();
}

std::string HttpClient::server() const {
  return options_.server_name.empty() ? address_ : options_.server_name + " at " + address_;
}

Result<void> HttpClient::open() {
  Result<io::HostPort> host_port = io::parse_host_port(address_);
  if (!host_port.ok()) return std::move(host_port).error();
  Result<int> fd = io::connect_tcp(*host_port);
  if (!fd.ok()) {
    // The socket layer names the call and the address; keep only its reason.
    const std::string& message = fd.error().message();
    const size_t colon = message.rfind(": ");
    const std::string why = colon == std::string::npos ? message : message.substr(colon + 2);
    return Error(fd.code(), "cannot reach " + server() + ": " + why);
  }
  fd_ = *fd;
  if (options_.timeout.count() > 0) {
    if (Result<void> set = io::set_recv_timeout(fd_, options_.timeout); !set.ok()) {
      drop();
      return set;
    }
  }
  return {};
}

void HttpClient::drop() {
  if (fd_ >= 0) io::close_socket(fd_);
  fd_ = -1;
  in_.clear();
  in_begin_ = 0;
}

Error HttpClient::malformed(const std::string& what) const {
  return Error(Errc::invalid_argument, "malformed HTTP response from " + server() + ": " + what);
}

Result<HttpResponse> HttpClient::request(std::string_view method, std::string_view target,
                                         std::string_view body, std::string_view content_type) {
  const auto bad_char = [](char c) { return c <= ' ' || c == 0x7f; };
  if (method.empty() || std::any_of(method.begin(), method.end(), bad_char) || target.empty() ||
      target.front() != '/' || std::any_of(target.begin(), target.end(), bad_char)) {
    return Error(Errc::invalid_argument,
                 "not an HTTP request line: " + quoted(method) + " " + quoted(target));
  }
  if (fd_ < 0) SLUICE_TRY(open());
  Result<void> sent = send(method, target, body, content_type);
  if (!sent.ok()) {
    drop();
    return Error(sent.code(), "sending to " + server() + ": " + sent.error().message());
  }
  Result<HttpResponse> response = read_response(method == "HEAD");
  if (!response.ok()) drop();
  return response;
}

Result<void> HttpClient::send(std::string_view method, std::string_view target,
                              std::string_view body, std::string_view content_type) {
  std::string request;
  request.reserve(method.size() + target.size() + address_.size() + body.size() + 128);
  request.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ");
  request.append(address_).append("\r\n");
  if (!body.empty()) request.append("Content-Type: ").append(content_type).append("\r\n");
  request.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n");
  request.append(body);
  return io::send_all(fd_, std::as_bytes(std::span<const char>(request)));
}

Result<bool> HttpClient::read_more() {
  if (in_begin_ == in_.size()) {
    in_.clear();
    in_begin_ = 0;
  } else if (in_begin_ > in_.size() / 2) {
    in_.erase(0, in_begin_);
    in_begin_ = 0;
  }
  const size_t old_size = in_.size();
  in_.resize(old_size + kReadBytes);
  Result<size_t> got = io::recv_some(
      fd_, std::as_writable_bytes(std::span<char>(in_.data() + old_size, kReadBytes)));
  in_.resize(old_size + (got.ok() ? *got : 0));
  if (!got.ok()) {
    if (got.code() == Errc::would_block) {
      return Error(Errc::timed_out, server() + " sent nothing for " +
                                        std::to_string(options_.timeout.count()) + " ms");
    }
    return Error(got.code(), "reading from " + server() + ": " + got.error().message());
  }
  return *got > 0;
}

Result<std::string> HttpClient::read_line(size_t limit, const char* what) {
  size_t searched = in_begin_;
  for (;;) {
    const size_t lf = in_.find('\n', searched);
    if (lf != std::string::npos && lf - in_begin_ <= limit) {
      size_t end = lf;
      if (end > in_begin_ && in_[end - 1] == '\r') --end;  // a bare LF ends a line too
      std::string line = in_.substr(in_begin_, end - in_begin_);
      in_begin_ = lf + 1;
      return line;
    }
    if (in_.size() - in_begin_ > limit) {
      return Error(Errc::too_large, std::string("the response's ") + what + " from " + server() +
                                        " is above " + std::to_string(limit) + " bytes");
    }
    const size_t unread_searched = in_.size() - in_begin_;
    Result<bool> more = read_more();
    if (!more.ok()) return std::move(more).error();
    searched = in_begin_ + unread_searched;  // read_more may have moved the unread bytes
    if (!*more) {
      return Error(Errc::closed, server() + " closed the connection inside the response's " + what);
    }
  }
}

Result<HttpClient::Head> HttpClient::read_head() {
  Head head;
  size_t budget = options_.max_head_bytes;
  const bool nothing_yet = in_begin_ == in_.size();
  Result<std::string> line = read_line(budget, "head");
  if (!line.ok()) {
    if (line.code() == Errc::closed && nothing_yet && in_begin_ == in_.size()) {
      return Error(Errc::closed, server() + " closed the connection before answering");
    }
    return std::move(line).error();
  }
  budget -= std::min(budget, line->size() + 2);
  int minor = 1;
  if (!parse_status_line(*line, &head.status, &head.reason, &minor)) {
    return malformed("status line " + quoted(*line));
  }
  head.close = minor == 0;  // HTTP/1.0 closes unless it says keep-alive
  for (;;) {
    line = read_line(budget, "head");
    if (!line.ok()) return std::move(line).error();
    budget -= std::min(budget, line->size() + 2);
    if (line->empty()) break;
    if (line->front() == ' ' || line->front() == '\t') {
      return malformed("folded header line " + quoted(*line));
    }
    const size_t colon = line->find(':');
    if (colon == std::string::npos || !is_token(std::string_view(*line).substr(0, colon))) {
      return malformed("header line " + quoted(*line));
    }
    HttpHeader header{line->substr(0, colon),
                      std::string(trim(std::string_view(*line).substr(colon + 1)))};
    if (equals_ignoring_case(header.name, "content-length")) {
      uint64_t length = 0;
      const std::string& v = header.value;
      if (v.empty() || v.size() > 19 || !std::all_of(v.begin(), v.end(), is_digit) ||
          std::from_chars(v.data(), v.data() + v.size(), length).ec != std::errc() ||
          (head.has_length && length != head.length)) {
        return malformed("Content-Length " + quoted(v));
      }
      head.has_length = true;
      head.length = length;
    } else if (equals_ignoring_case(header.name, "transfer-encoding")) {
      // Only chunked, last, is a framing this client reads (RFC 9112 section 6.1).
      const std::string_view codings = header.value;
      const size_t comma = codings.rfind(',');
      const std::string_view last =
          trim(comma == std::string_view::npos ? codings : codings.substr(comma + 1));
      if (!equals_ignoring_case(last, "chunked")) {
        return malformed("unsupported Transfer-Encoding " + quoted(codings));
      }
      head.chunked = true;
    } else if (equals_ignoring_case(header.name, "connection")) {
      if (lists_token(header.value, "close")) head.close = true;
      if (minor == 0 && lists_token(header.value, "keep-alive")) head.close = false;
    }
    head.headers.push_back(std::move(header));
  }
  if (head.has_length && !head.chunked && head.length > options_.max_body_bytes) {
    return Error(Errc::too_large, "the response body from " + server() + " (" +
                                      std::to_string(head.length) + " bytes) is above " +
                                      std::to_string(options_.max_body_bytes) + " bytes");
  }
  return head;
}

Result<HttpResponse> HttpClient::read_response(bool head_request) {
  for (int interim = 0;; ++interim) {
    Result<Head> head = read_head();
    if (!head.ok()) return std::move(head).error();
    // 1xx answers come before the real one and have no body (101 would switch protocols,
    // which this client never asks for).
    if (head->status < 200 && head->status != 101) {
      if (interim == kMaxInterimResponses) return malformed("too many 1xx responses");
      continue;
    }
    HttpResponse response;
    response.status = head->status;
    response.reason = std::move(head->reason);
    response.headers = std::move(head->headers);
    if (!head_request && head->status != 204 && head->status != 304 && head->status != 101) {
      SLUICE_TRY(read_body(*head, response));
    }
    if (head->close || (!head->chunked && !head->has_length && !head_request &&
                        head->status != 204 && head->status != 304)) {
      drop();
    }
    return response;
  }
}

Result<void> HttpClient::read_body(const Head& head, HttpResponse& response) {
  if (head.chunked) return read_chunked(response);
  if (!head.has_length) return read_until_close(response);
  while (in_.size() - in_begin_ < head.length) {
    Result<bool> more = read_more();
    if (!more.ok()) return std::move(more).error();
    if (!*more) {
      return Error(Errc::closed, server() + " closed the connection after " +
                                     std::to_string(in_.size() - in_begin_) + " of " +
                                     std::to_string(head.length) + " body bytes");
    }
  }
  response.body.assign(in_, in_begin_, head.length);
  in_begin_ += head.length;
  return {};
}

Result<void> HttpClient::read_chunked(HttpResponse& response) {
  for (;;) {
    Result<std::string> line = read_line(kMaxChunkLineBytes, "chunk size line");
    if (!line.ok()) return std::move(line).error();
    const std::string_view size_text = trim(std::string_view(*line).substr(0, line->find(';')));
    uint64_t size = 0;
    if (size_text.empty() || size_text.size() > kMaxChunkSizeDigits ||
        std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16).ptr !=
            size_text.data() + size_text.size()) {
      return malformed("chunk size line " + quoted(*line));
    }
    if (size == 0) break;
    if (size > options_.max_body_bytes - response.body.size()) {
      return Error(Errc::too_large, "the chunked response body from " + server() + " is above " +
                                        std::to_string(options_.max_body_bytes) + " bytes");
    }
    while (in_.size() - in_begin_ < size + 2) {
      Result<bool> more = read_more();
      if (!more.ok()) return std::move(more).error();
      if (!*more) return Error(Errc::closed, server() + " closed the connection inside a chunk");
    }
    if (in_[in_begin_ + size] != '\r' || in_[in_begin_ + size + 1] != '\n') {
      return malformed("a chunk of " + std::to_string(size) + " bytes not followed by CRLF");
    }
    response.body.append(in_, in_begin_, size);
    in_begin_ += size + 2;
  }
  // Trailers: read and dropped (sluice's API sends none), bounded like the head.
  size_t budget = options_.max_head_bytes;
  for (;;) {
    Result<std::string> trailer = read_line(budget, "trailers");
    if (!trailer.ok()) return std::move(trailer).error();
    if (trailer->empty()) return {};
    budget -= std::min(budget, trailer->size() + 2);
  }
}

Result<void> HttpClient::read_until_close(HttpResponse& response) {
  for (;;) {
    if (in_.size() - in_begin_ > options_.max_body_bytes) {
      return Error(Errc::too_large, "the response body from " + server() + " is above " +
                                        std::to_string(options_.max_body_bytes) + " bytes");
    }
    Result<bool> more = read_more();
    if (!more.ok()) return std::move(more).error();
    if (!*more) break;
  }
  response.body.assign(in_, in_begin_);
  in_begin_ = in_.size();
  return {};
}

}  // namespace sluice::tools
