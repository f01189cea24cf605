// Connection: one accepted socket on a shard's ring, carrying a Session's bytes. It keeps at
// most one recv and one send in flight: input goes into a buffer the session parses from (grown
// up to the session's frame limit, compacted as requests are consumed), output comes from the
// session and goes out whole.
//
// Closing: when the peer closes (recv 0) the session is told; the connection lives on until the
// session has completed what it accepted and its output is sent. A socket error, or a session
// that asks to close, ends it at once: shutdown wakes the operations in flight, and once both
// have come back the descriptor is closed and the connection is finished().
//
// Thread-safety: the shard thread only (its ring's callbacks run there).
#pragma once

#include "io/file_system.h"
#include "server/session.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace sluice::io {
class Ring;
}

namespace sluice::server {

class Connection {
 public:
  // `max_input_bytes`: the input buffer's bound (the largest request plus a read's worth).
  Connection(io::Ring& ring, int fd, std::shared_ptr<Session> session, size_t max_input_bytes);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Moves the connection on: polls the session, starts a recv or a send when due. Returns the
  // work done.
  size_t poll(int64_t now_ms);
  // Stop reading (the server is stopping): the session completes what it has, then the
  // connection closes.
  void stop_input();
  // Ends the connection now (output not yet sent is dropped).
  void abort();
  // True once the socket is closed and no operation is in flight: the owner may destroy it.
  bool finished() const { return closed_ && !recv_in_flight_ && !send_in_flight_; }
  int fd() const { return fd_; }
  // True while the session has requests in flight (they may wait on time: a long poll).
  bool waiting() const { return !closed_ && session_->in_flight() > 0; }

 private:
  static void on_recv(io::IoOp& op, Result<uint64_t> result);
  static void on_send(io::IoOp& op, Result<uint64_t> result);
  void start_recv();
  void start_send();
  void feed_session();
  void close_now();
  // No more input: the session is told once.
  void end_input();

  io::Ring& ring_;
  int fd_;
  std::shared_ptr<Session> session_;
  const size_t max_input_bytes_;

  std::vector<std::byte> input_;  // [0, input_used_) holds bytes not yet consumed
  size_t input_used_ = 0;
  io::IoOp recv_op_;
  io::IoOp send_op_;
  bool recv_in_flight_ = false;
  bool send_in_flight_ = false;
  size_t send_length_ = 0;
  bool input_ended_ = false;  // the peer closed, or we stopped reading
  bool shut_ = false;         // shutdown_socket was called
  bool closed_ = false;       // the descriptor is closed
  bool fresh_input_ = false;  // bytes arrived that the session has not seen
};

}  // namespace sluice::server
