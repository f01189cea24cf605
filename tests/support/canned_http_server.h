// CannedServer: a stand-in for an HTTP server in tests of clients. A thread accepts on a
// loopback port and, for each Answer of its script in turn, reads one request (its head and the
// body its Content-Length announces), records it and sends the answer's bytes as they are (in
// small pieces, so that a client sees lines and chunks split across reads); an answer may
// close the connection after it (the next one is given on the next connection) or send
// nothing and wait. The destructor stops the thread wherever it is.
//
// Thread-safety: requests() and connections() may be read while the thread runs.
#pragma once

#include "io/socket.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace sluice::testing {

// One canned answer: the bytes sent after reading one request, then whether to close the
// connection (the next answer is then given on the next connection).
struct Answer {
  std::string bytes;
  bool close_after = false;
  bool silent = false;  // send nothing and keep the connection open until the test ends
};

class CannedServer {
 public:
  explicit CannedServer(std::vector<Answer> script) : script_(std::move(script)) {
    Result<int> listener = io::listen_tcp(io::HostPort{"127.0.0.1", 0});
    EXPECT_TRUE(listener.ok()) << listener.error().to_string();
    listener_ = *listener;
    Result<uint16_t> port = io::local_port(listener_);
    EXPECT_TRUE(port.ok());
    address_ = "127.0.0.1:" + std::to_string(*port);
    thread_ = std::thread([this] { serve(); });
  }

  ~CannedServer() {
    stop_.store(true);  // relaxed would do: the shutdowns below wake the thread
    io::shutdown_socket(listener_);
    if (const int fd = connection_.load(); fd >= 0) io::shutdown_socket(fd);
    thread_.join();
    io::close_socket(listener_);
  }

  const std::string& address() const { return address_; }

  // After the script ran (or the server stopped): every request read, and the connections.
  std::vector<std::string> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  int connections() const { return connections_.load(); }

 private:
  void serve() {
    int fd = -1;
    for (const Answer& answer : script_) {
      if (fd < 0) {
        Result<int> accepted = io::accept_tcp(listener_);
        if (!accepted.ok() || stop_.load()) return;
        fd = *accepted;
        (void)io::tune_connection(fd);  // small sends leave at once, as the pieces below
        connection_.store(fd);
        connections_.fetch_add(1);
      }
      if (!read_request(fd)) break;
      if (answer.silent) {
        char byte = 0;  // wait for the client to give up (or the test to end)
        (void)io::recv_some(fd, std::as_writable_bytes(std::span<char>(&byte, 1)));
        break;
      }
      // In small pieces, so that the client sees lines and chunks split across reads.
      for (size_t at = 0; at < answer.bytes.size(); at += 7) {
        const std::string_view piece = std::string_view(answer.bytes).substr(at, 7);
        if (!io::send_all(fd, std::as_bytes(std::span<const char>(piece))).ok()) break;
      }
      if (answer.close_after) {
        connection_.store(-1);
        io::close_socket(fd);
        fd = -1;
      }
    }
    if (fd >= 0) {
      connection_.store(-1);
      io::close_socket(fd);
    }
  }

  // Reads one request: its head, then as many body bytes as its Content-Length says.
  bool read_request(int fd) {
    std::string request;
    size_t body_bytes = 0;
    size_t head_end = std::string::npos;
    while (head_end == std::string::npos || request.size() < head_end + body_bytes) {
      char buffer[4096];
      Result<size_t> got = io::recv_some(fd, std::as_writable_bytes(std::span<char>(buffer)));
      if (!got.ok() || *got == 0) return false;
      request.append(buffer, *got);
      if (head_end == std::string::npos &&
          (head_end = request.find("\r\n\r\n")) != std::string::npos) {
        head_end += 4;
        const size_t at = request.find("Content-Length: ");
        if (at != std::string::npos && at < head_end)
          body_bytes = std::stoul(request.substr(at + 16));
      }
    }
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
    return true;
  }

  std::vector<Answer> script_;
  int listener_ = -1;
  std::string address_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connection_{-1};
  std::atomic<int> connections_{0};
  std::mutex mutex_;
  std::vector<std::string> requests_;
};

// "HTTP/1.1 <status> X" with a JSON body and its Content-Length.
inline std::string json_answer(int status, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) +
         " X\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

}  // namespace sluice::testing
