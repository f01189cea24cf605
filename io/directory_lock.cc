#include "io/directory_lock.h"

#include "io/posix_calls.h"
#include "io/ring.h"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>
#include <utility>

namespace sluice::io {

Result<DirectoryLock> DirectoryLock::acquire(const std::string& dir) {
  const std::string path = dir + "/LOCK";
  Result<int> fd = posix::open_file(path, O_RDWR | O_CREAT);
  if (!fd.ok()) return std::move(fd).error();
  int res = 0;
  do {
    res = ::flock(*fd, LOCK_EX | LOCK_NB);
  } while (res < 0 && errno == EINTR);
  if (res < 0) {
    const int err = errno;
    (void)posix::close_file(*fd);
    if (err == EWOULDBLOCK) {
      return Error(Errc::busy, path + " is locked: another sluice engine has " + dir + " open");
    }
    return errno_error(err, "flock " + path);
  }
  return DirectoryLock(*fd);
}

DirectoryLock::~DirectoryLock() {
  if (fd_ >= 0) (void)posix::close_file(fd_);  // closing releases the lock
}

DirectoryLock::DirectoryLock(DirectoryLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

DirectoryLock& DirectoryLock::operator=(DirectoryLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) (void)posix::close_file(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

}  // namespace sluice::io
