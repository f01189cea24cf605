#include "bench/sluice_bench/resp_client.h"

#include <charconv>
#include <cstring>
#include <span>
#include <utility>

namespace sluice::bench {
namespace {

constexpr size_t kReadBytes = 64 * 1024;
constexpr int kMaxDepth = 8;
constexpr int64_t kMaxBulkBytes = 512ll << 20;

Error not_resp(const std::string& why) {
  return Error(Errc::invalid_argument, "not a RESP reply: " + why);
}

}  // namespace

Result<RespConnection> RespConnection::open(const io::HostPort& address) {
  Result<int> fd = io::connect_tcp(address);
  if (!fd.ok()) return std::move(fd).error();
  RespConnection connection(*fd);
  connection.buffer_.resize(kReadBytes);
  return connection;
}

RespConnection::RespConnection(RespConnection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      output_(std::move(other.output_)),
      buffer_(std::move(other.buffer_)),
      begin_(other.begin_),
      end_(other.end_) {}

RespConnection::~RespConnection() {
  if (fd_ >= 0) io::close_socket(fd_);
}

void RespConnection::append(std::initializer_list<std::string_view> words) {
  output_ += '*';
  output_ += std::to_string(words.size());
  output_ += "\r\n";
  for (std::string_view word : words) {
    output_ += '$';
    output_ += std::to_string(word.size());
    output_ += "\r\n";
    output_ += word;
    output_ += "\r\n";
  }
}

Result<void> RespConnection::flush() {
  Result<void> sent = io::send_all(fd_, std::as_bytes(std::span<const char>(output_)));
  output_.clear();
  return sent;
}

Result<void> RespConnection::read_more() {
  if (begin_ == end_) begin_ = end_ = 0;
  if (end_ == buffer_.size()) {
    if (begin_ > 0) {
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

size_t RespConnection::line_end(size_t at) const {
  for (size_t i = at; i + 1 < end_; ++i) {
    if (buffer_[i] == '\r' && buffer_[i + 1] == '\n') return i + 2;
  }
  return 0;
}

Result<size_t> RespConnection::parse(size_t at, RespReply& out, int depth) {
  if (depth > kMaxDepth) return not_resp("arrays nested too deep");
  const size_t end = line_end(at);
  if (end == 0) return size_t{0};
  const char type = buffer_[at];
  const char* text = buffer_.data() + at + 1;
  const char* text_end = buffer_.data() + end - 2;
  if (type == '+' || type == '-') {
    if (depth == 0) out.text.assign(text, text_end);
    return end;
  }
  int64_t number = 0;
  if (std::from_chars(text, text_end, number).ptr != text_end) return not_resp("a bad number");
  if (type == ':') {
    if (depth == 0) out.integer = number;
    return end;
  }
  if (type == '$') {
    if (number < 0) {
      if (depth == 0) out.null = true;
      return end;
    }
    if (number > kMaxBulkBytes) return not_resp("a bulk string above 512 MiB");
    const size_t past = end + static_cast<size_t>(number) + 2;
    if (past > end_) return size_t{0};
    if (out.text.empty()) out.text.assign(buffer_.data() + end, static_cast<size_t>(number));
    return past;
  }
  if (type == '*') {
    if (depth == 0) {
      out.elements = number;
      out.null = number < 0;
    }
    size_t next = end;
    for (int64_t i = 0; i < number; ++i) {
      Result<size_t> element = parse(next, out, depth + 1);
      if (!element.ok() || *element == 0) return element;
      next = *element;
    }
    return next;
  }
  return not_resp(std::string("type byte '") + type + "'");
}

Result<RespReply> RespConnection::read_reply() {
  while (true) {
    if (begin_ < end_) {
      RespReply reply;
      reply.type = buffer_[begin_];
      Result<size_t> past = parse(begin_, reply, 0);
      if (!past.ok()) return std::move(past).error();
      if (*past > 0) {
        begin_ = *past;
        return reply;
      }
    }
    SLUICE_TRY(read_more());
  }
}

}  // namespace sluice::bench
