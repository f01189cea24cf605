// `sluice log dump` and `sluice log verify`, run as the built binary against partitions that a
// PartitionLog wrote, then damaged on purpose: a torn tail, a flipped byte, a missing segment.
#include "io/uring_file_system.h"
#include "partitions/partition_log.h"
#include "partitions/segment_files.h"
#include "partitions/segment_scan.h"
#include "tests/support/batches.h"
#include "tests/support/compressed_batches.h"
#include "tests/support/run_cli.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace sluice {
namespace {

namespace fs = std::filesystem;

constexpr int kBatches = 20;
constexpr int kRecordsPerBatch = 10;

using testing::CliRun;
using testing::run_sluice;

size_t count(const std::string& text, const std::string& needle) {
  size_t found = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++found;
  }
  return found;
}

std::string last_line(const std::string& text) {
  std::string trimmed = text.substr(0, text.find_last_not_of('\n') + 1);
  return trimmed.substr(trimmed.find_last_of('\n') + 1);
}

// A partition of kBatches batches in segments of 8 KiB (about six batches each), closed.
void write_partition(const std::string& dir) {
  auto file_system = io::make_uring_file_system();
  ASSERT_TRUE(file_system.ok()) << file_system.error().to_string();
  partitions::LogOptions options;
  options.segment_bytes = 8192;
  auto log = partitions::PartitionLog::open(**file_system, dir, options);
  ASSERT_TRUE(log.ok()) << log.error().to_string();
  for (int i = 0; i < kBatches; ++i) {
    auto batch = testing::make_batch("v" + std::to_string(i), kRecordsPerBatch, 1000 + i, 100);
    ASSERT_TRUE((*log)->append(batch, Durability::written).ok());
  }
  ASSERT_TRUE((*log)->sync().ok());
}

std::vector<fs::path> segment_paths(const std::string& dir) {
  std::vector<fs::path> paths;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (partitions::parse_segment_file_name(entry.path().filename().string(), ".log")) {
      paths.push_back(entry.path());
    }
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

// The positions and sizes of the batches of a segment file.
std::vector<partitions::ScannedBatch> batches_of(const fs::path& path) {
  auto file_system = io::make_uring_file_system();
  auto file = (*file_system)->open(path.string(), io::OpenOptions{});
  auto size = (*file_system)->size(*file);
  auto base = partitions::parse_segment_file_name(path.filename().string(), ".log");
  std::vector<partitions::ScannedBatch> batches;
  auto scan =
      partitions::scan_segment(**file_system, *file, *size, *base, {},
                               [&](const partitions::ScannedBatch& b) { batches.push_back(b); });
  EXPECT_TRUE(scan.ok());
  (void)(*file_system)->close(*file);
  return batches;
}

void flip_byte(const fs::path& path, uint64_t position) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekg(static_cast<std::streamoff>(position));
  char byte = 0;
  file.read(&byte, 1);
  byte = static_cast<char>(byte ^ 0x5a);
  file.seekp(static_cast<std::streamoff>(position));
  file.write(&byte, 1);
}

class LogCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_partition(partition_);
    ASSERT_FALSE(HasFatalFailure());
    segments_ = segment_paths(partition_);
    ASSERT_GE(segments_.size(), 3u);
  }

  testing::TempDir data_;
  std::string partition_ = data_.file("topic/0");
  std::vector<fs::path> segments_;
};

TEST_F(LogCommandsTest, DumpPrintsEveryBatch) {
  CliRun run = run_sluice("log dump " + partition_);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(count(run.output, "base_offset="), size_t{kBatches}) << run.output;
  EXPECT_EQ(count(run.output, "crc=ok"), size_t{kBatches});
  EXPECT_EQ(count(run.output, "\nsegment "), segments_.size() - 1);  // all but the first line
  for (int i = 0; i < kBatches; ++i) {
    EXPECT_NE(run.output.find(" base_offset=" + std::to_string(i * kRecordsPerBatch) + " "),
              std::string::npos);
  }
  EXPECT_NE(run.output.find("records=10 first_timestamp=1000 max_timestamp=1009"),
            std::string::npos);
}

TEST_F(LogCommandsTest, DumpShowsABadCrcAndStops) {
  const auto batches = batches_of(segments_[0]);
  flip_byte(segments_[0], batches[1].position + 80);
  CliRun run = run_sluice("log dump " + partition_);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(count(run.output, "crc=BAD"), 1u) << run.output;
  EXPECT_NE(run.output.find("STOPPED at position " + std::to_string(batches[1].position)),
            std::string::npos);
  EXPECT_NE(run.output.find("crc_mismatch"), std::string::npos);
}

TEST_F(LogCommandsTest, VerifyCleanPartitionExitsZero) {
  CliRun run = run_sluice("log verify --data-dir " + data_.path());
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(last_line(run.output),
            "verified 1 partitions: 20 batches, 200 records, 0 bytes a recovery would truncate, "
            "0 errors");
}

TEST_F(LogCommandsTest, VerifyFindsPartitionsRecursively) {
  write_partition(data_.file("other/topic/3"));
  CliRun run = run_sluice("log verify --data-dir " + data_.path());
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(last_line(run.output).find("verified 2 partitions: 40 batches, 400 records"),
            std::string::npos)
      << run.output;
}

