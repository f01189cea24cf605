// Ring::Impl::prepare: turns what an IoOp records into one SQE. A resubmitted operation (a
// retry or the rest of a short transfer) goes through here again and picks up at offset + done.
#include "io/assert.h"
#include "io/ring_impl.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <string>

namespace sluice::io {
namespace {

// One SQE moves at most this much; the kernel caps a single transfer a little under 2 GiB
// anyway, and the rest continues as a short transfer would.
constexpr uint64_t kMaxChunk = uint64_t{1} << 30;

unsigned chunk(const IoOp& op) {
  return static_cast<unsigned>(std::min(op.state.length - op.state.done, kMaxChunk));
}

void prepare_writev(io_uring_sqe* sqe, const IoOp& op) {
  const auto* iov = reinterpret_cast<const struct iovec*>(op.state.data);
  const auto count = static_cast<uint32_t>(op.state.file.id);
  // Find where the bytes written so far end: iovec i, k bytes into it.
  uint64_t skip = op.state.done;
  uint32_t i = 0;
  while (i < count && skip >= iov[i].iov_len)
    skip -= iov[i++].iov_len;
  SLUICE_ASSERT(i < count);
  const uint64_t at = op.state.offset + op.state.done;
  if (skip > 0) {
    // The caller's iovecs are const, so the rest of a partly written one goes alone.
    const auto* base = static_cast<const std::byte*>(iov[i].iov_base) + skip;
    const uint64_t rest = std::min<uint64_t>(iov[i].iov_len - skip, kMaxChunk);
    io_uring_prep_write(sqe, op.state.fd, base, static_cast<unsigned>(rest), at);
    return;
  }
  io_uring_prep_writev(sqe, op.state.fd, iov + i, count - i, at);
}

}  // namespace

void Ring::Impl::prepare(io_uring_sqe* sqe, IoOp& op) {
  const int fd = op.state.fd;
  const uint64_t at = op.state.offset + op.state.done;
  switch (op_kind(op)) {
    case OpKind::openat:
      io_uring_prep_openat(sqe, fd, reinterpret_cast<const char*>(op.state.data),
                           static_cast<int>(op.state.length), static_cast<mode_t>(op.state.offset));
      break;
    case OpKind::close:
      io_uring_prep_close(sqe, fd);
      break;
    case OpKind::write:
      io_uring_prep_write(sqe, fd, op.state.data + op.state.done, chunk(op), at);
      break;
    case OpKind::writev:
      prepare_writev(sqe, op);
      break;
    case OpKind::read:
      io_uring_prep_read(sqe, fd, op.state.data + op.state.done, chunk(op), at);
      break;
    case OpKind::fsync:
      io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
      break;
    case OpKind::fallocate:
      io_uring_prep_fallocate(sqe, fd, op.state.file.id, static_cast<off_t>(op.state.offset),
                              static_cast<off_t>(op.state.length));
      break;
    case OpKind::timeout: {
      SLUICE_ASSERT(!free_timespecs.empty());  // kernel_cap slots for kernel_cap SQEs
      __kernel_timespec* ts = &timespecs[free_timespecs.back()];
      free_timespecs.pop_back();
      ts->tv_sec = static_cast<int64_t>(op.state.offset / 1'000'000'000);
      ts->tv_nsec = static_cast<long long>(op.state.offset % 1'000'000'000);
      op.state.data = reinterpret_cast<std::byte*>(ts);
      io_uring_prep_timeout(sqe, ts, 0, 0);  // count 0: a pure timer
      break;
    }
    case OpKind::accept:
      io_uring_prep_accept(sqe, fd, nullptr, nullptr, SOCK_CLOEXEC);
      break;
    case OpKind::recv:
      io_uring_prep_recv(sqe, fd, op.state.data, chunk(op), 0);
      break;
    case OpKind::send:
      io_uring_prep_send(sqe, fd, op.state.data + op.state.done, chunk(op), MSG_NOSIGNAL);
      break;
    case OpKind::none:
      SLUICE_UNREACHABLE("submitting an IoOp that carries no operation");
  }
  io_uring_sqe_set_data(sqe, &op);
}

void Ring::Impl::release_timespec(IoOp& op) {
  auto* ts = reinterpret_cast<__kernel_timespec*>(op.state.data);
  SLUICE_ASSERT(ts >= timespecs.data() && ts < timespecs.data() + timespecs.size());
  free_timespecs.push_back(static_cast<uint32_t>(ts - timespecs.data()));
  op.state.data = nullptr;
}

// Names the operation for an error message: "pwrite fd 7 at 4096".
std::string Ring::Impl::describe(const IoOp& op) {
  const std::string fd = std::to_string(op.state.fd);
  const std::string at = std::to_string(op.state.offset + op.state.done);
  switch (op_kind(op)) {
    case OpKind::openat:
      return "openat " + std::string(reinterpret_cast<const char*>(op.state.data));
    case OpKind::close:
      return "close fd " + fd;
    case OpKind::write:
      return "pwrite fd " + fd + " at " + at;
    case OpKind::writev:
      return "pwritev fd " + fd + " at " + at;
    case OpKind::read:
      return "pread fd " + fd + " at " + at;
    case OpKind::fsync:
      return "fdatasync fd " + fd;
    case OpKind::fallocate:
      return "fallocate fd " + fd + " at " + std::to_string(op.state.offset) + " length " +
             std::to_string(op.state.length);
    case OpKind::timeout:
      return "timeout";
    case OpKind::accept:
      return "accept fd " + fd;
    case OpKind::recv:
      return "recv fd " + fd;
    case OpKind::send:
      return "send fd " + fd;
    case OpKind::none:
      break;
  }
  return "no operation";
}

}  // namespace sluice::io
