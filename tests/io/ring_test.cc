// Tests of io/ring.h against the real kernel: each operation, short transfers, the linked
// write + fdatasync, the overflow list, re-entrant callbacks, and the errno mapping.
#include "io/ring.h"

#include "tests/support/temp_dir.h"

#include <fcntl.h>
#include "tests/support/completion.h"

#include <gtest/gtest.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
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

std::unique_ptr<Ring> make_ring(uint32_t entries = 64) {
  Ring::Options options;
  options.entries = entries;
  Result<std::unique_ptr<Ring>> ring = Ring::create(options);
  EXPECT_TRUE(ring.ok()) << ring.error().to_string();
  return std::move(*ring);
}

// Runs the ring until nothing is in flight; bounded so that a lost completion fails the test
// instead of hanging it.
void drain(Ring& ring) {
  for (int i = 0; i < 10000 && ring.in_flight() > 0; ++i)
    ring.run(100ms);
  ASSERT_EQ(ring.in_flight(), 0u);
}

std::vector<std::byte> bytes(const std::string& text) {
  std::vector<std::byte> out(text.size());
  std::memcpy(out.data(), text.data(), text.size());
  return out;
}

std::string file_contents(const std::string& path) {
  std::string out;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0);
  char buffer[4096];
  ssize_t n = 0;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0)
    out.append(buffer, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

class RingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ring_ = make_ring();
    path_ = dir_.file("data");
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    ASSERT_GE(fd_, 0);
  }
  void TearDown() override { ::close(fd_); }

  testing::TempDir dir_;
  std::unique_ptr<Ring> ring_;
  std::string path_;
  int fd_ = -1;
};

TEST_F(RingTest, WriteThenReadRoundTrip) {
  const std::vector<std::byte> data = bytes("hello, ring");
  IoOp write_op;
  Completion written;
  bind(write_op, written);
  ring_->write(write_op, fd_, 4096, data.data(), data.size());
  EXPECT_EQ(ring_->in_flight(), 1u);
  drain(*ring_);
  ASSERT_TRUE(written.result && written.result->ok()) << written.result->error().to_string();
  EXPECT_EQ(**written.result, data.size());

  std::vector<std::byte> out(data.size());
  IoOp read_op;
  Completion read;
  bind(read_op, read);
  ring_->read(read_op, fd_, 4096, out.data(), out.size());
  drain(*ring_);
  ASSERT_TRUE(read.result && read.result->ok());
  EXPECT_EQ(**read.result, data.size());
  EXPECT_EQ(out, data);
}

TEST_F(RingTest, WritevWritesEveryBufferInOrder) {
  const std::string a = "first-", b = "second-", c = "third";
  iovec iov[3] = {{const_cast<char*>(a.data()), a.size()},
                  {const_cast<char*>(b.data()), b.size()},
                  {const_cast<char*>(c.data()), c.size()}};
  IoOp op;
  Completion done;
  bind(op, done);
  ring_->writev(op, fd_, 0, iov, 3);
  drain(*ring_);
  ASSERT_TRUE(done.result && done.result->ok());
  EXPECT_EQ(**done.result, a.size() + b.size() + c.size());
  EXPECT_EQ(file_contents(path_), a + b + c);
}

TEST_F(RingTest, ReadPastEndOfFileIsShort) {
  ASSERT_EQ(::pwrite(fd_, "0123456789", 10, 0), 10);
  std::vector<std::byte> out(100);
  IoOp op;
  Completion done;
  bind(op, done);
  ring_->read(op, fd_, 4, out.data(), out.size());
  drain(*ring_);
  ASSERT_TRUE(done.result && done.result->ok());
  EXPECT_EQ(**done.result, 6u);
  EXPECT_EQ(std::memcmp(out.data(), "456789", 6), 0);

  Completion at_end;
  bind(op, at_end);
  ring_->read(op, fd_, 10, out.data(), out.size());
  drain(*ring_);
  ASSERT_TRUE(at_end.result && at_end.result->ok());
  EXPECT_EQ(**at_end.result, 0u);
}

