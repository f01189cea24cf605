// Plain blocking system calls for UringFileSystem's synchronous calls: each retries EINTR,
// continues short transfers and maps errno through errno_error, with a message naming the call
// and its target ("pwrite fd 7 at 4096: No space left on device"). Private to io/.
//
// Thread-safety: plain system calls on caller-owned descriptors; any thread.
#pragma once

#include <sluice/result.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace sluice::io::posix {

// O_CLOEXEC is always added; files are created with mode 0644.
Result<int> open_file(const std::string& path, int flags);
Result<void> close_file(int fd);
Result<uint64_t> file_size(int fd);
// Reads until out is full or end of file.
Result<uint64_t> pread_fully(int fd, uint64_t offset, std::span<std::byte> out);
Result<void> pwrite_fully(int fd, uint64_t offset, std::span<const std::byte> data);
Result<void> fdatasync_file(int fd);
Result<void> ftruncate_file(int fd, uint64_t size);
Result<void> fallocate_file(int fd, uint64_t offset, uint64_t length);

// mkdir -p with mode 0755.
Result<void> make_directories(const std::string& path);
// Entry names, sorted, without "." and "..".
Result<std::vector<std::string>> list_names(const std::string& path);
// stat(); a missing path (ENOENT, ENOTDIR) is `false`, not an error.
Result<bool> path_exists(const std::string& path, bool want_directory);
Result<void> unlink_file(const std::string& path);
Result<void> remove_empty_directory(const std::string& path);
Result<void> rename_path(const std::string& from, const std::string& to);
// fsync of the directory itself, which makes its entries durable.
Result<void> fsync_directory(const std::string& path);

// An eventfd (counter 0) for waking a thread that waits on a Ring: blocking, so that a read
// submitted to io_uring waits for a signal instead of completing with EAGAIN.
Result<int> make_eventfd();
// Adds 1 to the eventfd's counter. Never fails for a valid eventfd (an overflowing counter
// already wakes every reader).
void signal_eventfd(int fd);

}  // namespace sluice::io::posix
