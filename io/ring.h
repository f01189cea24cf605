// Ring: one io_uring instance. The features sluice needs are probed in create(); a kernel
// that lacks one fails there with Errc::unsupported naming it.
//
// Every operation completes through its IoOp's callback from run(). The Ring retries EINTR and
// EAGAIN, continues short reads and writes, and maps every other errno to an Errc on purpose
// (see errno_to_errc). When the submission queue is full, operations wait in an intrusive
// overflow list (no allocation) and are submitted as room frees up.
//
// Thread-safety: a Ring belongs to one thread; every call, run() included, is made from it.
#pragma once

#include "io/file_system.h"

#include <sluice/result.h>

#include <chrono>
#include <cstdint>
#include <memory>

struct iovec;

namespace sluice::io {

// Maps an errno from a failed operation to an Errc; `what` names the operation for the
// message ("pwrite 00000000000000000000.log").
Error errno_error(int err, const std::string& what);
Errc errno_to_errc(int err);

class Ring {
 public:
  struct Options {
    uint32_t entries = 256;  // submission queue size (a power of two)
    bool sqpoll = false;     // a kernel thread polls the submission queue
    uint32_t sqpoll_idle_ms = 1000;
  };

  static Result<std::unique_ptr<Ring>> create(const Options& options);
  // Operations still in flight are cancelled, and their callbacks never run; the kernel no
  // longer touches their buffers once the destructor returns (bounded wait, logged if not).
  ~Ring();
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  // Result value: the new file descriptor.
  void openat(IoOp& op, int dir_fd, const char* path, int flags, unsigned mode);
  void close(IoOp& op, int fd);
  // Result value: bytes written, always `length` on success.
  void write(IoOp& op, int fd, uint64_t offset, const void* data, uint64_t length);
  // Result value: bytes written. `iov` must stay valid until the callback; short writes are
  // continued across the vector.
  void writev(IoOp& op, int fd, uint64_t offset, const struct iovec* iov, uint32_t count);
  // Result value: bytes read; fewer than length only at end of file.
  void read(IoOp& op, int fd, uint64_t offset, void* out, uint64_t length);
  void fdatasync(IoOp& op, int fd);
  void fallocate(IoOp& op, int fd, int mode, uint64_t offset, uint64_t length);
  // A write linked to an fdatasync (IOSQE_IO_LINK): sync_op completes after write_op.
  void write_then_fdatasync(IoOp& write_op, IoOp& sync_op, int fd, uint64_t offset,
                            const void* data, uint64_t length);
  // Completes after `duration` with value 0 (not an error).
  void timeout(IoOp& op, std::chrono::nanoseconds duration);

  // Sockets (io/socket.h makes them). Result value of accept: the new connection's descriptor
  // (close-on-exec). recv: the bytes received, at most `length`, 0 when the peer closed. send:
  // always `length` (short sends are continued; MSG_NOSIGNAL: a closed peer is Errc::closed,
  // never SIGPIPE).
  void accept(IoOp& op, int listen_fd);
  void recv(IoOp& op, int fd, void* out, uint64_t length);
  void send(IoOp& op, int fd, const void* data, uint64_t length);
  // (To end a socket's operations in flight, shut it down: io/socket.h shutdown_socket. A
  // pending recv then completes with 0, a send with Errc::closed, an accept with an error.)

  // Submits queued operations, then runs completed callbacks; when none is ready, waits up to
  // `wait` for one. Returns the number of callbacks run.
  size_t run(std::chrono::nanoseconds wait);
  // Operations submitted whose callbacks have not run yet.
  uint32_t in_flight() const;
  int fd() const;

 private:
  struct Impl;
  explicit Ring(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::io