// A pipe delivers what it holds, so a read of 10 bytes from a pipe holding 5 comes back short;
// the ring must continue it and complete only when all 10 are in.
TEST(RingShortTransfer, ShortReadIsContinued) {
  auto ring = make_ring();
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  ASSERT_EQ(::write(pipe_fds[1], "abcde", 5), 5);
  std::vector<std::byte> out(10);
  IoOp op;
  Completion done;
  bind(op, done);
  ring->read(op, pipe_fds[0], 0, out.data(), out.size());
  int pending = 5;
  for (int i = 0; i < 1000 && pending > 0; ++i) {
    ring->run(1ms);
    ASSERT_EQ(::ioctl(pipe_fds[0], FIONREAD, &pending), 0);
  }
  ASSERT_EQ(pending, 0) << "the ring never consumed the first half";
  EXPECT_FALSE(done.result.has_value());
  EXPECT_EQ(ring->in_flight(), 1u);
  ASSERT_EQ(::write(pipe_fds[1], "fghij", 5), 5);
  drain(*ring);
  ASSERT_TRUE(done.result && done.result->ok());
  EXPECT_EQ(**done.result, 10u);
  EXPECT_EQ(std::memcmp(out.data(), "abcdefghij", 10), 0);
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
}

// An empty O_NONBLOCK pipe gives -EAGAIN on some kernels (which the ring resubmits) and is
// polled inside the kernel on others (6.x); either way the read must wait, not fail.
// A 4-byte read submitted on an empty O_NONBLOCK pipe; the pipe closes with it.
struct PipeRead {
  explicit PipeRead(Ring& ring) {
    EXPECT_EQ(::pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
    bind(op, done);
    ring.read(op, fds[0], 0, out.data(), out.size());
  }
  ~PipeRead() {
    ::close(fds[0]);
    ::close(fds[1]);
  }
  PipeRead(const PipeRead&) = delete;
  PipeRead& operator=(const PipeRead&) = delete;

  int fds[2] = {-1, -1};
  std::vector<std::byte> out = std::vector<std::byte>(4);
  IoOp op;
  Completion done;
};

TEST(RingShortTransfer, ReadOnEmptyNonblockingPipeWaitsForData) {
  auto ring = make_ring();
  PipeRead pipe(*ring);
  for (int i = 0; i < 5; ++i)
    ring->run(1ms);
  EXPECT_FALSE(pipe.done.result.has_value());
  EXPECT_EQ(ring->in_flight(), 1u);
  ASSERT_EQ(::write(pipe.fds[1], "data", 4), 4);
  drain(*ring);
  ASSERT_TRUE(pipe.done.result && pipe.done.result->ok()) << pipe.done.result->error().to_string();
  EXPECT_EQ(**pipe.done.result, 4u);
  EXPECT_EQ(std::memcmp(pipe.out.data(), "data", 4), 0);
}

// A read waiting on a pipe completes through task work (the writer's wake-up queues it for the
// ring's thread, which IORING_SETUP_COOP_TASKRUN does not interrupt): a thread that only polls,
// never waiting in the kernel, still gets it.
TEST(RingTaskWork, AWaitingReadReachesAThreadThatOnlyPolls) {
  auto ring = make_ring();
  PipeRead pipe(*ring);
  ring->run(0ns);  // submitted; the pipe is empty
  std::thread writer([&] {
    std::this_thread::sleep_for(5ms);
    EXPECT_EQ(::write(pipe.fds[1], "data", 4), 4);
  });
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (!pipe.done.result && std::chrono::steady_clock::now() < until)
    ring->run(0ns);
  writer.join();
  ASSERT_TRUE(pipe.done.result && pipe.done.result->ok());
  EXPECT_EQ(**pipe.done.result, 4u);
}

// A ring destroyed with operations still in the kernel (and on its overflow list) cancels
// them and never runs their callbacks.
TEST(RingShutdown, DestroyingTheRingCancelsWhatIsInFlight) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  std::vector<IoOp> ops(20);
  std::vector<Completion> done(ops.size());
  std::vector<std::byte> out(ops.size());
  {
    auto ring = make_ring(4);
    for (size_t i = 0; i < ops.size(); ++i) {
      bind(ops[i], done[i]);
      if (i % 2 == 0) {
        ring->timeout(ops[i], std::chrono::hours(1));
      } else {
        ring->read(ops[i], pipe_fds[0], 0, &out[i], 1);  // nothing will ever be written
      }
    }
    ring->run(1ms);
    EXPECT_EQ(ring->in_flight(), ops.size());
  }
  for (const Completion& completion : done)
    EXPECT_FALSE(completion.result.has_value());
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
}

