// PartitionLog recovery on the real file system (io_uring): a torn write cut at every byte of
// the last two batches, garbage written over the tail from every byte on, and random byte
// flips. Each case starts from a fresh copy of one synced partition, damages its active
// segment, reopens it and checks that the log holds exactly the complete prefix, returns no
// damaged batch, and goes on appending across another reopen. Runs with O_DIRECT and buffered
// writes.
#include "io/logger.h"
#include "io/uring_file_system.h"
#include "partitions/partition_log.h"
#include "partitions/segment_files.h"
#include "tests/support/batches.h"
#include "tests/support/log_files.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>

namespace sluice::partitions {
namespace {

namespace stdfs = std::filesystem;
using testing::append_wait;
using testing::BatchSpan;
using testing::make_batch;
using testing::Record;

constexpr int kRecordsPerBatch = 2;
constexpr size_t kValueBytes = 60;  // a batch of about 210 bytes

class PartitionLogRecoveryTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    auto made = io::make_uring_file_system();
    if (!made.ok()) GTEST_SKIP() << "io_uring is not available: " << made.error().to_string();
    fs_ = std::move(made).value();
    previous_sink_ = set_log_sink([this](LogLevel level, std::string_view line) {
      if (level != LogLevel::info) warnings_.emplace_back(line);
    });
    write_partition();
  }

  void TearDown() override {
    if (fs_) set_log_sink(std::move(previous_sink_));
  }

  LogOptions options() const {
    LogOptions o;
    o.direct_io = GetParam();
    o.segment_bytes = 64 * 1024;
    o.chunk_bytes = 64 * 1024;
    o.tail_cache_bytes = 1 << 20;
    o.max_batch_bytes = 256 * 1024;
    return o;
  }

  std::unique_ptr<PartitionLog> open() {
    auto log = PartitionLog::open(*fs_, work_, options());
    EXPECT_TRUE(log.ok()) << log.error().to_string();
    return log.ok() ? std::move(log).value() : nullptr;
  }

  // Writes the pristine partition: batches of one size, until the second-to-last one crosses
  // the first page boundary (so that cuts land on both sides of it), synced and closed.
  void write_partition() {
    const size_t batch_bytes = make_batch("b00", kRecordsPerBatch, 1000, kValueBytes).size();
    const int batches = static_cast<int>(4096 / batch_bytes) + 2;
    {
      auto log = PartitionLog::open(*fs_, pristine_, options());
      ASSERT_TRUE(log.ok()) << log.error().to_string();
      for (int i = 0; i < batches; ++i) {
        std::string prefix = "b" + std::string(i < 10 ? "0" : "") + std::to_string(i);
        auto batch = make_batch(prefix, kRecordsPerBatch, 1000 + i, kValueBytes);
        ASSERT_EQ(batch.size(), batch_bytes);
        ASSERT_TRUE((*log)->append(batch, Durability::none).ok());
        for (int r = 0; r < kRecordsPerBatch; ++r) {
          std::string value = prefix + "-" + std::to_string(r);
          value.resize(kValueBytes, '.');
          originals_.push_back({static_cast<int64_t>(originals_.size()), value});
        }
      }
      ASSERT_TRUE((*log)->sync().ok());
    }
    pristine_bytes_ =
        testing::read_file_bytes(pristine_ + "/" + segment_file_name(0, kLogExtension));
    batches_ = testing::find_batches(pristine_bytes_);
    ASSERT_EQ(batches_.size(), static_cast<size_t>(batches));
    ASSERT_EQ(batches_.back().last_offset + 1, static_cast<int64_t>(originals_.size()));
    ASSERT_LT(batches_[batches_.size() - 2].position, 4096u);
    ASSERT_GT(batches_[batches_.size() - 2].end(), 4096u);
  }

  // A fresh copy of the pristine partition in work_.
  void restore() {
    stdfs::remove_all(work_);
    stdfs::copy(pristine_, work_, stdfs::copy_options::recursive);
    warnings_.clear();
  }

  std::string active_path() const { return work_ + "/" + segment_file_name(0, kLogExtension); }

  // The offset after the last batch that lies entirely below `position`.
  int64_t complete_below(uint64_t position) const {
    int64_t next = 0;
    for (const BatchSpan& batch : batches_) {
      if (batch.end() <= position) next = batch.last_offset + 1;
    }
    return next;
  }

  // The end of the last batch that lies entirely below `position`.
  uint64_t complete_end_below(uint64_t position) const {
    uint64_t end = 0;
    for (const BatchSpan& batch : batches_) {
      if (batch.end() <= position) end = batch.end();
    }
    return end;
  }

