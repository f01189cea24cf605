// UringFileSystem (see io/uring_file_system.h): the real FileSystem. A FileHandle's id is the
// file descriptor. Asynchronous calls go to the Ring and complete from poll(); synchronous
// calls are the plain system calls of io/posix_calls.h, so they never touch the Ring (which
// belongs to the polling thread) and any thread may make them.
#include "io/uring_file_system.h"

#include "io/assert.h"
#include "io/posix_calls.h"

#include <fcntl.h>

namespace sluice::io {
namespace {

int open_flags(const OpenOptions& options) {
  int flags = options.writable ? O_RDWR : O_RDONLY;
  if (options.create) flags |= O_CREAT;
  if (options.create && options.exclusive) flags |= O_EXCL;
  if (options.direct) flags |= O_DIRECT;
  return flags;
}

class UringFileSystem final : public FileSystem {
 public:
  explicit UringFileSystem(std::unique_ptr<Ring> ring) : ring_(std::move(ring)) {}

  Result<FileHandle> open(const std::string& path, const OpenOptions& options) override {
    Result<int> fd = posix::open_file(path, open_flags(options));
    if (!fd.ok()) return std::move(fd).error();
    return FileHandle{*fd};
  }
  Result<void> close(FileHandle file) override { return posix::close_file(fd_of(file)); }
  Result<uint64_t> size(FileHandle file) override { return posix::file_size(fd_of(file)); }
  Result<uint64_t> read(FileHandle file, uint64_t offset, std::span<std::byte> out) override {
    return posix::pread_fully(fd_of(file), offset, out);
  }
  Result<void> write(FileHandle file, uint64_t offset, std::span<const std::byte> data) override {
    return posix::pwrite_fully(fd_of(file), offset, data);
  }
  Result<void> datasync(FileHandle file) override { return posix::fdatasync_file(fd_of(file)); }
  Result<void> truncate(FileHandle file, uint64_t size) override {
    return posix::ftruncate_file(fd_of(file), size);
  }
  Result<void> allocate(FileHandle file, uint64_t offset, uint64_t length) override {
    return posix::fallocate_file(fd_of(file), offset, length);
  }

  Result<void> create_directories(const std::string& path) override {
    return posix::make_directories(path);
  }
  Result<std::vector<std::string>> list_directory(const std::string& path) override {
    return posix::list_names(path);
  }
  Result<bool> is_directory(const std::string& path) override {
    return posix::path_exists(path, true);
  }
  Result<bool> exists(const std::string& path) override { return posix::path_exists(path, false); }
  Result<void> remove_file(const std::string& path) override { return posix::unlink_file(path); }
  Result<void> rename(const std::string& from, const std::string& to) override {
    return posix::rename_path(from, to);
  }
  Result<void> sync_directory(const std::string& path) override {
    return posix::fsync_directory(path);
  }

  void write_async(FileHandle file, uint64_t offset, std::span<const std::byte> data,
                   IoOp& op) override {
    ring_->write(op, fd_of(file), offset, data.data(), data.size());
  }
  void read_async(FileHandle file, uint64_t offset, std::span<std::byte> out, IoOp& op) override {
    ring_->read(op, fd_of(file), offset, out.data(), out.size());
  }
  void datasync_async(FileHandle file, IoOp& op) override { ring_->fdatasync(op, fd_of(file)); }
  void write_then_datasync_async(FileHandle file, uint64_t offset, std::span<const std::byte> data,
                                 IoOp& write_op, IoOp& sync_op) override {
    ring_->write_then_fdatasync(write_op, sync_op, fd_of(file), offset, data.data(), data.size());
  }

  size_t poll(std::chrono::microseconds wait) override { return ring_->run(wait); }
  size_t in_flight() const override { return ring_->in_flight(); }

 private:
  // A handle that was never opened is a caller's bug, not an operating error.
  static int fd_of(FileHandle file) {
    SLUICE_ASSERT_MSG(file.valid(), "FileHandle is not open");
    return file.id;
  }

  std::unique_ptr<Ring> ring_;
};

}  // namespace

Result<std::unique_ptr<FileSystem>> make_uring_file_system(const Ring::Options& options) {
  Result<std::unique_ptr<Ring>> ring = Ring::create(options);
  if (!ring.ok()) return std::move(ring).error();
  return std::unique_ptr<FileSystem>(new UringFileSystem(std::move(*ring)));
}

}  // namespace sluice::io
