#include "server/net/connection.h"

#include "io/assert.h"
#include "io/ring.h"
#include "io/socket.h"

#include <algorithm>
#include <cstring>

namespace sluice::server {
namespace {

// A recv asks for at least this much room (and the buffer starts at this size).
constexpr size_t kMinRecvBytes = 64 * 1024;

}  // namespace

Connection::Connection(io::Ring& ring, int fd, std::shared_ptr<Session> session,
                       size_t max_input_bytes)
    : ring_(ring),
      fd_(fd),
      session_(std::move(session)),
      max_input_bytes_(std::max(max_input_bytes, kMinRecvBytes)) {
  SLUICE_ASSERT(fd_ >= 0);
  input_.resize(kMinRecvBytes);
  recv_op_.callback = &Connection::on_recv;
  recv_op_.context = this;
  send_op_.callback = &Connection::on_send;
  send_op_.context = this;
}

Connection::~Connection() {
  SLUICE_ASSERT(finished());
  io::close_socket(fd_);
}

size_t Connection::poll(int64_t now_ms) {
  if (closed_) return 0;
  size_t work = 0;
  if (fresh_input_) {
    fresh_input_ = false;
    feed_session();
    ++work;
  }
  work += session_->poll(now_ms);
  // Input held back while the session was paused gets its turn as soon as it resumes.
  if (input_used_ > 0 && !session_->input_paused() && !session_->should_close()) {
    size_t before = input_used_;
    feed_session();
    if (input_used_ != before) ++work;
  }
  if (!send_in_flight_ && session_->has_output()) {
    start_send();
    ++work;
  }
  if (session_->should_close() && !send_in_flight_ && !session_->has_output()) {
    close_now();
    return work + 1;
  }
  if (input_ended_) {
    if (session_->in_flight() == 0 && !send_in_flight_ && !session_->has_output()) {
      close_now();
      ++work;
    }
    return work;
  }
  if (!recv_in_flight_ && !session_->input_paused() && !session_->should_close()) start_recv();
  return work;
}

void Connection::feed_session() {
  if (input_used_ == 0 || session_->should_close()) return;
  size_t used = session_->on_input(std::span<const std::byte>(input_.data(), input_used_));
  SLUICE_ASSERT(used <= input_used_);
  if (used == 0) return;
  std::memmove(input_.data(), input_.data() + used, input_used_ - used);
  input_used_ -= used;
}

void Connection::start_recv() {
  SLUICE_ASSERT(!recv_in_flight_);
  if (input_.size() - input_used_ < kMinRecvBytes) {
    // The session is waiting for the rest of a large request: make room, up to the bound.
    if (input_.size() >= max_input_bytes_) {
      // Cannot happen with a correct session (it refuses frames above its limit first), but a
      // connection must never grow without bound: treat it as a protocol error.
      abort();
      return;
    }
    input_.resize(
        std::min(max_input_bytes_, std::max(input_.size() * 2, input_used_ + kMinRecvBytes)));
  }
  recv_in_flight_ = true;
  ring_.recv(recv_op_, fd_, input_.data() + input_used_, input_.size() - input_used_);
}

void Connection::start_send() {
  SLUICE_ASSERT(!send_in_flight_);
  std::span<const std::byte> out = session_->pending_output();
  if (out.empty()) return;
  send_in_flight_ = true;
  send_length_ = out.size();
  // The session keeps these bytes unchanged until sent() (Session's contract).
  ring_.send(send_op_, fd_, out.data(), out.size());
}

void Connection::on_recv(io::IoOp& op, Result<uint64_t> result) {
  auto* self = static_cast<Connection*>(op.context);
  self->recv_in_flight_ = false;
  if (self->closed_) return;
  if (!result.ok() || result.value() == 0) {
    // The peer closed (or reset): no more input. What the session accepted still completes.
    self->end_input();
    if (!result.ok()) self->abort();
    return;
  }
  self->input_used_ += result.value();
  self->fresh_input_ = true;
}

void Connection::on_send(io::IoOp& op, Result<uint64_t> result) {
  auto* self = static_cast<Connection*>(op.context);
  self->send_in_flight_ = false;
  if (self->closed_) return;
  if (!result.ok()) {
    self->abort();
    return;
  }
  SLUICE_ASSERT(result.value() == self->send_length_);
  self->session_->sent(self->send_length_);
}

void Connection::stop_input() {
  if (input_ended_ || closed_) return;
  end_input();
  // A pending recv would wait for ever: end it (it completes with 0). Sending stays possible.
  if (recv_in_flight_) io::shutdown_socket_read(fd_);
}

void Connection::end_input() {
  if (input_ended_) return;
  input_ended_ = true;
  session_->input_closed();
}

void Connection::abort() {
  if (closed_) return;
  close_now();
}

void Connection::close_now() {
  if (closed_) return;
  if (!shut_) {
    shut_ = true;
    io::shutdown_socket(fd_);
  }
  end_input();
  closed_ = true;
  // The descriptor is closed by the destructor, once the operations in flight have come back
  // (they name it): until then finished() stays false.
}

}  // namespace sluice::server
