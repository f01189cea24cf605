#include "server/http/response.h"

#include "server/http/json_writer.h"

#include "io/assert.h"

#include <charconv>
#include <chrono>
#include <cstring>
#include <ctime>

namespace sluice::server::http {
namespace {

constexpr size_t kLengthWidth = 10;  // bodies stay far below 10^10 bytes

// The Date field's value for this second, formatted once a second per thread.
std::string_view http_date() {
  thread_local time_t cached_second = -1;
  thread_local char cached[32];
  const time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  if (now != cached_second) {
    struct tm parts {};
    gmtime_r(&now, &parts);
    const size_t n = std::strftime(cached, sizeof(cached), "%a, %d %b %Y %H:%M:%S GMT", &parts);
    SLUICE_ASSERT(n == 29);
    cached_second = now;
  }
  return std::string_view(cached, 29);
}

}  // namespace

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    case 507:
      return "Insufficient Storage";
    default:
      return "Unknown";
  }
}

std::string_view error_code_for_status(int status) {
  switch (status) {
    case 400:
      return "bad_request";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 409:
      return "conflict";
    case 413:
      return "body_too_large";
    case 431:
      return "headers_too_large";
    case 501:
      return "not_implemented";
    case 503:
      return "unavailable";
    case 505:
      return "http_version_not_supported";
    default:
      return status >= 500 ? "internal_error" : "bad_request";
  }
}

ResponseWriter::ResponseWriter(std::string& out, const ResponseHead& head)
    : out_(out), head_only_(head.head_only) {
  SLUICE_ASSERT(head.status >= 200 && head.status <= 999);
  char status[3] = {static_cast<char>('0' + head.status / 100),
                    static_cast<char>('0' + head.status / 10 % 10),
                    static_cast<char>('0' + head.status % 10)};
  out_.append("HTTP/1.1 ", 9);
  out_.append(status, 3);
  out_.push_back(' ');
  out_.append(reason_phrase(head.status));
  out_.append("\r\nServer: sluiced\r\nDate: ");
  out_.append(http_date());
  if (!head.content_type.empty()) {
    out_.append("\r\nContent-Type: ");
    out_.append(head.content_type);
  }
  out_.append("\r\nConnection: ");
  out_.append(head.close ? "close" : "keep-alive");
  out_.append("\r\nContent-Length: ");
  length_field_ = out_.size();
  out_.append(kLengthWidth, ' ');
  out_.append("\r\n", 2);
  out_.append(head.extra_fields);
  out_.append("\r\n", 2);
  body_begin_ = out_.size();
}

void ResponseWriter::finish() {
  const size_t length = out_.size() - body_begin_;
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), length);
  SLUICE_ASSERT(ec == std::errc());
  const size_t n = static_cast<size_t>(end - digits);
  SLUICE_ASSERT(n <= kLengthWidth);
  std::memcpy(out_.data() + length_field_ + kLengthWidth - n, digits, n);
  if (head_only_) out_.resize(body_begin_);
}

void write_response(std::string& out, const ResponseHead& head, std::string_view body) {
  ResponseWriter writer(out, head);
  writer.body().append(body);
  writer.finish();
}

void write_error(std::string& out, const ResponseHead& head, std::string_view code,
                 std::string_view message) {
  ResponseWriter writer(out, head);
  JsonWriter json(writer.body());
  json.begin_object();
  json.field("error", code);
  json.key("message");
  json.string_lossy(message);
  json.end_object();
  writer.finish();
}

}  // namespace sluice::server::http
