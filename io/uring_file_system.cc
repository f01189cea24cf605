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
  UringFileSystem(std::unique_ptr<Ring> ring, int wake_fd)
      : ring_(std::move(ring)), wake_fd_(wake_fd) {
    wake_op_.callback = &UringFileSystem::on_woken;
    wake_op_.context = this;
  }
  // The wake read completes before the ring goes (a signal ends it), so that the ring closes
  // with nothing of its own in flight; then the eventfd closes.
  ~UringFileSystem() override {
    if (wake_armed_) {
      posix::signal_eventfd(wake_fd_);
      for (int round = 0; round < 1000 && wake_armed_; ++round) {
        ring_->run(std::chrono::milliseconds(1));
      }
    }
    ring_.reset();
    (void)posix::close_file(wake_fd_);
  }

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
  Result<void> remove_directory(const std::string& path) override {
    return posix::remove_empty_directory(path);
  }
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
  void timer_async(std::chrono::nanoseconds after, IoOp& op) override { ring_->timeout(op, after); }
  void write_then_datasync_async(FileHandle file, uint64_t offset, std::span<const std::byte> data,
                                 IoOp& write_op, IoOp& sync_op) override {
    ring_->write_then_fdatasync(write_op, sync_op, fd_of(file), offset, data.data(), data.size());
  }

  // A poll that may wait keeps a read of the wake eventfd on the ring, so that wake() from
  // another thread ends the wait; the read is not counted in in_flight().
  size_t poll(std::chrono::microseconds wait) override {
    if (wait.count() > 0 && !wake_armed_) {
      wake_armed_ = true;
      ring_->read(wake_op_, wake_fd_, 0, &wake_counter_, sizeof wake_counter_);
    }
    return ring_->run(wait);
  }
  size_t in_flight() const override { return ring_->in_flight() - (wake_armed_ ? 1 : 0); }
  void wake() override { posix::signal_eventfd(wake_fd_); }
  Ring* ring() override { return ring_.get(); }

 private:
  // A handle that was never opened is a caller's bug, not an operating error.
  static int fd_of(FileHandle file) {
    SLUICE_ASSERT_MSG(file.valid(), "FileHandle is not open");
    return file.id;
  }

  // A read cancelled because the thread that submitted it exited (Errc::closed) just ends;
  // anything else on an eventfd is a broken invariant.
  static void on_woken(IoOp& op, Result<uint64_t> result) {
    auto* fs = static_cast<UringFileSystem*>(op.context);
    SLUICE_ASSERT_MSG(result.ok() || result.code() == Errc::closed,
                      "read of the wake eventfd failed");
    fs->wake_armed_ = false;
  }

  std::unique_ptr<Ring> ring_;
  int wake_fd_;
  IoOp wake_op_;
  uint64_t wake_counter_ = 0;
  bool wake_armed_ = false;
};

}  // namespace

Result<std::unique_ptr<FileSystem>> make_uring_file_system(const Ring::Options& options) {
  Result<std::unique_ptr<Ring>> ring = Ring::create(options);
  if (!ring.ok()) return std::move(ring).error();
  Result<int> wake_fd = posix::make_eventfd();
  if (!wake_fd.ok()) return std::move(wake_fd).error();
  return std::unique_ptr<FileSystem>(new UringFileSystem(std::move(*ring), *wake_fd));
}

}  // namespace sluice::io
