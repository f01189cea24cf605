// PartitionLog on a real, full filesystem: a small ext4 image mounted on a loop device (or, when
// that is refused, a small tmpfs), filled by a filler file but for a little space. Appends run
// until the disk is full; the log must fail them with Errc::no_space, keep everything
// acknowledged, and take appends again once the filler is deleted, across a reopen.
// Needs root (mount); skips with a message otherwise.
#include "io/uring_file_system.h"
#include "partitions/partition_log.h"
#include "tests/support/batches.h"
#include "tests/support/log_files.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <optional>

namespace sluice::partitions {
namespace {

namespace stdfs = std::filesystem;
using testing::append_wait;
using testing::make_batch;
using testing::Record;

constexpr int kRecordsPerBatch = 4;
constexpr size_t kValueBytes = 200;  // a batch of about 900 bytes

bool run(const std::string& command) {
  return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}

class PartitionLogEnospcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "mounting a small filesystem needs root";
    auto made = io::make_uring_file_system();
    if (!made.ok()) GTEST_SKIP() << "io_uring is not available: " << made.error().to_string();
    fs_ = std::move(made).value();
    mount_point_ = images_.file("mnt");
    stdfs::create_directory(mount_point_);
    const std::string image = images_.file("small.ext4");
    if (run("truncate -s 8M " + image) && run("mkfs.ext4 -q -F -m 0 " + image) &&
        run("mount -o loop " + image + " " + mount_point_)) {
      kind_ = "ext4 on a loop device (8 MiB)";
    } else if (run("mount -t tmpfs -o size=8m tmpfs " + mount_point_)) {
      kind_ = "tmpfs (8 MiB)";
    } else {
      GTEST_SKIP() << "cannot mount a small filesystem here (neither `mount -o loop` of an ext4 "
                      "image nor `mount -t tmpfs` worked): nothing to fill";
    }
    mounted_ = true;
    dir_ = mount_point_ + "/orders-0";
    std::printf("filesystem: %s\n", kind_.c_str());
  }

  void TearDown() override {
    fs_.reset();
    if (mounted_ && !run("umount " + mount_point_)) {
      ADD_FAILURE() << "umount " << mount_point_ << " failed; detaching it lazily";
      (void)run("umount -l " + mount_point_);
    }
  }

  // Takes all the free space but `leave_bytes` with a filler file, created before the log.
  void fill_leaving(uint64_t leave_bytes) {
    const uint64_t available = stdfs::space(mount_point_).available;
    ASSERT_GT(available, leave_bytes + (1 << 20));
    const int fd = ::open((mount_point_ + "/filler").c_str(), O_CREAT | O_WRONLY, 0644);
    ASSERT_GE(fd, 0);
    const int failed = ::posix_fallocate(fd, 0, static_cast<off_t>(available - leave_bytes));
    ::close(fd);
    ASSERT_EQ(failed, 0) << "posix_fallocate of the filler: " << std::strerror(failed);
  }

  std::unique_ptr<PartitionLog> open(const LogOptions& o) {
    auto log = PartitionLog::open(*fs_, dir_, o);
    EXPECT_TRUE(log.ok()) << log.error().to_string();
    return log.ok() ? std::move(log).value() : nullptr;
  }

  // Appends synced batches until one fails; checks that the failure is no_space and that the
  // log still holds exactly what was acknowledged.
  void append_until_full(PartitionLog& log) {
    Result<AppendInfo> last = AppendInfo{};
    for (int i = 0; i < 20000; ++i) {
      const std::string prefix = "e" + std::to_string(i);
      last = append_wait(*fs_, log, make_batch(prefix, kRecordsPerBatch, 1000, kValueBytes),
                         Durability::synced);
      if (!last.ok()) break;
      ASSERT_EQ(last->base_offset, static_cast<int64_t>(acknowledged_.size()));
      for (int r = 0; r < kRecordsPerBatch; ++r)
        acknowledged_.push_back({last->base_offset + r, padded(prefix + "-" + std::to_string(r))});
    }
    ASSERT_FALSE(last.ok()) << "the disk never filled";
    std::printf("after %zu acknowledged records: %s\n", acknowledged_.size(),
                last.error().to_string().c_str());
    EXPECT_EQ(last.code(), Errc::no_space) << last.error().to_string();
    EXPECT_FALSE(last.error().message().empty());
    EXPECT_FALSE(acknowledged_.empty());
    EXPECT_EQ(log.next_offset(), static_cast<int64_t>(acknowledged_.size()));
    EXPECT_EQ(testing::read_records(log, 0), acknowledged_);
  }

  // Deletes the filler: appends work again, and everything survives a reopen.
  void free_space_and_resume(std::unique_ptr<PartitionLog> log, const LogOptions& o) {
    ASSERT_TRUE(stdfs::remove(mount_point_ + "/filler"));
    for (int i = 0; i < 3; ++i) {
      const std::string prefix = "resumed" + std::to_string(i);
      auto resumed = append_wait(
          *fs_, *log, make_batch(prefix, kRecordsPerBatch, 1000, kValueBytes), Durability::synced);
      ASSERT_TRUE(resumed.ok()) << resumed.error().to_string();
      ASSERT_EQ(resumed->base_offset, static_cast<int64_t>(acknowledged_.size()));
      for (int r = 0; r < kRecordsPerBatch; ++r)
        acknowledged_.push_back(
            {resumed->base_offset + r, padded(prefix + "-" + std::to_string(r))});
    }
    EXPECT_EQ(testing::read_records(*log, 0), acknowledged_);
    log.reset();
    log = open(o);
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(log->next_offset(), static_cast<int64_t>(acknowledged_.size()));
    EXPECT_EQ(testing::read_records(*log, 0), acknowledged_);
  }

