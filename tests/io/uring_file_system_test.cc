// Tests of make_uring_file_system: every synchronous call against real files, the asynchronous
// calls through poll(), O_DIRECT alignment, and the error codes callers rely on.
#include "io/uring_file_system.h"

#include "tests/support/temp_dir.h"

#include <fcntl.h>
#include "tests/support/completion.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace sluice::io {
namespace {

using namespace std::chrono_literals;

using testing::bind;
using testing::Completion;

std::span<const std::byte> as_bytes(const std::string& text) {
  return std::as_bytes(std::span<const char>(text.data(), text.size()));
}

std::string as_string(std::span<const std::byte> data) {
  return std::string(reinterpret_cast<const char*>(data.data()), data.size());
}

// A 4096-aligned buffer for O_DIRECT.
struct AlignedBuffer {
  explicit AlignedBuffer(size_t bytes)
      : data(static_cast<std::byte*>(std::aligned_alloc(kDirectIoAlignment, bytes))), size(bytes) {
    std::memset(data, 'd', bytes);
  }
  ~AlignedBuffer() { std::free(data); }
  std::byte* data;
  size_t size;
};

class UringFileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<FileSystem>> fs = make_uring_file_system();
    ASSERT_TRUE(fs.ok()) << fs.error().to_string();
    fs_ = std::move(*fs);
  }

  FileHandle open_new(const std::string& name, bool direct = false) {
    OpenOptions options;
    options.create = true;
    options.writable = true;
    options.direct = direct;
    Result<FileHandle> file = fs_->open(dir_.file(name), options);
    EXPECT_TRUE(file.ok()) << file.error().to_string();
    return file.ok() ? *file : FileHandle{};
  }

  void drain() {
    for (int i = 0; i < 10000 && fs_->in_flight() > 0; ++i)
      fs_->poll(100ms);
    ASSERT_EQ(fs_->in_flight(), 0u);
  }

  testing::TempDir dir_;
  std::unique_ptr<FileSystem> fs_;
};

TEST_F(UringFileSystemTest, SyncWriteReadSizeTruncate) {
  FileHandle file = open_new("log");
  ASSERT_TRUE(file.valid());
  ASSERT_TRUE(fs_->write(file, 0, as_bytes("0123456789")).ok());
  ASSERT_TRUE(fs_->datasync(file).ok());
  EXPECT_EQ(*fs_->size(file), 10u);

  std::vector<std::byte> out(20);
  Result<uint64_t> n = fs_->read(file, 2, out);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 8u);  // short only at end of file
  EXPECT_EQ(as_string(std::span(out).first(8)), "23456789");

  ASSERT_TRUE(fs_->truncate(file, 4).ok());
  EXPECT_EQ(*fs_->size(file), 4u);
  EXPECT_EQ(*fs_->read(file, 4, out), 0u);
  ASSERT_TRUE(fs_->close(file).ok());
}

TEST_F(UringFileSystemTest, CreatesFilesWithMode0644AndCloseOnExec) {
  FileHandle file = open_new("mode");
  ASSERT_TRUE(file.valid());
  EXPECT_EQ(file.id, ::fcntl(file.id, F_GETFD) >= 0 ? file.id : -1);  // id is the descriptor
  EXPECT_NE(::fcntl(file.id, F_GETFD) & FD_CLOEXEC, 0);
  struct stat st {};
  ASSERT_EQ(::stat(dir_.file("mode").c_str(), &st), 0);
  const mode_t mask = ::umask(0);
  ::umask(mask);
  EXPECT_EQ(st.st_mode & 0777, 0644 & ~mask);
  ASSERT_TRUE(fs_->close(file).ok());
}

TEST_F(UringFileSystemTest, OpenErrors) {
  Result<FileHandle> missing = fs_->open(dir_.file("missing"), OpenOptions{});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.code(), Errc::not_found);
  EXPECT_EQ(missing.error().message(),
            "open " + dir_.file("missing") + ": No such file or directory");

  FileHandle file = open_new("there");
  ASSERT_TRUE(fs_->close(file).ok());
  OpenOptions exclusive;
  exclusive.create = exclusive.exclusive = exclusive.writable = true;
  Result<FileHandle> again = fs_->open(dir_.file("there"), exclusive);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.code(), Errc::already_exists);
}

