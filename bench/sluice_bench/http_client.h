// HttpConnection: a small HTTP/1.1 client for sluice-bench http, over one blocking keep-alive
// TCP connection (io/socket.h): it sends a whole request and reads its response, one at a time.
// Responses must carry Content-Length (sluiced's do); chunked bodies are refused.
//
// Thread-safety: one connection per thread.
#pragma once

#include "io/socket.h"

#include <sluice/result.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::bench {

struct HttpResponse {
  int status = 0;
  std::string_view body;  // valid until the connection's next exchange
};

class HttpConnection {
 public:
  static Result<HttpConnection> open(const io::HostPort& address);
  HttpConnection(HttpConnection&& other) noexcept;
  HttpConnection& operator=(HttpConnection&&) = delete;
  ~HttpConnection();

  // Sends `request` (request line, headers, the empty line and the body) and reads the
  // response. Errors: closed when the server closes first, invalid_argument for a response
  // this client cannot read, io_error from the socket.
  Result<HttpResponse> exchange(std::string_view request);

  // "GET <path> HTTP/1.1" with the Host header.
  std::string get_request(std::string_view path) const;
  // A request with a JSON body.
  std::string json_request(std::string_view method, std::string_view path,
                           std::string_view body) const;

 private:
  HttpConnection(int fd, std::string host) : fd_(fd), host_(std::move(host)) {}
  // Reads more bytes into the buffer; Errc::closed at the end of the stream.
  Result<void> read_more();
  // The head's end (past the empty line) once the buffer holds it, else 0.
  size_t head_end() const;

  int fd_ = -1;
  std::string host_;
  std::vector<char> buffer_;
  size_t begin_ = 0;  // the unread bytes are [begin_, end_)
  size_t end_ = 0;
};

}  // namespace sluice::bench
