// MemoryFileSystem: an in-memory twin of the real file system for tests, with fault injection.
//
// It keeps, for every file, the bytes a reader sees now and the bytes that are durable (as of
// the last datasync), and for every directory the entries that are durable (as of the last
// sync_directory). crash() simulates a power loss: every file goes back to its durable bytes
// and every directory to its durable entries (a file created but never made durable through
// its directory disappears). Asynchronous operations complete from poll(), in submission order
// or, when asked, in a shuffled order, as a real device may.
//
// Thread-safety: all calls are safe from any thread (one mutex); callbacks run from poll()
// without the mutex held.
#pragma once

#include "io/file_system.h"

#include <cstdint>
#include <memory>
#include <string>

namespace sluice::io {

class MemoryFileSystem final : public FileSystem {
 public:
  MemoryFileSystem();
  ~MemoryFileSystem() override;

  // ---- Fault injection ----
  // The next `count` writes (synchronous or asynchronous, and allocate calls) whose path
  // contains `path_part` (empty: any) fail with `code` (Errc::io_error or Errc::no_space),
  // changing nothing.
  void fail_writes(Errc code, int count, const std::string& path_part = "");
  // The next `count` datasync calls fail with Errc::io_error, making nothing durable.
  void fail_syncs(int count);
  // A disk of `bytes` in all (sum of file sizes); writes and allocations past it fail with
  // Errc::no_space, changing nothing. 0 means unlimited (the default).
  void set_capacity(uint64_t bytes);
  uint64_t used_bytes() const;
  // XORs one byte of a file, in both its current and its durable bytes.
  Result<void> flip_byte(const std::string& path, uint64_t offset, uint8_t mask = 0xff);
  // Power loss: drops everything not durable and every queued asynchronous operation (their
  // callbacks never run); every open handle becomes invalid (calls on it fail with
  // Errc::closed). With torn = true, each file keeps a random prefix of its writes since its
  // last datasync, the last one possibly cut mid-way, as a disk that lost power mid-write.
  void crash(bool torn = false, uint64_t seed = 0);
  // Completes queued asynchronous operations in a random order drawn from `seed`.
  void shuffle_completions(bool on, uint64_t seed = 1);
  // A file's current bytes (for assertions in tests).
  Result<std::string> contents(const std::string& path) const;
  // Asynchronous writes issued so far (write_async and write_then_datasync_async), and those of
  // them issued through a handle opened with OpenOptions::direct.
  uint64_t async_writes() const;
  uint64_t async_direct_writes() const;

  // ---- FileSystem ----
  Result<FileHandle> open(const std::string& path, const OpenOptions& options) override;
  Result<void> close(FileHandle file) override;
  Result<uint64_t> size(FileHandle file) override;
  Result<uint64_t> read(FileHandle file, uint64_t offset, std::span<std::byte> out) override;
  Result<void> write(FileHandle file, uint64_t offset, std::span<const std::byte> data) override;
  Result<void> datasync(FileHandle file) override;
  Result<void> truncate(FileHandle file, uint64_t size) override;
  Result<void> allocate(FileHandle file, uint64_t offset, uint64_t length) override;
  Result<void> create_directories(const std::string& path) override;
  Result<std::vector<std::string>> list_directory(const std::string& path) override;
  Result<bool> is_directory(const std::string& path) override;
  Result<bool> exists(const std::string& path) override;
  Result<void> remove_file(const std::string& path) override;
  Result<void> remove_directory(const std::string& path) override;
  Result<void> rename(const std::string& from, const std::string& to) override;
  Result<void> sync_directory(const std::string& path) override;
  void write_async(FileHandle file, uint64_t offset, std::span<const std::byte> data,
                   IoOp& op) override;
  void read_async(FileHandle file, uint64_t offset, std::span<std::byte> out, IoOp& op) override;
  void datasync_async(FileHandle file, IoOp& op) override;
  void write_then_datasync_async(FileHandle file, uint64_t offset, std::span<const std::byte> data,
                                 IoOp& write_op, IoOp& sync_op) override;
  void timer_async(std::chrono::nanoseconds after, IoOp& op) override;
  size_t poll(std::chrono::microseconds wait) override;
  size_t in_flight() const override;
  void wake() override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace sluice::io