// A write larger than the pipe's buffer goes out in pieces as a reader drains the pipe; the
// callback sees the whole length once.
TEST(RingShortTransfer, LargeWriteToPipeCompletesWhole) {
  auto ring = make_ring();
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  std::vector<std::byte> data(1 << 20);
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<std::byte>(i * 7);
  std::vector<std::byte> received;
  std::thread reader([&] {
    std::byte buffer[8192];
    ssize_t n = 0;
    while ((n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0) {
      received.insert(received.end(), buffer, buffer + n);
    }
  });
  IoOp op;
  Completion done;
  bind(op, done);
  ring->write(op, pipe_fds[1], 0, data.data(), data.size());
  drain(*ring);
  ::close(pipe_fds[1]);
  reader.join();
  ::close(pipe_fds[0]);
  ASSERT_TRUE(done.result && done.result->ok()) << done.result->error().to_string();
  EXPECT_EQ(**done.result, data.size());
  EXPECT_EQ(received, data);
}

TEST_F(RingTest, LinkedWriteThenFdatasyncCompletesWriteFirst) {
  const std::vector<std::byte> data = bytes("durable bytes");
  IoOp write_op, sync_op;
  Completion written, synced;
  bind(write_op, written);
  bind(sync_op, synced);
  ring_->write_then_fdatasync(write_op, sync_op, fd_, 0, data.data(), data.size());
  EXPECT_EQ(ring_->in_flight(), 2u);
  drain(*ring_);
  ASSERT_TRUE(written.result && written.result->ok());
  ASSERT_TRUE(synced.result && synced.result->ok()) << synced.result->error().to_string();
  EXPECT_EQ(**written.result, data.size());
  EXPECT_EQ(**synced.result, 0u);
  EXPECT_LT(written.order, synced.order);
  EXPECT_EQ(file_contents(path_), "durable bytes");
}

TEST_F(RingTest, LinkedWriteFailureFailsTheSyncWithTheSameError) {
  int read_only = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(read_only, 0);
  const std::vector<std::byte> data = bytes("nope");
  IoOp write_op, sync_op;
  Completion written, synced;
  bind(write_op, written);
  bind(sync_op, synced);
  ring_->write_then_fdatasync(write_op, sync_op, read_only, 0, data.data(), data.size());
  drain(*ring_);
  ::close(read_only);
  ASSERT_TRUE(written.result && !written.result->ok());
  ASSERT_TRUE(synced.result && !synced.result->ok());
  EXPECT_EQ(written.result->code(), Errc::io_error);
  EXPECT_EQ(synced.result->code(), written.result->code());
  EXPECT_EQ(synced.result->error().message(), written.result->error().message());
  EXPECT_LT(written.order, synced.order);
}

// With RLIMIT_FSIZE just inside the write, the kernel writes up to the limit (a short write
// that cancels the linked fdatasync), and the continued write fails with EFBIG: both
// operations must report it, as no_space.
TEST_F(RingTest, ShortLinkedWriteIsContinuedThenFailsBothWithNoSpace) {
  struct sigaction ignore {
  }, previous{};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGXFSZ, &ignore, &previous), 0);
  rlimit old_limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  rlimit limit = old_limit;
  limit.rlim_cur = 6;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limit), 0);

  const std::vector<std::byte> data = bytes("0123456789");
  IoOp write_op, sync_op;
  Completion written, synced;
  bind(write_op, written);
  bind(sync_op, synced);
  ring_->write_then_fdatasync(write_op, sync_op, fd_, 0, data.data(), data.size());
  drain(*ring_);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &old_limit), 0);
  ASSERT_EQ(::sigaction(SIGXFSZ, &previous, nullptr), 0);

  ASSERT_TRUE(written.result && !written.result->ok());
  ASSERT_TRUE(synced.result && !synced.result->ok());
  EXPECT_EQ(written.result->code(), Errc::no_space) << written.result->error().to_string();
  EXPECT_EQ(synced.result->error().message(), written.result->error().message());
  // The first 6 bytes went out; the error names where the continued write failed.
  EXPECT_EQ(file_contents(path_), "012345");
  EXPECT_NE(written.result->error().message().find(" at 6: "), std::string::npos)
      << written.result->error().message();
}

