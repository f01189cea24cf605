// Ring::Impl: the inside of a Ring, shared by ring.cc (submission and completion),
// ring_prepare.cc (one SQE per operation kind) and ring_setup.cc (set-up, probe, teardown).
// Private to io/; nothing outside the Ring includes it.
//
// Thread-safety: as Ring, one thread.
#pragma once

#include "io/file_system.h"
#include "io/ring.h"

#include <liburing.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace sluice::io {

// What an IoOp carries, in state.opcode. These are ours, not IORING_OP_* values: a continued
// writev may go to the kernel as a plain write of one iovec's remainder.
//
// How each kind uses IoOp::state (fd is always the file, or the directory for openat):
//   openat     data = the path, length = the open flags, offset = the mode
//   close      -
//   write      offset, data, length, done (bytes written so far)
//   writev     offset, data = the iovec array, file.id = its count, length = the total, done
//   read       offset, data, length, done
//   fsync      (fdatasync) in a linked pair: linked = its write; offset, length and done hold
//              the pair's round of CQEs (see PairRound)
//   fallocate  offset, length, file.id = the mode
//   timeout    offset = the duration in ns; data = its timespec slot while in the kernel
//   accept     fd = the listening socket
//   recv       data, length (one receive: completes with whatever arrived; 0 = peer closed)
//   send       data, length, done (short sends continued until all is sent)
enum class OpKind : uint8_t {
  none = 0,
  openat,
  close,
  write,
  writev,
  read,
  fsync,
  fallocate,
  timeout,
  accept,
  recv,
  send
};

inline OpKind op_kind(const IoOp& op) {
  return static_cast<OpKind>(op.state.opcode);
}

inline void set_transfer(IoOp& op, uint64_t offset, void* data, uint64_t length) {
  op.state.offset = offset;
  op.state.data = static_cast<std::byte*>(data);
  op.state.length = length;
  op.state.done = 0;
}

// The CQEs of one round of a linked write and datasync, kept in the datasync's IoOp (which
// has no transfer of its own) until both are in.
struct PairRound {
  static constexpr uint64_t kWrite = 1;
  static constexpr uint64_t kSync = 2;
  uint64_t arrived = 0;
  int write_res = 0;
  int sync_res = 0;
};

inline PairRound pair_round(const IoOp& sync_op) {
  return PairRound{sync_op.state.done, static_cast<int>(static_cast<int64_t>(sync_op.state.offset)),
                   static_cast<int>(static_cast<int64_t>(sync_op.state.length))};
}

inline void set_pair_round(IoOp& sync_op, const PairRound& round) {
  sync_op.state.done = round.arrived;
  sync_op.state.offset = static_cast<uint64_t>(static_cast<int64_t>(round.write_res));
  sync_op.state.length = static_cast<uint64_t>(static_cast<int64_t>(round.sync_res));
}

struct Ring::Impl {
  ~Impl() { shut_down(); }

  io_uring ring{};
  bool ring_ready = false;  // io_uring_queue_init succeeded: exit it on teardown
  // At most this many SQEs are prepared or in the kernel at once: the CQ's size, so that the
  // CQ can never overflow, and the number of timespec slots.
  uint32_t kernel_cap = 0;
  uint32_t in_kernel = 0;  // SQEs prepared whose CQE has not been reaped
  uint32_t in_flight = 0;  // operations accepted whose callbacks have not run
  size_t callbacks_run = 0;
  IoOp* overflow_head = nullptr;  // operations waiting for room, oldest first
  IoOp* overflow_tail = nullptr;
  // A timeout's __kernel_timespec must stay put until the kernel has read it (with SQPOLL that
  // may be after submit returns), so each timeout in the kernel borrows a slot.
  std::vector<__kernel_timespec> timespecs;
  std::vector<uint32_t> free_timespecs;

  // ring.cc
  void begin(IoOp& op, OpKind kind, int fd);
  void start(IoOp& op);
  void push_overflow(IoOp& op);
  void drain_overflow();
  bool try_prepare(IoOp& op);
  void submit();

  size_t reap();
  void on_result(IoOp& op, int res);
  void on_transfer(IoOp& op, int res);
  void on_pair_cqe(IoOp& op, int res);
  void settle_pair(IoOp& write_op, IoOp& sync_op, int write_res, int sync_res);
  void dissolve_pair(IoOp& write_op, IoOp& sync_op);
  void finish(IoOp& op, uint64_t value);
  void fail(IoOp& op, int err);
  void fail_with(IoOp& op, Error error);
  void run_callback(IoOp& op, Result<uint64_t> result);

  // ring_prepare.cc
  void prepare(io_uring_sqe* sqe, IoOp& op);
  void release_timespec(IoOp& op);
  static std::string describe(const IoOp& op);

  // ring_setup.cc
  size_t pump();
  void wait_for_completion(std::chrono::nanoseconds wait);
  void shut_down();
};

}  // namespace sluice::io
