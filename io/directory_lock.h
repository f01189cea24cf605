// DirectoryLock: an exclusive advisory lock (flock) on <dir>/LOCK, held while an engine has the
// directory open, so that a second engine (in this process or another) fails at open instead
// of writing the same logs. The kernel drops the lock when the holder's process dies.
//
// Thread-safety: a plain value; acquire() from any thread.
#pragma once

#include <sluice/result.h>

#include <string>

namespace sluice::io {

class DirectoryLock {
 public:
  // Errc::busy when another holder has it; the I/O errors of creating the LOCK file.
  static Result<DirectoryLock> acquire(const std::string& dir);
  ~DirectoryLock();
  DirectoryLock(DirectoryLock&& other) noexcept;
  DirectoryLock& operator=(DirectoryLock&& other) noexcept;
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  explicit DirectoryLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace sluice::io
