#include "bench/sluice_bench/write_submit.h"

#include "bench/sluice_bench/embedded_workers.h"

#include <fcntl.h>
#include <liburing.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>

namespace sluice::bench {
namespace {

constexpr size_t kPage = 4096;
constexpr uint64_t kFileBytes = 64u << 20;  // preallocated, as segments are
constexpr auto kPace = std::chrono::milliseconds(1);

Error errno_error(int error, const std::string& what) {
  return Error(Errc::io_error, what + ": " + std::strerror(error));
}

// The ring, file and buffer of one measurement, released in every case.
struct Setup {
  io_uring ring{};
  bool ring_ready = false;
  int fd = -1;
  std::string path;
  void* buffer = nullptr;

  ~Setup() {
    if (ring_ready) io_uring_queue_exit(&ring);
    if (fd >= 0) {
      ::close(fd);
      ::unlink(path.c_str());
    }
    std::free(buffer);
  }
};

}  // namespace

Result<void> measure_write_submits(const std::string& dir, bool direct, double seconds,
                                   LatencyHistogram& out) {
  Setup s;
  s.path = dir + (direct ? "/write-submit-direct" : "/write-submit-buffered");
  s.fd = ::open(s.path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | (direct ? O_DIRECT : 0),
                0644);
  if (s.fd < 0) {
    if (direct && errno == EINVAL) {
      return Error(Errc::unsupported, "the filesystem of " + dir + " refuses O_DIRECT");
    }
    return errno_error(errno, "open " + s.path);
  }
  if (int res = ::posix_fallocate(s.fd, 0, static_cast<off_t>(kFileBytes)); res != 0) {
    return errno_error(res, "fallocate " + s.path);
  }
  if (::posix_memalign(&s.buffer, kPage, kPage) != 0) return errno_error(ENOMEM, "buffer");
  std::memset(s.buffer, 'w', kPage);
  if (int res = io_uring_queue_init(8, &s.ring, 0); res < 0) {
    return errno_error(-res, "io_uring_queue_init");
  }
  s.ring_ready = true;

  const int64_t end_ns = steady_now_ns() + static_cast<int64_t>(seconds * 1e9);
  for (uint64_t i = 0; steady_now_ns() < end_ns; ++i) {
    io_uring_sqe* sqe = io_uring_get_sqe(&s.ring);
    io_uring_prep_write(sqe, s.fd, s.buffer, kPage, (i * kPage) % kFileBytes);
    const int64_t start_ns = steady_now_ns();
    const int submitted = io_uring_submit(&s.ring);
    out.record(static_cast<uint64_t>(steady_now_ns() - start_ns));
    if (submitted != 1) return errno_error(-submitted, "io_uring_submit");
    io_uring_cqe* cqe = nullptr;
    if (int res = io_uring_wait_cqe(&s.ring, &cqe); res < 0) {
      return errno_error(-res, "io_uring_wait_cqe");
    }
    const int written = cqe->res;
    io_uring_cqe_seen(&s.ring, cqe);
    if (written < 0) return errno_error(-written, "write " + s.path);
    std::this_thread::sleep_for(kPace);
  }
  return {};
}

}  // namespace sluice::bench
