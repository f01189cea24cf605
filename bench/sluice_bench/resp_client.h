// RespConnection: a small client of the Redis protocol (RESP2) for sluice-bench redis, over one
// blocking TCP connection (io/socket.h). Commands are appended to an output buffer and sent
// together by flush(), so that a caller pipelines as many as it likes; replies are read back
// one at a time, in order.
//
// A reply is summed up, not kept whole: its type, a simple string's, error's or bulk string's
// text, an integer, and for an array its element count and the first bulk string inside it
// (depth first: the entry id of an XRANGE answer).
//
// Thread-safety: one connection per thread.
#pragma once

#include "io/socket.h"

#include <sluice/result.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::bench {

struct RespReply {
  char type = 0;         // '+', '-', ':', '$' or '*'
  bool null = false;     // a null bulk string or array
  std::string text;      // +, -, $; for * the first bulk string inside
  int64_t integer = 0;   // :
  int64_t elements = 0;  // *
};

class RespConnection {
 public:
  static Result<RespConnection> open(const io::HostPort& address);
  RespConnection(RespConnection&& other) noexcept;
  RespConnection& operator=(RespConnection&&) = delete;
  ~RespConnection();

  // Appends one command (an array of bulk strings) to the output.
  void append(std::initializer_list<std::string_view> words);
  // Sends what was appended.
  Result<void> flush();
  // The next reply. Errors: closed when the server closes, invalid_argument for bytes that are
  // not RESP.
  Result<RespReply> read_reply();

 private:
  explicit RespConnection(int fd) : fd_(fd) {}
  Result<void> read_more();
  // Parses one value at `at`; the position past it, or 0 when the buffer does not hold all of
  // it yet.
  Result<size_t> parse(size_t at, RespReply& out, int depth);
  // The position past the line at `at` ("...\r\n"), or 0 when incomplete.
  size_t line_end(size_t at) const;

  int fd_ = -1;
  std::string output_;
  std::vector<char> buffer_;
  size_t begin_ = 0;  // the unread bytes are [begin_, end_)
  size_t end_ = 0;
};

}  // namespace sluice::bench