TEST_F(RingTest, FallocateReservesAndExtends) {
  IoOp op;
  Completion done;
  bind(op, done);
  ring_->fallocate(op, fd_, 0, 0, 1 << 20);
  drain(*ring_);
  ASSERT_TRUE(done.result.has_value());
  if (!done.result->ok() && done.result->code() == Errc::unsupported) {
    GTEST_SKIP() << "filesystem refuses fallocate";
  }
  ASSERT_TRUE(done.result->ok()) << done.result->error().to_string();
  struct stat st {};
  ASSERT_EQ(::fstat(fd_, &st), 0);
  EXPECT_EQ(st.st_size, 1 << 20);
  EXPECT_GE(st.st_blocks * 512, 1 << 20);
}

TEST_F(RingTest, OpenatThenClose) {
  const std::string path = dir_.file("opened");
  IoOp op;
  Completion opened;
  bind(op, opened);
  ring_->openat(op, AT_FDCWD, path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  drain(*ring_);
  ASSERT_TRUE(opened.result && opened.result->ok()) << opened.result->error().to_string();
  const int fd = static_cast<int>(**opened.result);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(::pwrite(fd, "x", 1, 0), 1);
  EXPECT_NE(::fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);

  Completion closed;
  bind(op, closed);
  ring_->close(op, fd);
  drain(*ring_);
  ASSERT_TRUE(closed.result && closed.result->ok());
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);  // gone

  Completion again;
  bind(op, again);
  ring_->openat(op, AT_FDCWD, path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  drain(*ring_);
  ASSERT_TRUE(again.result && !again.result->ok());
  EXPECT_EQ(again.result->code(), Errc::already_exists);
}

TEST_F(RingTest, OpenatMissingPathIsNotFound) {
  const std::string path = dir_.file("missing");
  IoOp op;
  Completion done;
  bind(op, done);
  ring_->openat(op, AT_FDCWD, path.c_str(), O_RDONLY | O_CLOEXEC, 0);
  drain(*ring_);
  ASSERT_TRUE(done.result && !done.result->ok());
  EXPECT_EQ(done.result->code(), Errc::not_found);
  EXPECT_EQ(done.result->error().message(), "openat " + path + ": No such file or directory");
}

TEST_F(RingTest, TimeoutFiresWithZero) {
  IoOp op;
  Completion done;
  bind(op, done);
  ring_->timeout(op, 1ms);
  EXPECT_EQ(ring_->in_flight(), 1u);
  drain(*ring_);
  ASSERT_TRUE(done.result && done.result->ok()) << done.result->error().to_string();
  EXPECT_EQ(**done.result, 0u);
}

TEST_F(RingTest, RunWithNothingInFlightReturnsZero) {
  EXPECT_EQ(ring_->run(1s), 0u);
}

// Far more operations than the SQ (8) and CQ (16) hold: the rest wait on the overflow list and
// all of them complete.
TEST_F(RingTest, ManyOperationsBeyondTheQueueSize) {
  auto small = make_ring(8);
  constexpr int kOps = 1000;
  std::vector<IoOp> ops(kOps);
  std::vector<Completion> done(kOps);
  std::vector<uint64_t> values(kOps);
  for (int i = 0; i < kOps; ++i) {
    values[i] = static_cast<uint64_t>(i) * 0x0101010101010101ull;
    bind(ops[i], done[i]);
    small->write(ops[i], fd_, static_cast<uint64_t>(i) * 8, &values[i], 8);
  }
  EXPECT_EQ(small->in_flight(), static_cast<uint32_t>(kOps));
  drain(*small);
  for (int i = 0; i < kOps; ++i) {
    ASSERT_TRUE(done[i].result && done[i].result->ok()) << i;
  }
  std::vector<uint64_t> read_back(kOps);
  ASSERT_EQ(::pread(fd_, read_back.data(), kOps * 8, 0), kOps * 8);
  EXPECT_EQ(read_back, values);
}

// A linked pair needs two SQEs at once; mixed with single writes in a tiny ring it still
// completes in order.
TEST_F(RingTest, LinkedPairsThroughTheOverflowList) {
  auto small = make_ring(2);
  constexpr int kPairs = 50;
  std::vector<IoOp> writes(kPairs), syncs(kPairs), singles(kPairs);
  std::vector<Completion> written(kPairs), synced(kPairs), single_done(kPairs);
  const std::vector<std::byte> data = bytes("pairdata");
  for (int i = 0; i < kPairs; ++i) {
    bind(singles[i], single_done[i]);
    small->write(singles[i], fd_, static_cast<uint64_t>(i) * 16 + 8, data.data(), data.size());
    bind(writes[i], written[i]);
    bind(syncs[i], synced[i]);
    small->write_then_fdatasync(writes[i], syncs[i], fd_, static_cast<uint64_t>(i) * 16,
                                data.data(), data.size());
  }
  drain(*small);
  for (int i = 0; i < kPairs; ++i) {
    ASSERT_TRUE(written[i].result && written[i].result->ok()) << i;
    ASSERT_TRUE(synced[i].result && synced[i].result->ok()) << i;
    ASSERT_TRUE(single_done[i].result && single_done[i].result->ok()) << i;
    EXPECT_LT(written[i].order, synced[i].order);
  }
  EXPECT_EQ(file_contents(path_).size(), kPairs * 16u);
}

// Each callback submits the next write from inside run(): a chain of dependent operations.
struct Chain {
  Ring* ring = nullptr;
  int fd = -1;
  int remaining = 0;
  int completed = 0;
  char byte = 'a';
  IoOp op;
};

void chain_step(IoOp& op, Result<uint64_t> result) {
  auto* chain = static_cast<Chain*>(op.context);
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  ++chain->completed;
  if (--chain->remaining == 0) return;
  // The op is reused at once, from inside its own callback.
  chain->ring->write(op, chain->fd, static_cast<uint64_t>(chain->completed), &chain->byte, 1);
}

TEST_F(RingTest, CallbacksMaySubmitNewOperations) {
  Chain chain;
  chain.ring = ring_.get();
  chain.fd = fd_;
  chain.remaining = 20;
  chain.op.callback = chain_step;
  chain.op.context = &chain;
  ring_->write(chain.op, fd_, 0, &chain.byte, 1);
  drain(*ring_);
  EXPECT_EQ(chain.completed, 20);
  EXPECT_EQ(file_contents(path_), std::string(20, 'a'));
}

TEST_F(RingTest, ReadOnWriteOnlyDescriptorFails) {
  int write_only = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(write_only, 0);
  std::vector<std::byte> out(16);
  IoOp op;
  Completion done;
  bind(op, done);
  ring_->read(op, write_only, 0, out.data(), out.size());
  drain(*ring_);
  ::close(write_only);
  ASSERT_TRUE(done.result && !done.result->ok());
  EXPECT_EQ(done.result->code(), Errc::io_error);
  EXPECT_EQ(done.result->error().message(),
            "pread fd " + std::to_string(write_only) + " at 0: Bad file descriptor");
}

TEST_F(RingTest, WriteOnClosedDescriptorFails) {
  int fd = ::open(path_.c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ::close(fd);
  const std::vector<std::byte> data = bytes("x");
  IoOp op;
  Completion done;
  bind(op, done);
  ring_->write(op, fd, 0, data.data(), data.size());
  drain(*ring_);
  ASSERT_TRUE(done.result && !done.result->ok());
  EXPECT_EQ(done.result->code(), Errc::io_error);
}

TEST_F(RingTest, WriteToFullDeviceIsNoSpace) {
  int full = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
  if (full < 0) GTEST_SKIP() << "no /dev/full";
  const std::vector<std::byte> data = bytes("x");
  IoOp op;
  Completion done;
  bind(op, done);
  ring_->write(op, full, 0, data.data(), data.size());
  drain(*ring_);
  ::close(full);
  ASSERT_TRUE(done.result && !done.result->ok());
  EXPECT_EQ(done.result->code(), Errc::no_space);
  EXPECT_EQ(done.result->error().message(),
            "pwrite fd " + std::to_string(full) + " at 0: No space left on device");
}

TEST(RingSqpoll, WriteAndReadWithSqpoll) {
  Ring::Options options;
  options.sqpoll = true;
  options.sqpoll_idle_ms = 10;
  Result<std::unique_ptr<Ring>> created = Ring::create(options);
  if (!created.ok()) GTEST_SKIP() << "SQPOLL unavailable: " << created.error().to_string();
  Ring& ring = **created;
  testing::TempDir dir;
  int fd = ::open(dir.file("f").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  const std::vector<std::byte> data = bytes("polled");
  std::vector<std::byte> out(data.size());
  IoOp write_op, read_op;
  Completion written, read;
  bind(write_op, written);
  bind(read_op, read);
  ring.write(write_op, fd, 0, data.data(), data.size());
  drain(ring);
  ring.read(read_op, fd, 0, out.data(), out.size());
  drain(ring);
  ::close(fd);
  ASSERT_TRUE(written.result && written.result->ok());
  ASSERT_TRUE(read.result && read.result->ok());
  EXPECT_EQ(out, data);
}

TEST(RingCreate, ReportsItsDescriptor) {
  auto ring = make_ring();
  EXPECT_GE(ring->fd(), 0);
  EXPECT_EQ(ring->in_flight(), 0u);
}

TEST(ErrnoMapping, EveryDocumentedErrnoHasItsErrc) {
  const std::pair<int, Errc> table[] = {
      {ENOSPC, Errc::no_space},
      {EDQUOT, Errc::no_space},
      {EFBIG, Errc::no_space},
      {EIO, Errc::io_error},
      {EROFS, Errc::io_error},
      {EBADF, Errc::io_error},
      {ENOENT, Errc::not_found},
      {ENOTDIR, Errc::not_found},
      {EEXIST, Errc::already_exists},
      {ENOTEMPTY, Errc::already_exists},
      {EACCES, Errc::permission_denied},
      {EPERM, Errc::permission_denied},
      {EINVAL, Errc::invalid_argument},
      {EISDIR, Errc::invalid_argument},
      {ENAMETOOLONG, Errc::invalid_argument},
      {EOPNOTSUPP, Errc::unsupported},
      {ENOTSUP, Errc::unsupported},
      {ENOSYS, Errc::unsupported},
      {EXDEV, Errc::unsupported},
      {EBUSY, Errc::busy},
      {EMFILE, Errc::busy},
      {EAGAIN, Errc::would_block},
      {EWOULDBLOCK, Errc::would_block},
      {EINTR, Errc::would_block},
      {ECANCELED, Errc::closed},
      {ETIME, Errc::timed_out},
      {ETIMEDOUT, Errc::timed_out},
      {EPROTO, Errc::io_error},  // the default for the unexpected
  };
  for (const auto& [err, code] : table) {
    EXPECT_EQ(errno_to_errc(err), code) << strerrorname_np(err);
  }
}

TEST(ErrnoMapping, ErrorNamesTheOperationAndTheCause) {
  Error error = errno_error(ENOSPC, "pwrite fd 7 at 4096");
  EXPECT_EQ(error.code(), Errc::no_space);
  EXPECT_EQ(error.message(), "pwrite fd 7 at 4096: No space left on device");
}

}  // namespace
}  // namespace sluice::io
