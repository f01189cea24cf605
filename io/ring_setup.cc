// Ring set-up and teardown: io_uring_queue_init, the start-up probe of every kernel feature
// sluice relies on (a missing one fails create() with Errc::unsupported naming it, rather than
// failing later on the hot path), waiting for completions, and cancelling what is left when
// the Ring goes away.
#include "io/assert.h"
#include "io/logger.h"
#include "io/ring_impl.h"

#include <cerrno>
#include <string>

namespace sluice::io {
namespace {

struct Named {
  unsigned value;
  const char* name;
};

// Operations the Ring submits.
constexpr Named kOpcodes[] = {
    {IORING_OP_WRITE, "IORING_OP_WRITE"},
    {IORING_OP_WRITEV, "IORING_OP_WRITEV"},
    {IORING_OP_READ, "IORING_OP_READ"},
    {IORING_OP_FSYNC, "IORING_OP_FSYNC"},
    {IORING_OP_FALLOCATE, "IORING_OP_FALLOCATE"},
    {IORING_OP_OPENAT, "IORING_OP_OPENAT"},
    {IORING_OP_CLOSE, "IORING_OP_CLOSE"},
    {IORING_OP_TIMEOUT, "IORING_OP_TIMEOUT"},
    {IORING_OP_ASYNC_CANCEL, "IORING_OP_ASYNC_CANCEL"},
};

// NODROP: a full CQ never loses a completion. SUBMIT_STABLE: the kernel has read an SQE's data
// by the time submit returns. EXT_ARG: run() waits with a timeout in one system call, without
// an internal timeout SQE whose CQE the Ring would have to skip.
constexpr Named kFeatures[] = {
    {IORING_FEAT_NODROP, "IORING_FEAT_NODROP"},
    {IORING_FEAT_SUBMIT_STABLE, "IORING_FEAT_SUBMIT_STABLE"},
    {IORING_FEAT_EXT_ARG, "IORING_FEAT_EXT_ARG"},
};

Result<void> probe(io_uring& ring, const io_uring_params& params, bool sqpoll) {
  for (const Named& feature : kFeatures) {
    if ((params.features & feature.value) == 0) {
      return Error(Errc::unsupported, std::string("io_uring lacks ") + feature.name);
    }
  }
  // SQPOLL with plain (unregistered) file descriptors.
  if (sqpoll && (params.features & IORING_FEAT_SQPOLL_NONFIXED) == 0) {
    return Error(Errc::unsupported, "io_uring lacks IORING_FEAT_SQPOLL_NONFIXED");
  }
  io_uring_probe* ops = io_uring_get_probe_ring(&ring);
  if (ops == nullptr) return Error(Errc::unsupported, "io_uring lacks IORING_REGISTER_PROBE");
  Result<void> result;
  for (const Named& opcode : kOpcodes) {
    if (!io_uring_opcode_supported(ops, static_cast<int>(opcode.value))) {
      result = Error(Errc::unsupported, std::string("io_uring lacks ") + opcode.name);
      break;
    }
  }
  io_uring_free_probe(ops);
  return result;
}

__kernel_timespec to_timespec(std::chrono::nanoseconds wait) {
  __kernel_timespec ts{};
  ts.tv_sec = static_cast<int64_t>(wait.count() / 1'000'000'000);
  ts.tv_nsec = static_cast<long long>(wait.count() % 1'000'000'000);
  return ts;
}

}  // namespace

Result<std::unique_ptr<Ring>> Ring::create(const Options& options) {
  SLUICE_ASSERT_MSG(options.entries > 0 && (options.entries & (options.entries - 1)) == 0,
                    "Ring::Options::entries must be a power of two");
  auto impl = std::make_unique<Impl>();
  io_uring_params params{};
  if (options.sqpoll) {
    params.flags |= IORING_SETUP_SQPOLL;
    params.sq_thread_idle = options.sqpoll_idle_ms;
  } else {
    // A completion posted by a kernel worker or an interrupt on another core waits, as task
    // work, until the ring's thread next enters the kernel, instead of interrupting it with an
    // inter-processor interrupt (on a virtual machine each costs both cores an exit to the
    // host). The kernel flags the SQ ring while such completions wait; reap() looks there.
    params.flags |= IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
  }
  int res = io_uring_queue_init_params(options.entries, &impl->ring, &params);
  if (res == -EINVAL && (params.flags & IORING_SETUP_COOP_TASKRUN) != 0) {
    params = io_uring_params{};  // a kernel before 5.19: completions interrupt instead
    res = io_uring_queue_init_params(options.entries, &impl->ring, &params);
  }
  if (res < 0) {
    // ENOSYS: no io_uring at all; EPERM: disabled by kernel.io_uring_disabled or seccomp.
    return errno_error(-res, "io_uring_setup with " + std::to_string(options.entries) + " entries");
  }
  impl->ring_ready = true;
  SLUICE_TRY(probe(impl->ring, params, options.sqpoll));
  impl->kernel_cap = params.cq_entries;
  impl->timespecs.resize(params.cq_entries);
  impl->free_timespecs.reserve(params.cq_entries);
  for (uint32_t i = 0; i < params.cq_entries; ++i)
    impl->free_timespecs.push_back(i);
  return std::unique_ptr<Ring>(new Ring(std::move(impl)));
}

size_t Ring::Impl::pump() {
  drain_overflow();
  submit();
  const size_t ran = reap();
  // Room freed by the completions goes to waiting operations at once.
  drain_overflow();
  submit();
  return ran;
}

void Ring::Impl::wait_for_completion(std::chrono::nanoseconds wait) {
  if (in_kernel == 0) return;
  __kernel_timespec ts = to_timespec(wait);
  io_uring_cqe* cqe = nullptr;
  // -ETIME (time is up) and -EINTR (a signal) both just end the wait; the caller reaps.
  const int res = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &ts, nullptr);
  SLUICE_ASSERT_MSG(res >= 0 || res == -ETIME || res == -EINTR || res == -EAGAIN || res == -EBUSY,
                    "io_uring wait failed");
}

// Operations still in the kernel are cancelled and their CQEs reaped without running their
// callbacks, so that the kernel no longer touches their buffers once the Ring is gone.
void Ring::Impl::shut_down() {
  if (!ring_ready) return;
  if (in_flight > 0) {
    log_line(LogLevel::warning, "io_uring ring closed with " + std::to_string(in_flight) +
                                    " operations in flight; their callbacks will not run");
  }
  for (IoOp* op = overflow_head; op != nullptr; op = op->state.next) {
    if (op->state.linked != nullptr) {  // a pair: its datasync is free again too
      op->state.linked->state.opcode = static_cast<uint8_t>(OpKind::none);
    }
    op->state.opcode = static_cast<uint8_t>(OpKind::none);
  }
  overflow_head = overflow_tail = nullptr;
  submit();
  bool cancel_sent = false;
  // Bounded: a write already in a device queue cannot be cancelled, only waited for.
  for (int attempt = 0; in_kernel > 0 && attempt < 100; ++attempt) {
    if (!cancel_sent && io_uring_sq_space_left(&ring) > 0) {
      io_uring_sqe* sqe = io_uring_get_sqe(&ring);
      io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
      io_uring_sqe_set_data(sqe, nullptr);
      cancel_sent = true;
    }
    __kernel_timespec ts = to_timespec(std::chrono::milliseconds(100));
    io_uring_cqe* cqe = nullptr;
    (void)io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &ts, nullptr);
    while (io_uring_peek_cqe(&ring, &cqe) == 0) {
      auto* op = static_cast<IoOp*>(io_uring_cqe_get_data(cqe));
      io_uring_cqe_seen(&ring, cqe);
      if (op == nullptr) continue;  // the cancel request itself
      op->state.opcode = static_cast<uint8_t>(OpKind::none);
      --in_kernel;
    }
  }
  if (in_kernel > 0) log_line(LogLevel::error, "io_uring ring closed with operations stuck");
  io_uring_queue_exit(&ring);
}

}  // namespace sluice::io