  // Reopens work_ and checks that it holds exactly offsets [0, expected_next) of the originals,
  // that an append then gets expected_next, and that both survive another reopen.
  void check_prefix(int64_t expected_next) {
    std::vector<Record> expected(originals_.begin(), originals_.begin() + expected_next);
    auto log = open();
    ASSERT_NE(log, nullptr);
    ASSERT_EQ(log->next_offset(), expected_next);
    ASSERT_EQ(testing::read_records(*log, 0), expected);

    auto appended = append_wait(*fs_, *log, make_batch("after", 2), Durability::synced);
    ASSERT_TRUE(appended.ok()) << appended.error().to_string();
    ASSERT_EQ(appended->base_offset, expected_next);
    expected.push_back({expected_next, "after-0"});
    expected.push_back({expected_next + 1, "after-1"});
    log.reset();

    log = open();
    ASSERT_NE(log, nullptr);
    ASSERT_EQ(log->next_offset(), expected_next + 2);
    ASSERT_EQ(testing::read_records(*log, 0), expected);
  }

  bool warned_about_a_cut() const {
    for (const std::string& line : warnings_) {
      if (line.find("recovery cut the segment") != std::string::npos) return true;
    }
    return false;
  }

  std::unique_ptr<io::FileSystem> fs_;
  LogSink previous_sink_;
  std::vector<std::string> warnings_;
  testing::TempDir temp_;
  std::string pristine_ = temp_.file("pristine");
  std::string work_ = temp_.file("work");
  std::vector<Record> originals_;  // by offset
  std::vector<std::byte> pristine_bytes_;
  std::vector<BatchSpan> batches_;
};

// A torn write: the file ends at `cut`, without the zero padding after it.
TEST_P(PartitionLogRecoveryTest, TruncatedAtEveryByteOfTheLastTwoBatches) {
  const uint64_t first = batches_[batches_.size() - 2].position;
  const uint64_t last = batches_.back().end();
  for (uint64_t cut = first; cut <= last; ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    restore();
    stdfs::resize_file(active_path(), cut);
    check_prefix(complete_below(cut));
    if (HasFatalFailure()) return;
    // Dropping the start of a torn batch must be reported, unless its bytes are all zero (the
    // high bytes of its base offset): those are indistinguishable from the zero fill.
    const uint64_t kept_end = complete_end_below(cut);
    const bool dropped_data =
        std::any_of(pristine_bytes_.begin() + kept_end, pristine_bytes_.begin() + cut,
                    [](std::byte b) { return b != std::byte{0}; });
    EXPECT_EQ(warned_about_a_cut(), dropped_data);
  }
}

// Damage that keeps the file size: every byte from `cut` to the end of the file differs from
// what was there (random bytes over the data, random non-zero bytes over the zero fill).
TEST_P(PartitionLogRecoveryTest, GarbageFromEveryByteOfTheLastTwoBatches) {
  std::mt19937_64 random(GetParam() ? 11 : 12);
  const uint64_t first = batches_[batches_.size() - 2].position;
  const uint64_t last = batches_.back().end();
  const uint64_t file_bytes = pristine_bytes_.size();
  ASSERT_GT(file_bytes, last);
  for (uint64_t cut = first; cut <= last; ++cut) {
    SCOPED_TRACE("garbage from " + std::to_string(cut));
    restore();
    std::vector<std::byte> garbage(file_bytes - cut);
    for (size_t i = 0; i < garbage.size(); ++i)
      garbage[i] = pristine_bytes_[cut + i] ^ std::byte(1 + random() % 255);
    ASSERT_TRUE(testing::write_file_bytes(active_path(), cut, garbage));
    check_prefix(complete_below(cut));
    if (HasFatalFailure()) return;
    EXPECT_TRUE(warned_about_a_cut()) << "recovery dropped bytes silently";
  }
}

// One byte of the active segment (its data or the zero fill after it) changed at random: no
// batch that fails its CRC comes back, and the log keeps exactly the batches before the damaged
// one, but for the leader epoch (bytes 12..15 of a batch), which nothing checks.
TEST_P(PartitionLogRecoveryTest, RandomByteFlipsAreCutAndNeverReturned) {
  std::mt19937_64 random(GetParam() ? 21 : 22);
  const uint64_t data_bytes = batches_.back().end();
  for (int round = 0; round < 200; ++round) {
    const uint64_t position = random() % (data_bytes + 512);
    const auto flip = std::byte(1 + random() % 255);
    SCOPED_TRACE("round " + std::to_string(round) + ": position " + std::to_string(position));
    restore();
    std::byte changed = pristine_bytes_[position] ^ flip;
    ASSERT_TRUE(testing::write_file_bytes(active_path(), position, {&changed, 1}));

    int64_t expected_next = batches_.back().last_offset + 1;
    for (const BatchSpan& batch : batches_) {
      const uint64_t at = position - batch.position;
      const bool leader_epoch = at >= 12 && at < 16;
      if (position >= batch.position && position < batch.end() && !leader_epoch) {
        expected_next = batch.base_offset;
      }
    }
    check_prefix(expected_next);
    if (HasFatalFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(DirectIo, PartitionLogRecoveryTest, ::testing::Bool(),
                         [](const auto& param_info) {
                           return param_info.param ? "Direct" : "Buffered";
                         });

}  // namespace
}  // namespace sluice::partitions
