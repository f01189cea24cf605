// PartitionLog against SIGKILL on the real file system (io_uring). A child process appends
// synced batches to one partition, several in flight, and reports each acknowledged append's
// last offset through a pipe; the parent kills it at a random moment, reopens the partition and
// checks that every acknowledged offset survived, in order and with no gap, with the values the
// child wrote. The same partition goes on through every round, so later rounds also recover
// from crashes in the middle of a roll, of a recovery, or of a previous round's tail.
#include "io/logger.h"
#include "io/uring_file_system.h"
#include "partitions/partition_log.h"
#include "partitions/record_batch.h"
#include "tests/support/log_files.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::partitions {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kRounds = 60;
constexpr int kMaxInFlight = 8;
// Words the child writes to the pipe: an acknowledged last offset (>= 0), or a failure.
constexpr int64_t kChildNoFileSystem = -1;
constexpr int64_t kChildOpenFailed = -2;
constexpr int64_t kChildAppendFailed = -3;  // minus the Errc, below this
constexpr auto kChildLifetime = std::chrono::seconds(5);

// Rounds alternate O_DIRECT and buffered writes on the same partition.
LogOptions crash_options(bool direct_io) {
  LogOptions o;
  o.direct_io = direct_io;
  o.segment_bytes = 64 * 1024;  // rolls every few rounds
  o.chunk_bytes = 64 * 1024;
  o.tail_cache_bytes = 1 << 20;
  o.max_batch_bytes = 256 * 1024;
  return o;
}

// The value of the record at `offset`: the parent knows what every record must hold.
std::string value_at(int64_t offset) {
  std::string value = "v" + std::to_string(offset) + "-";
  value.resize(40 + static_cast<size_t>(offset % 97), '.');
  return value;
}

// 1 to 4 records, by base offset.
int records_at(int64_t base_offset) {
  return 1 + static_cast<int>(base_offset % 4);
}

void write_word(int fd, int64_t word) {
  // 8 bytes are below PIPE_BUF: the write is atomic. A failed write leaves the parent short of
  // an acknowledgement, which it can only under-count: safe for the check.
  while (::write(fd, &word, sizeof word) < 0 && errno == EINTR) {
  }
}

// The child: appends until killed (or kChildLifetime passes). Never returns; no gtest here.
[[noreturn]] void run_child(const std::string& dir, bool direct_io, int fd) {
  auto made = io::make_uring_file_system();
  if (!made.ok()) {
    write_word(fd, kChildNoFileSystem);
    _exit(2);
  }
  io::FileSystem& fs = **made;
  auto opened = PartitionLog::open(fs, dir, crash_options(direct_io));
  if (!opened.ok()) {
    write_word(fd, kChildOpenFailed);
    _exit(3);
  }
  PartitionLog& log = **opened;
  BatchBuilder builder;
  int in_flight = 0;
  auto on_synced = [fd, &in_flight](const Result<AppendInfo>& result) {
    --in_flight;
    write_word(fd, result.ok() ? result->last_offset
                               : kChildAppendFailed - static_cast<int64_t>(result.code()));
  };
  const auto deadline = Clock::now() + kChildLifetime;
  while (Clock::now() < deadline) {
    if (in_flight < kMaxInFlight) {
      const int64_t base = log.next_offset();
      builder.reset();
      for (int i = 0; i < records_at(base); ++i) {
        const int64_t offset = base + i;
        builder.add("k" + std::to_string(offset), value_at(offset), 1000 + offset);
      }
      auto appended = log.append(builder.finish(), Durability::synced, on_synced);
      if (appended.ok()) {
        ++in_flight;
      } else if (appended.code() != Errc::would_block) {
        write_word(fd, kChildAppendFailed - static_cast<int64_t>(appended.code()));
        _exit(4);
      }
      log.flush();
    }
    fs.poll(in_flight >= kMaxInFlight ? std::chrono::microseconds(500)
                                      : std::chrono::microseconds(0));
  }
  _exit(0);
}

class PartitionLogCrashTest : public ::testing::Test {
 protected:
  // Recovery's lines are kept per round: counted, and printed when the round fails.
  void SetUp() override {
    previous_sink_ = set_log_sink([this](LogLevel, std::string_view line) {
      round_lines_.emplace_back(line);
      const bool cut = line.find("recovery cut") != std::string_view::npos ||
                       line.find("the log ends here") != std::string_view::npos;
      recovery_cuts_ += cut ? 1 : 0;
    });
  }
  void TearDown() override { set_log_sink(std::move(previous_sink_)); }

