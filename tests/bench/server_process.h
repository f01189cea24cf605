// ServerProcess: a server program (sluiced, redis-server) that a sluice-bench test starts,
// waits for and stops. The command runs through /bin/sh, which prints its pid and then execs
// the program, so the pid is the server's; the test reads its output until the line that says
// it is ready, and SIGTERM stops it when the object goes.
//
// Thread-safety: owned by one test.
#pragma once

#include "io/socket.h"

#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

namespace sluice::testing {

class ServerProcess {
 public:
  // Starts `command` and reads its output until a line contains `ready_text` (at most
  // `timeout`). On failure, nullptr and what it printed in `output`.
  static std::unique_ptr<ServerProcess> start(
      const std::string& command, const std::string& ready_text, std::string* output,
      std::chrono::seconds timeout = std::chrono::seconds(20)) {
    FILE* pipe = popen(("echo $$; exec " + command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) return nullptr;
    std::unique_ptr<ServerProcess> server(new ServerProcess(pipe));
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string line;
    bool have_pid = false;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!server->read_line(&line, deadline)) break;
      *output += line;
      if (!have_pid) {
        server->pid_ = static_cast<pid_t>(std::atol(line.c_str()));
        have_pid = server->pid_ > 0;
        continue;
      }
      if (line.find(ready_text) != std::string::npos) {
        server->ready_line_ = line;
        return server;
      }
    }
    return nullptr;  // the destructor stops what started
  }

  ~ServerProcess() {
    if (pid_ > 0) kill(pid_, SIGTERM);
    // Drain the output so that the server never blocks on a full pipe while it stops.
    char buffer[4096];
    while (std::fread(buffer, 1, sizeof buffer, pipe_) > 0) {
    }
    pclose(pipe_);
  }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  const std::string& ready_line() const { return ready_line_; }

  // The port after `prefix` in the ready line ("Kafka on 127.0.0.1:" -> 40123); 0 if absent.
  uint16_t port_after(const std::string& prefix) const {
    const size_t at = ready_line_.find(prefix);
    if (at == std::string::npos) return 0;
    return static_cast<uint16_t>(std::atoi(ready_line_.c_str() + at + prefix.size()));
  }

  // A TCP port nobody listens on right now (a listener on port 0 tells one, then closes).
  static uint16_t free_port() {
    Result<int> fd = io::listen_tcp(io::HostPort{"127.0.0.1", 0});
    if (!fd.ok()) return 0;
    Result<uint16_t> port = io::local_port(*fd);
    io::close_socket(*fd);
    return port.ok() ? *port : 0;
  }

  // sluiced with 2 shards on ephemeral Kafka and HTTP ports of 127.0.0.1, its data in
  // `data_dir`; find the ports with port_after("Kafka on 127.0.0.1:") and
  // port_after("HTTP on 127.0.0.1:").
  static std::unique_ptr<ServerProcess> start_sluiced(const std::string& data_dir,
                                                      std::string* output) {
    return start(bin("sluiced") + " --data-dir " + data_dir +
                     " --kafka-listen 127.0.0.1:0 --http-listen 127.0.0.1:0 --shards 2",
                 "sluiced: Kafka on", output);
  }

  // $SLUICE_BIN_DIR/<program>.
  static std::string bin(const std::string& program) {
    const char* dir = std::getenv("SLUICE_BIN_DIR");
    return std::string(dir != nullptr ? dir : "build/bin") + "/" + program;
  }

 private:
  explicit ServerProcess(FILE* pipe) : pipe_(pipe) {}

  // One line of output (with its newline), waiting until `deadline`; false at the end or on
  // the deadline.
  bool read_line(std::string* line, std::chrono::steady_clock::time_point deadline) {
    line->clear();
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fileno(pipe_), POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      char c = 0;
      if (::read(fileno(pipe_), &c, 1) != 1) return false;
      *line += c;
      if (c == '\n') return true;
    }
  }

  FILE* pipe_;
  pid_t pid_ = 0;
  std::string ready_line_;
};

}  // namespace sluice::testing
