// HttpClient: a small blocking HTTP/1.1 client for the tools (the `sluice` CLI, sluice-bench)
// that talk to sluiced's HTTP API. One keep-alive TCP connection (io/socket.h), one request at
// a time: request() sends the whole request with its Content-Length and reads the whole
// response. Bodies may come with Content-Length, chunked, or (without either) up to the
// connection's close. When the server closes a connection (Connection: close, a body delimited
// by the close, an error), the next request opens a new one.
//
// Everything read is bounded (HttpClientOptions) and every wait for the server is bounded by
// the timeout. A response that breaks HTTP/1.1 is an error that quotes what was wrong; the
// connection is then dropped, since its framing can no longer be trusted.
//
// Thread-safety: one HttpClient per thread.
#pragma once

#include <sluice/result.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::tools {

struct HttpClientOptions {
  size_t max_head_bytes = 64 * 1024;  // status line and headers (trailers too)
  size_t max_body_bytes = 64u << 20;
  // How long a receive waits for the server's next bytes; zero waits for ever.
  std::chrono::milliseconds timeout{30000};
  // What errors call the server: "cannot reach sluiced at 127.0.0.1:8080: ...". Empty: the
  // address alone.
  std::string server_name;
};

struct HttpHeader {
  std::string name;
  std::string value;
};

struct HttpResponse {
  int status = 0;
  std::string reason;
  std::vector<HttpHeader> headers;
  std::string body;

  // The first header of that name (any case); nullptr when absent.
  const std::string* header(std::string_view name) const;
};

// `text` with every byte but the unreserved ones (RFC 3986: letters, digits, "-._~") written
// as %XX: a path segment or query value that means exactly `text`.
std::string percent_encode(std::string_view text);

class HttpClient {
 public:
  // For `address` "HOST:PORT" (io::parse_host_port); connects at once so that an unreachable
  // server is reported here: Errc::closed (refused, unreachable) or the socket's error, with
  // the message "cannot reach HOST:PORT: <why>".
  static Result<HttpClient> connect(std::string_view address,
                                    const HttpClientOptions& options = {});

  HttpClient(HttpClient&& other) noexcept;
  HttpClient& operator=(HttpClient&& other) noexcept;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  ~HttpClient();

  // Sends `method target` with `body` (Content-Length always; Content-Type when there is a
  // body) and returns the response, whatever its status. Errors: invalid_argument for a
  // response that is not HTTP/1.1 (malformed status line or header, bad chunk framing),
  // too_large past a limit, closed when the server closed the connection before the end of
  // the response, timed_out when it stopped answering, and the socket's errors.
  Result<HttpResponse> request(std::string_view method, std::string_view target,
                               std::string_view body = {},
                               std::string_view content_type = "application/json");
  Result<HttpResponse> get(std::string_view target) { return request("GET", target); }
  Result<HttpResponse> post(std::string_view target, std::string_view json_body) {
    return request("POST", target, json_body);
  }

  // "HOST:PORT" as given to connect().
  const std::string& address() const { return address_; }
  // "sluiced at HOST:PORT" (HttpClientOptions::server_name), for messages.
  std::string server() const;

 private:
  struct Head;

  HttpClient(std::string address, const HttpClientOptions& options)
      : address_(std::move(address)), options_(options) {}

  Result<void> open();
  void drop();
  Result<void> send(std::string_view method, std::string_view target, std::string_view body,
                    std::string_view content_type);
  Result<HttpResponse> read_response(bool head_request);
  // Reads more bytes into in_; false at the end of the stream.
  Result<bool> read_more();
  // The next line (without its CRLF) of at most `limit` bytes, consumed from in_.
  Result<std::string> read_line(size_t limit, const char* what);
  Result<Head> read_head();
  Result<void> read_body(const Head& head, HttpResponse& response);
  Result<void> read_chunked(HttpResponse& response);
  Result<void> read_until_close(HttpResponse& response);
  Error malformed(const std::string& what) const;

  std::string address_;
  HttpClientOptions options_;
  int fd_ = -1;
  std::string in_;  // received bytes, not yet consumed, from in_begin_
  size_t in_begin_ = 0;
};

}  // namespace sluice::tools