  // Reads whole words from the pipe into acked_, waiting at most `wait`. False at end of file.
  bool read_words(int fd, std::chrono::milliseconds wait) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return true;
    char buffer[4096];
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0) return errno == EINTR;
    if (got == 0) return false;
    pending_.insert(pending_.end(), buffer, buffer + got);
    size_t used = 0;
    for (; pending_.size() - used >= sizeof(int64_t); used += sizeof(int64_t)) {
      int64_t word;
      std::memcpy(&word, pending_.data() + used, sizeof word);
      words_.push_back(word);
    }
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<ptrdiff_t>(used));
    return true;
  }

  // Runs one child, kills it after `delay` and returns the words it sent.
  std::vector<int64_t> crash_after(std::chrono::milliseconds delay, bool direct_io, int* status) {
    words_.clear();
    pending_.clear();
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      ADD_FAILURE() << "pipe2: " << std::strerror(errno);
      return {};
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
      ADD_FAILURE() << "fork: " << std::strerror(errno);
      return {};
    }
    if (pid == 0) {
      ::close(fds[0]);
      run_child(dir_, direct_io, fds[1]);
    }
    ::close(fds[1]);
    const auto kill_at = Clock::now() + delay;
    for (auto now = Clock::now(); now < kill_at; now = Clock::now()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(kill_at - now);
      if (!read_words(fds[0], std::max(left, std::chrono::milliseconds(1)))) break;
    }
    ::kill(pid, SIGKILL);
    while (read_words(fds[0], std::chrono::milliseconds(1000))) {
    }
    ::close(fds[0]);
    while (::waitpid(pid, status, 0) < 0 && errno == EINTR) {
    }
    return words_;
  }

  LogSink previous_sink_;
  std::vector<std::string> round_lines_;
  int recovery_cuts_ = 0;
  testing::TempDir temp_;
  std::string dir_ = temp_.file("orders-0");
  std::vector<char> pending_;
  std::vector<int64_t> words_;
};

TEST_F(PartitionLogCrashTest, EveryAcknowledgedAppendSurvivesSigkill) {
  {
    auto made = io::make_uring_file_system();
    if (!made.ok()) GTEST_SKIP() << "io_uring is not available: " << made.error().to_string();
  }
  std::mt19937_64 random(2024);
  int64_t max_acked = -1;
  int64_t total_acks = 0;
  for (int round = 0; round < kRounds; ++round) {
    const auto delay = std::chrono::milliseconds(5 + random() % 76);
    const bool direct_io = round % 2 == 0;
    SCOPED_TRACE("round " + std::to_string(round) + (direct_io ? " (O_DIRECT)" : " (buffered)") +
                 ", killed after " + std::to_string(delay.count()) + " ms");
    round_lines_.clear();
    struct PrintOnFailure {
      const std::vector<std::string>& lines;
      ~PrintOnFailure() {
        if (!::testing::Test::HasFailure()) return;
        for (const std::string& line : lines)
          std::fprintf(stderr, "log: %s\n", line.c_str());
      }
    } print_on_failure{round_lines_};
    int status = 0;
    const std::vector<int64_t> acks = crash_after(delay, direct_io, &status);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the child ended by itself, status " << status;
    for (int64_t ack : acks) {
      ASSERT_GE(ack, 0) << "the child failed: word " << ack;
      ASSERT_GT(ack, max_acked) << "acknowledgements out of order";
      max_acked = ack;
    }
    total_acks += static_cast<int64_t>(acks.size());

    auto fs = io::make_uring_file_system();
    ASSERT_TRUE(fs.ok()) << fs.error().to_string();
    auto log = PartitionLog::open(**fs, dir_, crash_options(direct_io));
    ASSERT_TRUE(log.ok()) << log.error().to_string();
    ASSERT_GE((*log)->next_offset(), max_acked + 1);
    const std::vector<testing::Record> records = testing::read_records(**log, 0);
    ASSERT_EQ(static_cast<int64_t>(records.size()), (*log)->next_offset());
    for (const testing::Record& record : records)
      ASSERT_EQ(record.value, value_at(record.offset)) << "offset " << record.offset;
  }
  // The test means something only when the children got appends acknowledged.
  EXPECT_GT(total_acks, kRounds);
  std::printf(
      "%d rounds, %lld acknowledged appends, max acknowledged offset %lld, %d recovery cuts\n",
      kRounds, static_cast<long long>(total_acks), static_cast<long long>(max_acked),
      recovery_cuts_);
}

}  // namespace
}  // namespace sluice::partitions
