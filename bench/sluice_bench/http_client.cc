#include "bench/sluice_bench/http_client.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <span>
#include <utility>

#include <strings.h>

namespace sluice::bench {
namespace {

constexpr size_t kReadBytes = 64 * 1024;
constexpr size_t kMaxHeadBytes = 64 * 1024;
constexpr size_t kMaxBodyBytes = 64u << 20;

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

Error unreadable(const std::string& why) {
  return Error(Errc::invalid_argument, "unreadable HTTP response: " + why);
}

struct Head {
  int status = 0;
  uint64_t content_length = 0;
};

// Parses the status line and the headers this client needs.
Result<Head> parse_head(std::string_view head) {
  Head out;
  const size_t line_end = head.find("\r\n");
  const std::string_view status_line = head.substr(0, line_end);
  if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/") {
    return unreadable("status line '" + std::string(status_line.substr(0, 40)) + "'");
  }
  const std::string_view code = status_line.substr(9, 3);
  if (std::from_chars(code.data(), code.data() + 3, out.status).ec != std::errc()) {
    return unreadable("status code");
  }
  bool has_length = false;
  size_t at = line_end + 2;
  while (at < head.size()) {
    size_t end = head.find("\r\n", at);
    if (end == std::string_view::npos) end = head.size();
    const std::string_view line = head.substr(at, end - at);
    at = end + 2;
    if (line.empty()) break;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return unreadable("header line");
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    if (equals_ignoring_case(name, "content-length")) {
      if (std::from_chars(value.data(), value.data() + value.size(), out.content_length).ec !=
              std::errc() ||
          out.content_length > kMaxBodyBytes) {
        return unreadable("Content-Length");
      }
      has_length = true;
    } else if (equals_ignoring_case(name, "transfer-encoding")) {
      return unreadable("chunked bodies are not supported");
    }
  }
  if (!has_length) return unreadable("no Content-Length");
  return out;
}

}  // namespace

Result<HttpConnection> HttpConnection::open(const io::HostPort& address) {
  Result<int> fd = io::connect_tcp(address);
  if (!fd.ok()) return std::move(fd).error();
  HttpConnection connection(*fd, address.host + ":" + std::to_string(address.port));
  connection.buffer_.resize(kReadBytes);
  return connection;
}

HttpConnection::HttpConnection(HttpConnection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      host_(std::move(other.host_)),
      buffer_(std::move(other.buffer_)),
      begin_(other.begin_),
      end_(other.end_) {}

HttpConnection::~HttpConnection() {
  if (fd_ >= 0) io::close_socket(fd_);
}

std::string HttpConnection::get_request(std::string_view path) const {
  std::string request;
  request.reserve(path.size() + host_.size() + 32);
  request.append("GET ")
      .append(path)
      .append(" HTTP/1.1\r\nHost: ")
      .append(host_)
      .append("\r\n\r\n");
  return request;
}

std::string HttpConnection::json_request(std::string_view method, std::string_view path,
                                         std::string_view body) const {
  std::string request;
  request.reserve(path.size() + host_.size() + body.size() + 96);
  request.append(method).append(" ").append(path).append(" HTTP/1.1\r\nHost: ").append(host_);
  request.append("\r\nContent-Type: application/json\r\nContent-Length: ")
      .append(std::to_string(body.size()))
      .append("\r\n\r\n")
      .append(body);
  return request;
}

Result<void> HttpConnection::read_more() {
  if (begin_ > 0 && begin_ == end_) begin_ = end_ = 0;
  if (end_ == buffer_.size()) {
    if (begin_ > 0) {  // move the unread bytes to the front
      std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    } else {
      buffer_.resize(buffer_.size() * 2);
    }
  }
  Result<size_t> got = io::recv_some(
      fd_, std::as_writable_bytes(std::span<char>(buffer_.data() + end_, buffer_.size() - end_)));
  if (!got.ok()) return std::move(got).error();
  if (*got == 0) return Error(Errc::closed, "the server closed the connection");
  end_ += *got;
  return {};
}

size_t HttpConnection::head_end() const {
  const std::string_view unread(buffer_.data() + begin_, end_ - begin_);
  const size_t at = unread.find("\r\n\r\n");
  return at == std::string_view::npos ? 0 : at + 4;
}

Result<HttpResponse> HttpConnection::exchange(std::string_view request) {
  SLUICE_TRY(io::send_all(fd_, std::as_bytes(std::span<const char>(request))));
  size_t head_bytes = 0;
  while ((head_bytes = head_end()) == 0) {
    if (end_ - begin_ > kMaxHeadBytes) return unreadable("a head above 64 KiB");
    SLUICE_TRY(read_more());
  }
  Result<Head> head = parse_head(std::string_view(buffer_.data() + begin_, head_bytes));
  if (!head.ok()) return std::move(head).error();
  while (end_ - begin_ < head_bytes + head->content_length) {
    SLUICE_TRY(read_more());
  }
  HttpResponse response;
  response.status = head->status;
  response.body = std::string_view(buffer_.data() + begin_ + head_bytes, head->content_length);
  begin_ += head_bytes + head->content_length;
  return response;
}

}  // namespace sluice::bench