TEST_F(UringFileSystemTest, WriteThroughReadOnlyHandleFails) {
  ASSERT_TRUE(fs_->close(open_new("ro")).ok());
  Result<FileHandle> file = fs_->open(dir_.file("ro"), OpenOptions{});
  ASSERT_TRUE(file.ok());
  Result<void> written = fs_->write(*file, 0, as_bytes("x"));
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.code(), Errc::io_error);
  EXPECT_NE(written.error().message().find("Bad file descriptor"), std::string::npos);
  ASSERT_TRUE(fs_->close(*file).ok());
}

TEST_F(UringFileSystemTest, AllocateExtendsTheFile) {
  FileHandle file = open_new("alloc");
  Result<void> allocated = fs_->allocate(file, 0, 1 << 20);
  if (!allocated.ok() && allocated.code() == Errc::unsupported) {
    GTEST_SKIP() << "filesystem refuses fallocate";
  }
  ASSERT_TRUE(allocated.ok()) << allocated.error().to_string();
  EXPECT_EQ(*fs_->size(file), 1u << 20);
  ASSERT_TRUE(fs_->close(file).ok());
}

TEST_F(UringFileSystemTest, FullDeviceIsNoSpace) {
  OpenOptions options;
  options.writable = true;
  Result<FileHandle> full = fs_->open("/dev/full", options);
  if (!full.ok()) GTEST_SKIP() << "no /dev/full";
  Result<void> written = fs_->write(*full, 0, as_bytes("x"));
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.code(), Errc::no_space);
  EXPECT_EQ(written.error().message(),
            "pwrite fd " + std::to_string(full->id) + " at 0: No space left on device");

  IoOp op;
  Completion done;
  bind(op, done);
  const std::string data = "y";
  fs_->write_async(*full, 0, as_bytes(data), op);
  drain();
  ASSERT_TRUE(done.result && !done.result->ok());
  EXPECT_EQ(done.result->code(), Errc::no_space);
  ASSERT_TRUE(fs_->close(*full).ok());
}

TEST_F(UringFileSystemTest, CreateDirectoriesMakesParentsAndIsIdempotent) {
  const std::string nested = dir_.file("a/b/c");
  ASSERT_TRUE(fs_->create_directories(nested).ok());
  EXPECT_TRUE(*fs_->is_directory(nested));
  EXPECT_TRUE(*fs_->is_directory(dir_.file("a/b")));
  ASSERT_TRUE(fs_->create_directories(nested).ok());
  ASSERT_TRUE(fs_->create_directories(nested + "/").ok());
  struct stat st {};
  ASSERT_EQ(::stat(nested.c_str(), &st), 0);
  const mode_t mask = ::umask(0);
  ::umask(mask);
  EXPECT_EQ(st.st_mode & 0777, 0755 & ~mask);

  ASSERT_TRUE(fs_->close(open_new("file")).ok());
  Result<void> on_file = fs_->create_directories(dir_.file("file"));
  ASSERT_FALSE(on_file.ok());
  EXPECT_EQ(on_file.code(), Errc::already_exists);
  EXPECT_FALSE(fs_->create_directories(dir_.file("file/below")).ok());
}

TEST_F(UringFileSystemTest, ExistsAndIsDirectory) {
  ASSERT_TRUE(fs_->close(open_new("f")).ok());
  EXPECT_TRUE(*fs_->exists(dir_.file("f")));
  EXPECT_FALSE(*fs_->is_directory(dir_.file("f")));
  EXPECT_TRUE(*fs_->exists(dir_.path()));
  EXPECT_TRUE(*fs_->is_directory(dir_.path()));
  EXPECT_FALSE(*fs_->exists(dir_.file("nothing")));
  EXPECT_FALSE(*fs_->is_directory(dir_.file("nothing")));
  EXPECT_FALSE(*fs_->exists(dir_.file("f/below")));  // ENOTDIR is "not there"
}

