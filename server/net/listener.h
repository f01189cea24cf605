// Listener: a listening socket served on one shard's ring. Each shard has its own listener
// on the same port (SO_REUSEPORT), so the kernel spreads connections over the shards and a
// connection lives on the shard that accepted it.
//
// Thread-safety: the shard thread only, except the constructor (any thread, before attach).
#pragma once

#include "io/file_system.h"

#include <functional>

namespace sluice::io {
class Ring;
}

namespace sluice::server {

class Listener {
 public:
  // Takes ownership of the listening descriptor. `on_accept(fd)` runs on the shard thread for
  // each new connection (the callee owns fd).
  Listener(int fd, std::function<void(int fd)> on_accept);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Arms the accept if it is not in flight (after start and after each connection).
  void poll(io::Ring& ring);
  // Stops accepting: shuts the socket down, which ends the accept in flight.
  void stop();
  // True once stopped and the accept has come back: the owner may destroy it.
  bool finished() const { return stopped_ && !in_flight_; }

 private:
  static void on_accepted(io::IoOp& op, Result<uint64_t> result);

  int fd_;
  std::function<void(int)> on_accept_;
  io::IoOp op_;
  bool in_flight_ = false;
  bool stopped_ = false;
  // Consecutive failed accepts (EMFILE and the like): the listener backs off instead of
  // spinning on them.
  uint32_t failures_ = 0;
  int64_t retry_at_ns_ = 0;
};

}  // namespace sluice::server
