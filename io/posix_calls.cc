// See io/posix_calls.h.
#include "io/posix_calls.h"

#include "io/assert.h"
#include "io/ring.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

namespace sluice::io::posix {
namespace {

constexpr mode_t kFileMode = 0644;
constexpr mode_t kDirectoryMode = 0755;

// Runs a system call again while a signal interrupts it.
template <typename Call>
auto retry_eintr(Call call) {
  auto res = call();
  while (res < 0 && errno == EINTR)
    res = call();
  return res;
}

std::string fd_at(const char* call, int fd, uint64_t offset) {
  return std::string(call) + " fd " + std::to_string(fd) + " at " + std::to_string(offset);
}

Result<void> check(int res, const std::string& what) {
  if (res < 0) return errno_error(errno, what);
  return {};
}

}  // namespace

Result<int> open_file(const std::string& path, int flags) {
  const int fd = retry_eintr([&] { return ::open(path.c_str(), flags | O_CLOEXEC, kFileMode); });
  if (fd < 0) return errno_error(errno, "open " + path);
  return fd;
}

Result<void> close_file(int fd) {
  // Not retried: on Linux the descriptor is released even when close reports EINTR, and a
  // second close could hit a descriptor another thread just opened.
  if (::close(fd) < 0 && errno != EINTR)
    return errno_error(errno, "close fd " + std::to_string(fd));
  return {};
}

Result<uint64_t> file_size(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) < 0) return errno_error(errno, "fstat fd " + std::to_string(fd));
  return static_cast<uint64_t>(st.st_size);
}

Result<uint64_t> pread_fully(int fd, uint64_t offset, std::span<std::byte> out) {
  uint64_t done = 0;
  while (done < out.size()) {
    const ssize_t n = retry_eintr([&] {
      return ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    });
    if (n < 0) return errno_error(errno, fd_at("pread", fd, offset + done));
    if (n == 0) break;  // end of file
    done += static_cast<uint64_t>(n);
  }
  return done;
}

Result<void> pwrite_fully(int fd, uint64_t offset, std::span<const std::byte> data) {
  uint64_t done = 0;
  while (done < data.size()) {
    const ssize_t n = retry_eintr([&] {
      return ::pwrite(fd, data.data() + done, data.size() - done,
                      static_cast<off_t>(offset + done));
    });
    if (n < 0) return errno_error(errno, fd_at("pwrite", fd, offset + done));
    // A file write that moves nothing would loop for ever; the kernel does not do it.
    if (n == 0) return errno_error(EIO, fd_at("pwrite", fd, offset + done));
    done += static_cast<uint64_t>(n);
  }
  return {};
}

Result<void> fdatasync_file(int fd) {
  return check(retry_eintr([&] { return ::fdatasync(fd); }), "fdatasync fd " + std::to_string(fd));
}

Result<void> ftruncate_file(int fd, uint64_t size) {
  return check(retry_eintr([&] { return ::ftruncate(fd, static_cast<off_t>(size)); }),
               "ftruncate fd " + std::to_string(fd) + " to " + std::to_string(size));
}

Result<void> fallocate_file(int fd, uint64_t offset, uint64_t length) {
  const int res = retry_eintr(
      [&] { return ::fallocate(fd, 0, static_cast<off_t>(offset), static_cast<off_t>(length)); });
  return check(res, fd_at("fallocate", fd, offset) + " length " + std::to_string(length));
}

Result<void> make_directories(const std::string& path) {
  if (path.empty()) return Error(Errc::invalid_argument, "mkdir: empty path");
  // Every prefix ending before a '/', then the whole path; each may exist already.
  for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    const std::string prefix = path.substr(0, slash);
    if (::mkdir(prefix.c_str(), kDirectoryMode) < 0 && errno != EEXIST) {
      return errno_error(errno, "mkdir " + prefix);
    }
    if (slash == std::string::npos) break;
  }
  Result<bool> is_dir = path_exists(path, true);
  if (!is_dir.ok()) return std::move(is_dir).error();
  if (!*is_dir) return Error(Errc::already_exists, "mkdir " + path + ": not a directory");
  return {};
}

Result<std::vector<std::string>> list_names(const std::string& path) {
  const int fd =
      retry_eintr([&] { return ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); });
  if (fd < 0) return errno_error(errno, "opendir " + path);
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    Error error = errno_error(errno, "opendir " + path);
    ::close(fd);
    return error;
  }
  std::vector<std::string> names;
  for (;;) {
    errno = 0;  // readdir reports an error only through errno
    const dirent* entry = ::readdir(dir);
    if (entry == nullptr) break;
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  const int read_errno = errno;
  ::closedir(dir);
  if (read_errno != 0) return errno_error(read_errno, "readdir " + path);
  std::sort(names.begin(), names.end());
  return names;
}

Result<bool> path_exists(const std::string& path, bool want_directory) {
  struct stat st {};
  if (::stat(path.c_str(), &st) < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return false;
    return errno_error(errno, "stat " + path);
  }
  return want_directory ? S_ISDIR(st.st_mode) : true;
}

Result<void> unlink_file(const std::string& path) {
  return check(::unlink(path.c_str()), "unlink " + path);
}

Result<void> remove_empty_directory(const std::string& path) {
  return check(::rmdir(path.c_str()), "rmdir " + path);
}

Result<void> rename_path(const std::string& from, const std::string& to) {
  return check(::rename(from.c_str(), to.c_str()), "rename " + from + " to " + to);
}

Result<void> fsync_directory(const std::string& path) {
  const int fd =
      retry_eintr([&] { return ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); });
  if (fd < 0) return errno_error(errno, "open directory " + path);
  Result<void> synced = check(retry_eintr([&] { return ::fsync(fd); }), "fsync directory " + path);
  ::close(fd);
  return synced;
}

Result<int> make_eventfd() {
  const int fd = ::eventfd(0, EFD_CLOEXEC);
  if (fd < 0) return errno_error(errno, "eventfd");
  return fd;
}

void signal_eventfd(int fd) {
  const uint64_t one = 1;
  const ssize_t n = retry_eintr([&] { return ::write(fd, &one, sizeof one); });
  SLUICE_ASSERT_MSG(n == sizeof one, "eventfd write failed");
}

}  // namespace sluice::io::posix