TEST_F(UringFileSystemTest, ListDirectoryIsSortedWithoutDots) {
  for (const char* name : {"c.log", "a.index", "b.log"})
    ASSERT_TRUE(fs_->close(open_new(name)).ok());
  ASSERT_TRUE(fs_->create_directories(dir_.file("d")).ok());
  Result<std::vector<std::string>> names = fs_->list_directory(dir_.path());
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"a.index", "b.log", "c.log", "d"}));

  Result<std::vector<std::string>> empty = fs_->list_directory(dir_.file("d"));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());

  Result<std::vector<std::string>> missing = fs_->list_directory(dir_.file("none"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.code(), Errc::not_found);
}

TEST_F(UringFileSystemTest, RemoveAndRename) {
  FileHandle file = open_new("old");
  ASSERT_TRUE(fs_->write(file, 0, as_bytes("kept")).ok());
  ASSERT_TRUE(fs_->close(file).ok());
  ASSERT_TRUE(fs_->rename(dir_.file("old"), dir_.file("new")).ok());
  EXPECT_FALSE(*fs_->exists(dir_.file("old")));
  Result<FileHandle> renamed = fs_->open(dir_.file("new"), OpenOptions{});
  ASSERT_TRUE(renamed.ok());
  std::vector<std::byte> out(4);
  EXPECT_EQ(*fs_->read(*renamed, 0, out), 4u);
  EXPECT_EQ(as_string(out), "kept");
  ASSERT_TRUE(fs_->close(*renamed).ok());

  Result<void> bad_rename = fs_->rename(dir_.file("old"), dir_.file("other"));
  EXPECT_EQ(bad_rename.code(), Errc::not_found);
  ASSERT_TRUE(fs_->remove_file(dir_.file("new")).ok());
  EXPECT_FALSE(*fs_->exists(dir_.file("new")));
  Result<void> again = fs_->remove_file(dir_.file("new"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.code(), Errc::not_found);
}

TEST_F(UringFileSystemTest, SyncDirectory) {
  ASSERT_TRUE(fs_->close(open_new("entry")).ok());
  EXPECT_TRUE(fs_->sync_directory(dir_.path()).ok());
  Result<void> missing = fs_->sync_directory(dir_.file("none"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.code(), Errc::not_found);
}

TEST_F(UringFileSystemTest, AsyncWriteReadAndDatasync) {
  FileHandle file = open_new("async");
  const std::string text = "asynchronous";
  IoOp write_op, sync_op, read_op;
  Completion written, synced, read;
  bind(write_op, written);
  bind(sync_op, synced);
  bind(read_op, read);
  fs_->write_async(file, 100, as_bytes(text), write_op);
  EXPECT_EQ(fs_->in_flight(), 1u);
  drain();
  fs_->datasync_async(file, sync_op);
  drain();
  std::vector<std::byte> out(64);
  fs_->read_async(file, 100, out, read_op);
  drain();
  ASSERT_TRUE(written.result && written.result->ok());
  EXPECT_EQ(**written.result, text.size());
  ASSERT_TRUE(synced.result && synced.result->ok());
  ASSERT_TRUE(read.result && read.result->ok());
  EXPECT_EQ(**read.result, text.size());  // short: end of file
  EXPECT_EQ(as_string(std::span(out).first(text.size())), text);
  ASSERT_TRUE(fs_->close(file).ok());
}

TEST_F(UringFileSystemTest, WriteThenDatasyncAsyncCompletesInOrder) {
  FileHandle file = open_new("linked");
  const std::string text = "group commit";
  IoOp write_op, sync_op;
  Completion written, synced;
  bind(write_op, written);
  bind(sync_op, synced);
  fs_->write_then_datasync_async(file, 0, as_bytes(text), write_op, sync_op);
  EXPECT_EQ(fs_->in_flight(), 2u);
  drain();
  ASSERT_TRUE(written.result && written.result->ok());
  ASSERT_TRUE(synced.result && synced.result->ok());
  EXPECT_LT(written.order, synced.order);
  std::vector<std::byte> out(text.size());
  EXPECT_EQ(*fs_->read(file, 0, out), text.size());
  EXPECT_EQ(as_string(out), text);
  ASSERT_TRUE(fs_->close(file).ok());
}

TEST_F(UringFileSystemTest, DirectIoAlignedWorksUnalignedIsInvalidArgument) {
  OpenOptions options;
  options.create = options.writable = options.direct = true;
  Result<FileHandle> opened = fs_->open(dir_.file("direct"), options);
  if (!opened.ok() && opened.code() == Errc::invalid_argument) {
    GTEST_SKIP() << "filesystem refuses O_DIRECT: " << opened.error().to_string();
  }
  ASSERT_TRUE(opened.ok()) << opened.error().to_string();
  FileHandle file = *opened;
  AlignedBuffer block(2 * kDirectIoAlignment);
  ASSERT_TRUE(fs_->write(file, 0, std::span(block.data, kDirectIoAlignment)).ok());

  Result<void> unaligned_offset = fs_->write(file, 100, std::span(block.data, kDirectIoAlignment));
  ASSERT_FALSE(unaligned_offset.ok());
  EXPECT_EQ(unaligned_offset.code(), Errc::invalid_argument);
  Result<void> unaligned_buffer =
      fs_->write(file, 0, std::span(block.data + 1, kDirectIoAlignment));
  ASSERT_FALSE(unaligned_buffer.ok());
  EXPECT_EQ(unaligned_buffer.code(), Errc::invalid_argument);

  IoOp aligned_op, unaligned_op;
  Completion aligned, unaligned;
  bind(aligned_op, aligned);
  bind(unaligned_op, unaligned);
  fs_->write_async(file, kDirectIoAlignment, std::span(block.data, kDirectIoAlignment), aligned_op);
  fs_->write_async(file, 7, std::span(block.data, 100), unaligned_op);
  drain();
  ASSERT_TRUE(aligned.result && aligned.result->ok()) << aligned.result->error().to_string();
  EXPECT_EQ(**aligned.result, kDirectIoAlignment);
  ASSERT_TRUE(unaligned.result && !unaligned.result->ok());
  EXPECT_EQ(unaligned.result->code(), Errc::invalid_argument);

  AlignedBuffer back(2 * kDirectIoAlignment);
  EXPECT_EQ(*fs_->read(file, 0, std::span(back.data, back.size)), back.size);
  EXPECT_EQ(std::memcmp(back.data, block.data, back.size), 0);
  ASSERT_TRUE(fs_->close(file).ok());
}

TEST_F(UringFileSystemTest, PollWithNothingInFlightReturnsZero) {
  EXPECT_EQ(fs_->in_flight(), 0u);
  EXPECT_EQ(fs_->poll(1s), 0u);
}

// A poll that waits ends when another thread calls wake(); the wake read it keeps on the ring
// is not an operation in flight.
TEST_F(UringFileSystemTest, WakeEndsAWaitingPollFromAnotherThread) {
  std::thread waker([&] {
    std::this_thread::sleep_for(20ms);
    fs_->wake();
  });
  const auto start = std::chrono::steady_clock::now();
  fs_->poll(std::chrono::seconds(10));
  const auto waited = std::chrono::steady_clock::now() - start;
  waker.join();
  EXPECT_LT(waited, 5s);
  EXPECT_EQ(fs_->in_flight(), 0u);
}

// A wake before the poll is not lost: the next waiting poll returns at once.
TEST_F(UringFileSystemTest, WakeBeforePollIsKept) {
  fs_->wake();
  const auto start = std::chrono::steady_clock::now();
  fs_->poll(std::chrono::seconds(10));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  // And the wait after it waits again (up to its timeout).
  const auto again = std::chrono::steady_clock::now();
  fs_->poll(20ms);
  EXPECT_GE(std::chrono::steady_clock::now() - again, 15ms);
}

TEST_F(UringFileSystemTest, RemoveDirectoryNeedsAnEmptyDirectory) {
  const std::string dir = dir_.file("sub");
  ASSERT_TRUE(fs_->create_directories(dir).ok());
  FileHandle file = open_new("sub/f");
  ASSERT_TRUE(fs_->close(file).ok());
  EXPECT_EQ(fs_->remove_directory(dir).code(), Errc::already_exists);
  ASSERT_TRUE(fs_->remove_file(dir + "/f").ok());
  ASSERT_TRUE(fs_->remove_directory(dir).ok());
  EXPECT_FALSE(*fs_->exists(dir));
  EXPECT_EQ(fs_->remove_directory(dir).code(), Errc::not_found);
}

}  // namespace
}  // namespace sluice::io
