// Ring (see io/ring.h). How an operation travels:
//   a call (write, read, ...) records what to do in IoOp::state, then start() turns it into an
//   SQE, or parks it on the overflow list when the SQ (or our cap on operations in the kernel)
//   is full -> run() submits -> a CQE comes back -> on_result() retries EINTR/EAGAIN,
//   continues short transfers, or finishes the operation and runs its callback.
// The SQE's user_data is the IoOp*. The setup and the feature probe live in ring_setup.cc.
#include "io/ring.h"

#include "io/assert.h"
#include "io/logger.h"
#include "io/ring_impl.h"

#include <sys/uio.h>

#include <cerrno>
#include <string>

namespace sluice::io {
namespace {

bool is_retryable(int res) {
  return res == -EINTR || res == -EAGAIN;
}

// A write linked to its datasync: the write carries the pair (state.linked = its datasync), the
// datasync links back to the write.
bool is_pair_write(const IoOp& op) {
  return op_kind(op) == OpKind::write && op.state.linked != nullptr;
}
bool is_pair_sync(const IoOp& op) {
  return op_kind(op) == OpKind::fsync && op.state.linked != nullptr;
}

}  // namespace

Ring::Ring(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Ring::~Ring() = default;

// ---- Submission ----

void Ring::Impl::begin(IoOp& op, OpKind kind, int fd) {
  SLUICE_ASSERT_MSG(op_kind(op) == OpKind::none, "IoOp already carries an operation");
  SLUICE_ASSERT(op.callback != nullptr);
  op.state = IoOp::State{};
  op.state.opcode = static_cast<uint8_t>(kind);
  op.state.fd = fd;
  ++in_flight;
}

void Ring::Impl::start(IoOp& op) {
  // Keep submission order: once anything waits in the overflow list, newcomers wait too.
  if (overflow_head != nullptr || !try_prepare(op)) push_overflow(op);
}

void Ring::Impl::push_overflow(IoOp& op) {
  op.state.next = nullptr;
  if (overflow_tail == nullptr) {
    overflow_head = &op;
  } else {
    overflow_tail->state.next = &op;
  }
  overflow_tail = &op;
}

void Ring::Impl::drain_overflow() {
  while (overflow_head != nullptr) {
    IoOp* op = overflow_head;
    if (!try_prepare(*op)) return;
    overflow_head = op->state.next;
    if (overflow_head == nullptr) overflow_tail = nullptr;
    op->state.next = nullptr;
  }
}

bool Ring::Impl::try_prepare(IoOp& op) {
  // A linked pair needs two adjacent SQEs, so both are taken at once or neither.
  const uint32_t needed = is_pair_write(op) ? 2 : 1;
  if (in_kernel + needed > kernel_cap || io_uring_sq_space_left(&ring) < needed) return false;
  io_uring_sqe* sqe = io_uring_get_sqe(&ring);
  SLUICE_ASSERT(sqe != nullptr);
  prepare(sqe, op);
  ++in_kernel;
  if (needed == 2) {
    sqe->flags |= IOSQE_IO_LINK;
    io_uring_sqe* sync_sqe = io_uring_get_sqe(&ring);
    SLUICE_ASSERT(sync_sqe != nullptr);
    prepare(sync_sqe, *op.state.linked);
    ++in_kernel;
  }
  return true;
}

void Ring::Impl::submit() {
  if (io_uring_sq_ready(&ring) == 0) return;
  int res = 0;
  do {
    res = io_uring_submit(&ring);
  } while (res == -EINTR);
  // EAGAIN and EBUSY: the kernel is short of memory or still flushing completions; the SQEs
  // stay in the SQ and go with the next submit. Anything else is a broken ring.
  if (res < 0 && res != -EAGAIN && res != -EBUSY) {
    SLUICE_UNREACHABLE(errno_error(-res, "io_uring_submit").message().c_str());
  }
}

// ---- Completion ----

size_t Ring::Impl::reap() {
  const size_t callbacks_before = callbacks_run;
  // Only what is ready now: with SQPOLL the kernel may keep adding completions for operations
  // that callbacks submit, and run() must return.
  unsigned ready = io_uring_cq_ready(&ring);
  if (ready == 0 && (IO_URING_READ_ONCE(*ring.sq.kflags) & IORING_SQ_TASKRUN) != 0) {
    // Completions wait as task work (IORING_SETUP_COOP_TASKRUN): entering the kernel posts
    // them. A failure (an interrupted call) leaves them for the next round.
    (void)io_uring_get_events(&ring);
    ready = io_uring_cq_ready(&ring);
  }
  for (unsigned i = 0; i < ready; ++i) {
    io_uring_cqe* cqe = nullptr;
    if (io_uring_peek_cqe(&ring, &cqe) != 0) break;
    auto* op = static_cast<IoOp*>(io_uring_cqe_get_data(cqe));
    const int res = cqe->res;
    // Seen before the callback runs, so that a callback's new operations find the CQ free.
    io_uring_cqe_seen(&ring, cqe);
    SLUICE_ASSERT(op != nullptr);
    SLUICE_ASSERT(in_kernel > 0);
    --in_kernel;
    if (op_kind(*op) == OpKind::timeout) release_timespec(*op);
    if (is_pair_sync(*op) || is_pair_write(*op)) {
      on_pair_cqe(*op, res);
    } else {
      on_result(*op, res);
    }
  }
  return callbacks_run - callbacks_before;
}

void Ring::Impl::on_result(IoOp& op, int res) {
  if (is_retryable(res)) {
    start(op);
    return;
  }
  switch (op_kind(op)) {
    case OpKind::write:
    case OpKind::writev:
    case OpKind::read:
    case OpKind::send:
      on_transfer(op, res);
      return;
    case OpKind::recv:
      // One receive is one completion, whatever its size: the caller parses what came.
      if (res >= 0) return finish(op, static_cast<uint64_t>(res));
      return fail(op, -res);
    case OpKind::timeout:
      // -ETIME is how a pure timer reports that its time ran out: the expected outcome.
      if (res == -ETIME || res >= 0) return finish(op, 0);
      return fail(op, -res);
    case OpKind::accept:
      // A connection that died in the backlog before we took it: wait for the next one.
      if (res == -ECONNABORTED) return start(op);
      if (res >= 0) return finish(op, static_cast<uint64_t>(res));
      return fail(op, -res);
    case OpKind::openat:
    case OpKind::close:
    case OpKind::fsync:
    case OpKind::fallocate:
      if (res >= 0) return finish(op, static_cast<uint64_t>(res));
      return fail(op, -res);
    case OpKind::none:
      break;
  }
  SLUICE_UNREACHABLE("completion for an IoOp that carries no operation");
}

void Ring::Impl::on_transfer(IoOp& op, int res) {
  if (res < 0) return fail(op, -res);
  op.state.done += static_cast<uint64_t>(res);
  SLUICE_ASSERT(op.state.done <= op.state.length);
  if (op.state.done == op.state.length) return finish(op, op.state.done);
  if (res == 0) {
    // A read that returns 0 is at end of file: it completes with what it has. A write that
    // moves nothing would loop for ever; the kernel does not do that for files.
    if (op_kind(op) == OpKind::read) return finish(op, op.state.done);
    return fail(op, EIO);
  }
  start(op);  // the short transfer goes on from offset + done
}

// The write and the datasync of a pair each bring a CQE, in either order. Nothing is decided
// until both are in: a short or retried write cancels the datasync (-ECANCELED), and then the
// pair goes again with the rest of the write, so that the datasync always covers all of it.
void Ring::Impl::on_pair_cqe(IoOp& op, int res) {
  IoOp& sync_op = is_pair_sync(op) ? op : *op.state.linked;
  PairRound round = pair_round(sync_op);
  if (&op == &sync_op) {
    round.sync_res = res;
    round.arrived |= PairRound::kSync;
  } else {
    round.write_res = res;
    round.arrived |= PairRound::kWrite;
  }
  set_pair_round(sync_op, round);
  if (round.arrived != (PairRound::kWrite | PairRound::kSync)) return;
  set_pair_round(sync_op, PairRound{});
  settle_pair(*sync_op.state.linked, sync_op, round.write_res, round.sync_res);
}

void Ring::Impl::settle_pair(IoOp& write_op, IoOp& sync_op, int write_res, int sync_res) {
  if (is_retryable(write_res)) return start(write_op);
  if (write_res < 0) {
    SLUICE_ASSERT_MSG(write_res != -EFAULT, "write buffer address is invalid");
    Error error = errno_error(-write_res, describe(write_op));
    dissolve_pair(write_op, sync_op);
    fail_with(write_op, error);
    return fail_with(sync_op, std::move(error));
  }
  write_op.state.done += static_cast<uint64_t>(write_res);
  SLUICE_ASSERT(write_op.state.done <= write_op.state.length);
  if (write_op.state.done < write_op.state.length) {
    if (write_res > 0) return start(write_op);  // the pair goes again with the rest
    Error error = errno_error(EIO, describe(write_op));
    dissolve_pair(write_op, sync_op);
    fail_with(write_op, error);
    return fail_with(sync_op, std::move(error));
  }
  dissolve_pair(write_op, sync_op);
  finish(write_op, write_op.state.done);
  // The datasync now stands alone. A cancelled one (not expected after a full write) is sent
  // again: a fresh datasync covers the write just as well.
  if (sync_res == -ECANCELED) return start(sync_op);
  on_result(sync_op, sync_res);
}

void Ring::Impl::dissolve_pair(IoOp& write_op, IoOp& sync_op) {
  write_op.state.linked = nullptr;
  sync_op.state.linked = nullptr;
}

void Ring::Impl::finish(IoOp& op, uint64_t value) {
  run_callback(op, value);
}

void Ring::Impl::fail(IoOp& op, int err) {
  // EFAULT means the kernel could not reach the caller's buffer or path: memory is already
  // wrong, so the process stops here rather than carry on.
  SLUICE_ASSERT_MSG(err != EFAULT, describe(op).c_str());
  fail_with(op, errno_error(err, describe(op)));
}

void Ring::Impl::fail_with(IoOp& op, Error error) {
  run_callback(op, std::move(error));
}

void Ring::Impl::run_callback(IoOp& op, Result<uint64_t> result) {
  SLUICE_ASSERT(in_flight > 0);
  --in_flight;
  ++callbacks_run;
  // The op is free again before its callback runs: the callback may reuse it at once.
  op.state.opcode = static_cast<uint8_t>(OpKind::none);
  op.state.next = nullptr;
  op.state.linked = nullptr;
  op.callback(op, std::move(result));
}

// ---- The public calls ----

void Ring::openat(IoOp& op, int dir_fd, const char* path, int flags, unsigned mode) {
  SLUICE_ASSERT(path != nullptr);
  impl_->begin(op, OpKind::openat, dir_fd);
  op.state.data = reinterpret_cast<std::byte*>(const_cast<char*>(path));
  op.state.length = static_cast<uint32_t>(flags);
  op.state.offset = mode;
  impl_->start(op);
}

void Ring::close(IoOp& op, int fd) {
  impl_->begin(op, OpKind::close, fd);
  impl_->start(op);
}

void Ring::write(IoOp& op, int fd, uint64_t offset, const void* data, uint64_t length) {
  impl_->begin(op, OpKind::write, fd);
  set_transfer(op, offset, const_cast<void*>(data), length);
  impl_->start(op);
}

void Ring::writev(IoOp& op, int fd, uint64_t offset, const struct iovec* iov, uint32_t count) {
  SLUICE_ASSERT(iov != nullptr || count == 0);
  SLUICE_ASSERT(count <= static_cast<uint32_t>(INT32_MAX));
  impl_->begin(op, OpKind::writev, fd);
  uint64_t total = 0;
  for (uint32_t i = 0; i < count; ++i)
    total += iov[i].iov_len;
  set_transfer(op, offset, const_cast<struct iovec*>(iov), total);
  op.state.file.id = static_cast<int32_t>(count);
  impl_->start(op);
}

void Ring::read(IoOp& op, int fd, uint64_t offset, void* out, uint64_t length) {
  impl_->begin(op, OpKind::read, fd);
  set_transfer(op, offset, out, length);
  impl_->start(op);
}

void Ring::fdatasync(IoOp& op, int fd) {
  impl_->begin(op, OpKind::fsync, fd);
  impl_->start(op);
}

void Ring::fallocate(IoOp& op, int fd, int mode, uint64_t offset, uint64_t length) {
  impl_->begin(op, OpKind::fallocate, fd);
  op.state.offset = offset;
  op.state.length = length;
  op.state.file.id = mode;
  impl_->start(op);
}

void Ring::write_then_fdatasync(IoOp& write_op, IoOp& sync_op, int fd, uint64_t offset,
                                const void* data, uint64_t length) {
  SLUICE_ASSERT(&write_op != &sync_op);
  impl_->begin(write_op, OpKind::write, fd);
  impl_->begin(sync_op, OpKind::fsync, fd);
  set_transfer(write_op, offset, const_cast<void*>(data), length);
  write_op.state.linked = &sync_op;
  sync_op.state.linked = &write_op;
  impl_->start(write_op);
}

void Ring::timeout(IoOp& op, std::chrono::nanoseconds duration) {
  SLUICE_ASSERT(duration.count() >= 0);
  impl_->begin(op, OpKind::timeout, -1);
  op.state.offset = static_cast<uint64_t>(duration.count());
  impl_->start(op);
}

void Ring::accept(IoOp& op, int listen_fd) {
  impl_->begin(op, OpKind::accept, listen_fd);
  impl_->start(op);
}

void Ring::recv(IoOp& op, int fd, void* out, uint64_t length) {
  SLUICE_ASSERT(length > 0);
  impl_->begin(op, OpKind::recv, fd);
  set_transfer(op, 0, out, length);
  impl_->start(op);
}

void Ring::send(IoOp& op, int fd, const void* data, uint64_t length) {
  SLUICE_ASSERT(length > 0);
  impl_->begin(op, OpKind::send, fd);
  set_transfer(op, 0, const_cast<void*>(data), length);
  impl_->start(op);
}

size_t Ring::run(std::chrono::nanoseconds wait) {
  size_t ran = impl_->pump();
  if (ran > 0 || wait.count() <= 0) return ran;
  const auto deadline = std::chrono::steady_clock::now() + wait;
  // Retries and continued transfers complete without a callback, so wait until a callback has
  // run or the time is up.
  while (ran == 0 && impl_->in_flight > 0) {
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left.count() <= 0) break;
    impl_->wait_for_completion(std::chrono::duration_cast<std::chrono::nanoseconds>(left));
    ran += impl_->pump();
  }
  return ran;
}

uint32_t Ring::in_flight() const {
  return impl_->in_flight;
}

int Ring::fd() const {
  return impl_->ring.ring_fd;
}

}  // namespace sluice::io
