#include "server/net/listener.h"

#include "io/assert.h"
#include "io/logger.h"
#include "io/ring.h"
#include "io/socket.h"

#include <algorithm>
#include <chrono>
#include <string>

namespace sluice::server {
namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Listener::Listener(int fd, std::function<void(int fd)> on_accept)
    : fd_(fd), on_accept_(std::move(on_accept)) {
  SLUICE_ASSERT(fd_ >= 0);
  op_.callback = &Listener::on_accepted;
  op_.context = this;
}

Listener::~Listener() {
  SLUICE_ASSERT(!in_flight_);
  io::close_socket(fd_);
}

void Listener::poll(io::Ring& ring) {
  if (stopped_ || in_flight_) return;
  if (failures_ > 0 && now_ns() < retry_at_ns_) return;
  in_flight_ = true;
  ring.accept(op_, fd_);
}

void Listener::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (in_flight_) io::shutdown_socket(fd_);
}

void Listener::on_accepted(io::IoOp& op, Result<uint64_t> result) {
  auto* self = static_cast<Listener*>(op.context);
  self->in_flight_ = false;
  if (!result.ok()) {
    if (self->stopped_) return;
    // Out of descriptors or memory: back off (1 ms doubling to 1 s) and try again; the
    // connections already open go on.
    ++self->failures_;
    int64_t delay_ns = int64_t{1'000'000} << std::min<uint32_t>(self->failures_ - 1, 10);
    self->retry_at_ns_ = now_ns() + delay_ns;
    log_line(LogLevel::warning, "accept failed (" + std::to_string(self->failures_) +
                                    " in a row): " + result.error().to_string());
    return;
  }
  self->failures_ = 0;
  int fd = static_cast<int>(result.value());
  if (self->stopped_) {
    io::close_socket(fd);
    return;
  }
  self->on_accept_(fd);
}

}  // namespace sluice::server
