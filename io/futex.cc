#include "io/futex.h"

#include "io/assert.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <ctime>

namespace sluice::io {
namespace {

long futex(const std::atomic<uint32_t>& word, int op, uint32_t value, const timespec* timeout) {
  // The kernel reads the word itself; std::atomic<uint32_t> has uint32_t's layout (asserted in
  // the header). Private futexes: the word is never shared between processes.
  auto* address = const_cast<uint32_t*>(reinterpret_cast<const uint32_t*>(&word));
  return ::syscall(SYS_futex, address, op | FUTEX_PRIVATE_FLAG, value, timeout, nullptr, 0);
}

}  // namespace

void futex_wait(const std::atomic<uint32_t>& word, uint32_t expected,
                std::chrono::nanoseconds timeout) {
  if (timeout.count() <= 0) return;
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  timespec relative{};
  relative.tv_sec = static_cast<time_t>(seconds.count());
  relative.tv_nsec = static_cast<long>((timeout - seconds).count());
  if (futex(word, FUTEX_WAIT, expected, &relative) < 0) {
    // EAGAIN: the word changed already; EINTR: a signal; ETIMEDOUT: time is up. The caller
    // re-checks its condition in every case.
    SLUICE_ASSERT_MSG(errno == EAGAIN || errno == EINTR || errno == ETIMEDOUT, "futex wait failed");
  }
}

void futex_wake_all(const std::atomic<uint32_t>& word) {
  const long woken = futex(word, FUTEX_WAKE, INT_MAX, nullptr);
  SLUICE_ASSERT_MSG(woken >= 0, "futex wake failed");
}

}  // namespace sluice::io