TEST_F(LogCommandsTest, VerifyReportsATornTailWithoutFailing) {
  const fs::path last = segments_.back();
  const auto batches = batches_of(last);
  ASSERT_FALSE(batches.empty());
  const auto& torn = batches.back();
  const uint64_t cut = torn.position + torn.header.total_bytes() / 2;
  fs::resize_file(last, cut);
  CliRun run = run_sluice("log verify --data-dir " + data_.path());
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("torn tail at offset " + std::to_string(torn.header.base_offset)),
            std::string::npos)
      << run.output;
  const std::string expected = "verified 1 partitions: 19 batches, 190 records, " +
                               std::to_string(cut - torn.position) +
                               " bytes a recovery would truncate, 0 errors";
  EXPECT_EQ(last_line(run.output), expected);
}

TEST_F(LogCommandsTest, VerifyFailsOnAFlippedByteBeforeTheLastBatch) {
  const fs::path last = segments_.back();
  const auto batches = batches_of(last);
  ASSERT_GE(batches.size(), 2u);
  flip_byte(last, batches[0].position + 100);
  CliRun run = run_sluice("log verify --data-dir " + data_.path());
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("ERROR corruption at offset " +
                            std::to_string(batches[0].header.base_offset)),
            std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("a valid batch follows"), std::string::npos);
  EXPECT_NE(last_line(run.output).find(", 1 errors"), std::string::npos);
}

TEST_F(LogCommandsTest, VerifyFailsOnDamageInAnEarlierSegment) {
  const auto batches = batches_of(segments_[0]);
  flip_byte(segments_[0], batches.back().position + 100);
  CliRun run = run_sluice("log verify --data-dir " + data_.path());
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("which is not the last segment, at offset " +
                            std::to_string(batches.back().header.base_offset)),
            std::string::npos)
      << run.output;
}

TEST_F(LogCommandsTest, VerifyFailsOnAnOffsetGap) {
  const auto middle = segments_[1];
  const auto batches = batches_of(middle);
  const int64_t first = batches.front().header.base_offset;
  const int64_t last = batches.back().header.last_offset();
  fs::remove(middle);
  CliRun run = run_sluice("log verify --data-dir " + data_.path());
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("offset gap: offsets " + std::to_string(first) + ".." +
                            std::to_string(last) + " are missing"),
            std::string::npos)
      << run.output;
}

// A partition holding one batch of each codec, as Kafka clients send them: dump names each
// codec, verify accepts them (their CRC covers the compressed bytes).
TEST(LogCommandsCompressionTest, DumpNamesTheCodecOfEachBatchAndVerifyAcceptsThem) {
  testing::TempDir data;
  const std::string dir = data.file("topic/0");
  {
    auto file_system = io::make_uring_file_system();
    ASSERT_TRUE(file_system.ok()) << file_system.error().to_string();
    partitions::LogOptions options;
    options.segment_bytes = 1 << 20;  // small: a default segment is preallocated at 1 GiB
    auto log = partitions::PartitionLog::open(**file_system, dir, options);
    ASSERT_TRUE(log.ok()) << log.error().to_string();
    for (auto codec : {partitions::Compression::none, partitions::Compression::gzip,
                       partitions::Compression::snappy, partitions::Compression::lz4,
                       partitions::Compression::zstd}) {
      auto batch = testing::make_batch("c", kRecordsPerBatch, 1000, 100);
      if (codec != partitions::Compression::none) batch = testing::compress_batch(batch, codec);
      ASSERT_TRUE((*log)->append(batch, Durability::written).ok());
    }
    ASSERT_TRUE((*log)->sync().ok());
  }
  CliRun dump = run_sluice("log dump " + dir);
  EXPECT_EQ(dump.exit_code, 0) << dump.output;
  for (const char* codec : {"none", "gzip", "snappy", "lz4", "zstd"}) {
    EXPECT_EQ(count(dump.output, std::string(" compression=") + codec + " crc=ok"), 1u)
        << codec << "\n"
        << dump.output;
  }
  CliRun verify = run_sluice("log verify --data-dir " + data.path());
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_EQ(last_line(verify.output),
            "verified 1 partitions: 5 batches, 50 records, 0 bytes a recovery would truncate, "
            "0 errors");
}

TEST(LogCommandsUsageTest, UsageErrorsExitTwo) {
  EXPECT_EQ(run_sluice("").exit_code, 2);
  EXPECT_EQ(run_sluice("frobnicate").exit_code, 2);
  EXPECT_EQ(run_sluice("log dump").exit_code, 2);
  EXPECT_EQ(run_sluice("log dump a b").exit_code, 2);
  EXPECT_EQ(run_sluice("log verify").exit_code, 2);
  EXPECT_EQ(run_sluice("log verify --data-dir").exit_code, 2);
  EXPECT_EQ(run_sluice("log verify --data-dir /tmp --colour red").exit_code, 2);
  CliRun run = run_sluice("log verify --data-dir /nonexistent/sluice-data");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.output.find("no such directory"), std::string::npos) << run.output;
  EXPECT_EQ(run_sluice("log dump /nonexistent/sluice-data").exit_code, 2);
}

TEST(LogCommandsUsageTest, DumpRefusesADirectoryWithoutSegments) {
  testing::TempDir empty;
  CliRun run = run_sluice("log dump " + empty.path());
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.output.find("not a partition directory"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace sluice