  static std::string padded(std::string value) {
    if (value.size() < kValueBytes) value.resize(kValueBytes, '.');
    return value;
  }

  LogOptions options() const {
    LogOptions o;
    o.chunk_bytes = 64 * 1024;
    o.tail_cache_bytes = 1 << 20;
    o.max_batch_bytes = 256 * 1024;
    return o;
  }

  testing::TempDir images_;
  std::unique_ptr<io::FileSystem> fs_;
  std::string mount_point_;
  std::string kind_;
  bool mounted_ = false;
  std::string dir_;
  std::vector<Record> acknowledged_;
};

// Without preallocation the full disk shows when a write of the tail fails.
TEST_F(PartitionLogEnospcTest, WritesFailWithNoSpaceUntilSpaceIsFreed) {
  auto o = options();
  o.preallocate = false;
  o.segment_bytes = 4 << 20;  // no roll: the failure must come from a write
  fill_leaving(256 * 1024);
  auto log = open(o);
  ASSERT_NE(log, nullptr);
  append_until_full(*log);
  if (HasFatalFailure()) return;
  free_space_and_resume(std::move(log), o);
}

// The same with several appends in flight: the failed write and every append after it fail
// with no_space, the ones before it are acknowledged, and the log is cut back to them.
TEST_F(PartitionLogEnospcTest, PipelinedAppendsFailWithNoSpaceAndLeaveTheAcknowledgedPrefix) {
  auto o = options();
  o.preallocate = false;
  o.segment_bytes = 4 << 20;
  fill_leaving(256 * 1024);
  auto log = open(o);
  ASSERT_NE(log, nullptr);

  struct Outcome {
    AppendInfo info;
    std::string prefix;
    std::optional<Result<AppendInfo>> result;
  };
  std::deque<Outcome> outcomes;  // stable addresses for the callbacks
  int in_flight = 0;
  bool failed = false;
  for (int i = 0; i < 20000 && !failed;) {
    if (in_flight < 8) {
      const std::string prefix = "p" + std::to_string(i);
      Outcome& outcome = outcomes.emplace_back();
      auto appended =
          log->append(make_batch(prefix, kRecordsPerBatch, 1000, kValueBytes), Durability::synced,
                      [&outcome, &in_flight, &failed](const Result<AppendInfo>& r) {
                        outcome.result.emplace(r);
                        --in_flight;
                        failed = failed || !r.ok();
                      });
      if (appended.ok()) {
        outcome.info = *appended;
        outcome.prefix = prefix;
        ++in_flight;
        ++i;
      } else {
        outcomes.pop_back();
        ASSERT_EQ(appended.code(), Errc::would_block) << appended.error().to_string();
      }
    }
    log->flush();
    fs_->poll(in_flight >= 8 ? std::chrono::microseconds(1000) : std::chrono::microseconds(0));
  }
  ASSERT_TRUE(failed) << "the disk never filled";
  for (int i = 0; i < 10000 && in_flight > 0; ++i)
    fs_->poll(std::chrono::milliseconds(1));
  ASSERT_EQ(in_flight, 0);

  size_t first_failed = 0;
  while (first_failed < outcomes.size() && outcomes[first_failed].result->ok()) {
    const Outcome& outcome = outcomes[first_failed++];
    for (int r = 0; r < kRecordsPerBatch; ++r) {
      acknowledged_.push_back(
          {outcome.info.base_offset + r, padded(outcome.prefix + "-" + std::to_string(r))});
    }
  }
  ASSERT_LT(first_failed, outcomes.size());
  std::printf("%zu appends acknowledged, %zu failed: %s\n", first_failed,
              outcomes.size() - first_failed,
              outcomes[first_failed].result->error().to_string().c_str());
  for (size_t i = first_failed; i < outcomes.size(); ++i) {
    ASSERT_FALSE(outcomes[i].result->ok()) << "append " << i << " acknowledged after a failed one";
    EXPECT_EQ(outcomes[i].result->code(), Errc::no_space)
        << outcomes[i].result->error().to_string();
  }
  EXPECT_EQ(log->next_offset(), static_cast<int64_t>(acknowledged_.size()));
  EXPECT_EQ(testing::read_records(*log, 0), acknowledged_);
  free_space_and_resume(std::move(log), o);
}

// With preallocation, writes land in reserved space; the full disk shows when a roll cannot
// create (fallocate) the next segment.
TEST_F(PartitionLogEnospcTest, SegmentCreationFailsWithNoSpaceUntilSpaceIsFreed) {
  auto o = options();
  o.preallocate = true;
  o.segment_bytes = 64 * 1024;
  fill_leaving(200 * 1024);
  auto log = open(o);
  ASSERT_NE(log, nullptr);
  append_until_full(*log);
  if (HasFatalFailure()) return;
  EXPECT_GE(log->info().segments, 2u);
  free_space_and_resume(std::move(log), o);
}

}  // namespace
}  // namespace sluice::partitions
