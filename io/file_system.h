// The I/O seam: the partition log reaches files only through FileSystem. Two implementations
// exist: UringFileSystem (real files; asynchronous calls on an io_uring Ring) and
// MemoryFileSystem (an in-memory twin for tests that injects faults: failed writes, a full
// disk, power loss that drops unsynced data, flipped bytes).
//
// Two kinds of calls:
// - Synchronous calls (open, read, write, datasync, truncate, allocate, directory calls) are for
//   cold paths: opening and recovering a log, sealing a segment, reads that miss the tail cache.
//   They block the calling thread, never run another operation's callback, and are safe to call
//   from any thread.
// - Asynchronous calls (*_async) are the hot path. They are owned by one thread, the one that
//   calls poll(): submission never blocks, and each operation's callback runs later from poll()
//   on that thread. The caller keeps the IoOp and the data buffer alive and unchanged until the
//   callback has run.
//
// Files opened with OpenOptions::direct need offsets, lengths and buffer addresses aligned to
// kDirectIoAlignment for every read and write (synchronous or not); an unaligned call fails with
// Errc::invalid_argument.
#pragma once

#include <sluice/result.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace sluice::io {

inline constexpr size_t kDirectIoAlignment = 4096;

// A file opened by a FileSystem; meaningful only to the FileSystem that issued it.
struct FileHandle {
  int32_t id = -1;
  bool valid() const { return id >= 0; }
  friend bool operator==(FileHandle, FileHandle) = default;
};

struct OpenOptions {
  bool create = false;     // create the file when it is missing
  bool exclusive = false;  // with create: fail with Errc::already_exists when it exists
  bool writable = false;   // open for reading and writing (else read-only)
  bool direct = false;     // O_DIRECT: bypass the page cache; aligned I/O only
};

struct IoOp;
// Runs once per operation, from poll(). On success the value is the number of bytes
// transferred (writes: always the full length; reads: fewer only at end of file; datasync: 0).
using IoCallback = void (*)(IoOp& op, Result<uint64_t> result);

// One asynchronous operation. The caller owns it and may embed it in its own structures; it
// must stay alive and unmoved from submission until its callback has run, and carries at most
// one operation at a time.
struct IoOp {
  IoCallback callback = nullptr;
  void* context = nullptr;  // for the caller: the object the callback works on

  // The rest belongs to the implementation that runs the operation: it records what to do so
  // that short transfers can be continued and EINTR/EAGAIN retried without the caller's help.
  struct State {
    uint8_t opcode = 0;
    int32_t fd = -1;
    FileHandle file;
    uint64_t offset = 0;
    std::byte* data = nullptr;  // the buffer (const for writes)
    uint64_t length = 0;
    uint64_t done = 0;       // bytes transferred so far
    IoOp* next = nullptr;    // intrusive queue link (overflow and pending lists)
    IoOp* linked = nullptr;  // for a linked write: its datasync
  } state;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // ---- Synchronous calls (cold paths; any thread) ----
  virtual Result<FileHandle> open(const std::string& path, const OpenOptions& options) = 0;
  // Closes the handle. No asynchronous operation on it may be in flight.
  virtual Result<void> close(FileHandle file) = 0;
  virtual Result<uint64_t> size(FileHandle file) = 0;
  // Reads up to out.size() bytes at offset; returns fewer only at end of file.
  virtual Result<uint64_t> read(FileHandle file, uint64_t offset, std::span<std::byte> out) = 0;
  // Writes all of data at offset (short writes are continued).
  virtual Result<void> write(FileHandle file, uint64_t offset, std::span<const std::byte> data) = 0;
  virtual Result<void> datasync(FileHandle file) = 0;
  virtual Result<void> truncate(FileHandle file, uint64_t size) = 0;
  // Reserves disk blocks for [offset, offset + length), extending the file size if needed
  // (fallocate mode 0). Errc::unsupported when the filesystem cannot; Errc::no_space when full.
  virtual Result<void> allocate(FileHandle file, uint64_t offset, uint64_t length) = 0;

  // Creates the directory and any missing parents; success when it exists already.
  virtual Result<void> create_directories(const std::string& path) = 0;
  // The names (not paths) of the entries in a directory, sorted, without "." and "..".
  virtual Result<std::vector<std::string>> list_directory(const std::string& path) = 0;
  virtual Result<bool> is_directory(const std::string& path) = 0;
  virtual Result<bool> exists(const std::string& path) = 0;
  virtual Result<void> remove_file(const std::string& path) = 0;
  // Removes an empty directory. Errc::already_exists when it is not empty (ENOTEMPTY),
  // not_found when it is missing. Durable once its parent is synced.
  virtual Result<void> remove_directory(const std::string& path) = 0;
  virtual Result<void> rename(const std::string& from, const std::string& to) = 0;
  // Makes the directory's entries (created, removed, renamed files) durable.
  virtual Result<void> sync_directory(const std::string& path) = 0;

  // ---- Asynchronous calls (hot path; the polling thread only) ----
  virtual void write_async(FileHandle file, uint64_t offset, std::span<const std::byte> data,
                           IoOp& op) = 0;
  virtual void read_async(FileHandle file, uint64_t offset, std::span<std::byte> out, IoOp& op) = 0;
  virtual void datasync_async(FileHandle file, IoOp& op) = 0;
  // A write linked to a datasync: sync_op completes after write_op and covers its bytes. When
  // the write fails, sync_op completes with the same error.
  virtual void write_then_datasync_async(FileHandle file, uint64_t offset,
                                         std::span<const std::byte> data, IoOp& write_op,
                                         IoOp& sync_op) = 0;
  // Completes `op` (with 0) once `after` has passed: a timer on the same ring as the I/O, so
  // that the polling thread's wait ends for it too. The in-memory twin completes it at its next
  // poll() (its callers keep their own time).
  virtual void timer_async(std::chrono::nanoseconds after, IoOp& op) = 0;

  // Submits queued operations and runs the callbacks of those that completed. When none is
  // ready, waits up to `wait` for one. Returns the number of callbacks run.
  virtual size_t poll(std::chrono::microseconds wait) = 0;
  // Asynchronous operations submitted whose callbacks have not run yet.
  virtual size_t in_flight() const = 0;
  // Makes a poll() that is waiting return at once, or the next poll() not wait. Any thread may
  // call it (a producer waking its parked shard); it costs a system call, so callers wake only
  // a poller that said it is going to sleep.
  virtual void wake() = 0;

  // The io_uring Ring under the asynchronous calls, for the polling thread's other operations
  // (sockets); nullptr for a file system without one (the in-memory twin).
  virtual class Ring* ring() { return nullptr; }
};

}  // namespace sluice::io
