// PartitionLog with idempotent producers, on the in-memory twin: duplicates answered with the
// original's offsets (and only once the original reached the durability asked for), refusals
// that write nothing, restarts (clean, and power loss with and without a torn tail) that keep
// the state, damaged or stale snapshots that fall back to a scan, retention, a rollback after a
// failed write, the LRU bound, and compressed batches stored byte for byte.
#include "partitions/partition_log.h"

#include "io/memory_file_system.h"
#include "partitions/endian.h"
#include "tests/partitions/idempotent_batches.h"
#include "tests/support/batches.h"

#include <gtest/gtest.h>

#include <optional>

namespace sluice::partitions {
namespace {

using testing::idempotent_batch;
using testing::make_batch;
using testing::opaque_batch;
using testing::opaque_payload;

constexpr const char* kDir = "/data/orders-0";
constexpr const char* kSnapshot = "/data/orders-0/producers.snapshot";

class PartitionLogProducersTest : public ::testing::Test {
 protected:
  LogOptions options() {
    LogOptions o;
    o.segment_bytes = 16 * 1024;
    o.chunk_bytes = 16 * 1024;
    o.tail_cache_bytes = 256 * 1024;
    o.max_batch_bytes = 64 * 1024;
    o.clock_ms = [this] { return now_ms_; };
    return o;
  }

  std::unique_ptr<PartitionLog> open(const LogOptions& o) {
    auto log = PartitionLog::open(fs_, kDir, o);
    EXPECT_TRUE(log.ok()) << log.error().to_string();
    return log.ok() ? std::move(log).value() : nullptr;
  }
  std::unique_ptr<PartitionLog> open() { return open(options()); }

  // Appends and polls until the durability is reached; the append's (or callback's) result.
  Result<AppendInfo> append_wait(PartitionLog& log, std::span<const std::byte> batch,
                                 Durability durability) {
    std::optional<Result<AppendInfo>> completed;
    auto appended =
        log.append(batch, durability, [&](const Result<AppendInfo>& r) { completed.emplace(r); });
    if (!appended.ok() || appended->completed) return appended;
    log.flush();
    for (int i = 0; i < 1000 && !completed; ++i)
      fs_.poll(std::chrono::milliseconds(1));
    EXPECT_TRUE(completed.has_value()) << "the append's callback never ran";
    return completed ? *completed : Result<AppendInfo>(Errc::timed_out, "never completed");
  }

  // Sends `batches` batches of 1-3 records for producer `id`, synced; returns each one's bytes
  // and offsets.
  struct Sent {
    std::vector<std::byte> bytes;
    AppendInfo info;
  };
  std::vector<Sent> send(PartitionLog& log, int64_t id, int16_t epoch, int32_t* seq, int batches,
                         Durability durability = Durability::synced) {
    std::vector<Sent> out;
    for (int i = 0; i < batches; ++i) {
      const int count = 1 + (*seq + i) % 3;
      // Values of about 300 bytes, so that a few dozen batches roll segments.
      Sent sent{idempotent_batch(id, epoch, *seq, count, "p" + std::to_string(id) + pad_), {}};
      auto appended = append_wait(log, sent.bytes, durability);
      EXPECT_TRUE(appended.ok()) << appended.error().to_string();
      if (!appended.ok()) return out;
      EXPECT_FALSE(appended->duplicate);
      sent.info = *appended;
      *seq += count;
      out.push_back(std::move(sent));
    }
    return out;
  }

  // Every retry of the last five is a duplicate answered with its original's offsets, and
  // changes nothing in the log.
  void expect_duplicates(PartitionLog& log, const std::vector<Sent>& sent) {
    const PartitionInfo before = log.info();
    const size_t first =
        sent.size() > kProducerBatchesKept ? sent.size() - kProducerBatchesKept : 0;
    for (size_t i = first; i < sent.size(); ++i) {
      auto retried = append_wait(log, sent[i].bytes, Durability::synced);
      ASSERT_TRUE(retried.ok()) << "batch " << i << ": " << retried.error().to_string();
      EXPECT_TRUE(retried->duplicate) << "batch " << i;
      EXPECT_EQ(retried->base_offset, sent[i].info.base_offset) << "batch " << i;
      EXPECT_EQ(retried->last_offset, sent[i].info.last_offset) << "batch " << i;
    }
    const PartitionInfo after = log.info();
    EXPECT_EQ(after.next_offset, before.next_offset);
    EXPECT_EQ(after.size_bytes, before.size_bytes);
  }

  bool snapshot_exists() {
    auto present = fs_.exists(kSnapshot);
    return present.ok() && *present;
  }

  int64_t now_ms_ = 1'000'000;
  io::MemoryFileSystem fs_;
  const std::string pad_ = std::string(300, '.');
};

TEST_F(PartitionLogProducersTest, RetriesOfEachOfTheLastFiveBatchesAreAnsweredWithTheOriginal) {
  auto log = open();
  int32_t seq_a = 0;
  int32_t seq_b = 0;
  auto a = send(*log, 1000, 0, &seq_a, 4);
  auto b = send(*log, 2000, 3, &seq_b, 3);
  auto more_a = send(*log, 1000, 0, &seq_a, 4);
  a.insert(a.end(), more_a.begin(), more_a.end());
  expect_duplicates(*log, a);
  expect_duplicates(*log, b);
  // Every record is stored once.
  auto read = log->read(0, 1 << 20);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->next_offset, log->next_offset());
  EXPECT_EQ(testing::values_of(*read).size(), static_cast<size_t>(log->next_offset()));
  // Older than the last five: refused, not stored again.
  auto old = log->append(a.front().bytes, Durability::none);
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.code(), Errc::out_of_order_sequence);
}

TEST_F(PartitionLogProducersTest, RefusedBatchesWriteNothing) {
  auto log = open();
  int32_t seq = 0;
  send(*log, 7, 2, &seq, 3);
  const PartitionInfo before = log->info();
  struct Case {
    std::vector<std::byte> batch;
    Errc code;
  };
  std::vector<Case> cases = {
      {idempotent_batch(7, 2, seq + 1, 1), Errc::out_of_order_sequence},  // a gap
      {idempotent_batch(7, 2, 1, 1), Errc::out_of_order_sequence},        // a rewind
      {idempotent_batch(7, 1, seq, 1), Errc::invalid_producer_epoch},     // fenced
      {idempotent_batch(7, 3, 5, 1), Errc::out_of_order_sequence},        // new epoch not at 0
      {idempotent_batch(8, 0, 3, 1), Errc::unknown_producer_id},          // unknown, not at 0
      {idempotent_batch(9, -1, 0, 1), Errc::invalid_argument},            // no epoch
      {idempotent_batch(9, 0, -1, 1), Errc::invalid_argument},            // no sequence
  };
  // A flipped bit in an idempotent batch: corruption before any check.
  std::vector<std::byte> flipped = idempotent_batch(7, 2, seq, 1);
  flipped[flipped.size() - 2] ^= std::byte{1};
  cases.push_back({flipped, Errc::corruption});
  for (size_t i = 0; i < cases.size(); ++i) {
    auto appended = log->append(cases[i].batch, Durability::none);
    ASSERT_FALSE(appended.ok()) << "case " << i;
    EXPECT_EQ(appended.code(), cases[i].code)
        << "case " << i << ": " << appended.error().to_string();
  }
  const PartitionInfo after = log->info();
  EXPECT_EQ(after.next_offset, before.next_offset);
  EXPECT_EQ(after.size_bytes, before.size_bytes);
  EXPECT_FALSE(log->producer_state().find(8).has_value());
  // The producer goes on in order, unharmed by the refusals.
  EXPECT_TRUE(append_wait(*log, idempotent_batch(7, 2, seq, 1), Durability::written).ok());
}

TEST_F(PartitionLogProducersTest, ANewEpochStartsAtZeroAndFencesTheOld) {
  auto log = open();
  int32_t seq = 0;
  auto old = send(*log, 5, 0, &seq, 3);
  int32_t seq1 = 0;
  auto bumped = send(*log, 5, 1, &seq1, 2);
  EXPECT_EQ(log->append(old.back().bytes, Durability::none).code(), Errc::invalid_producer_epoch);
  expect_duplicates(*log, bumped);
  EXPECT_EQ(log->producer_state().find(5)->epoch, 1);
}

TEST_F(PartitionLogProducersTest, BatchesWithoutAProducerIdSkipEveryCheck) {
  auto log = open();
  const auto batch = make_batch("plain", 3);
  for (int i = 0; i < 3; ++i) {
    auto appended = log->append(batch, Durability::none);
    ASSERT_TRUE(appended.ok());
    EXPECT_FALSE(appended->duplicate);
    EXPECT_TRUE(appended->completed);
    EXPECT_EQ(appended->base_offset, 3 * i);
  }
  EXPECT_TRUE(log->producer_state().empty());
  // Nothing to remember: no snapshot at close either.
  log.reset();
  EXPECT_FALSE(snapshot_exists());
}

TEST_F(PartitionLogProducersTest, ADuplicateCompletesOnlyOnceTheOriginalReachedItsDurability) {
  auto log = open();
  const auto batch = idempotent_batch(11, 0, 0, 2);
  // The original with `none`: published, not written yet.
  auto original = log->append(batch, Durability::none);
  ASSERT_TRUE(original.ok());
  std::optional<Result<AppendInfo>> synced;
  auto retry = log->append(batch, Durability::synced,
                           [&](const Result<AppendInfo>& r) { synced.emplace(r); });
  ASSERT_TRUE(retry.ok());
  EXPECT_TRUE(retry->duplicate);
  EXPECT_FALSE(retry->completed);
  EXPECT_FALSE(synced.has_value());
  for (int i = 0; i < 1000 && !synced; ++i)
    fs_.poll(std::chrono::milliseconds(1));
  ASSERT_TRUE(synced.has_value());
  ASSERT_TRUE(synced->ok());
  EXPECT_TRUE((*synced)->duplicate);
  EXPECT_EQ((*synced)->base_offset, original->base_offset);
  EXPECT_GE(log->synced_watermark().load(), original->last_offset + 1);
  // Now durable: a further retry completes at once and its callback is not kept.
  bool ran = false;
  auto again =
      log->append(batch, Durability::synced, [&](const Result<AppendInfo>&) { ran = true; });
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_TRUE(again->completed);
  fs_.poll(std::chrono::milliseconds(1));
  EXPECT_FALSE(ran);
}

TEST_F(PartitionLogProducersTest, AWrittenOriginalIsSyncedForASyncedRetry) {
  auto log = open();
  const auto batch = idempotent_batch(12, 0, 0, 1);
  ASSERT_TRUE(append_wait(*log, batch, Durability::written).ok());
  ASSERT_LT(log->synced_watermark().load(), 1);
  // Nothing else happens in the log: the retry itself must start the fdatasync.
  auto retried = append_wait(*log, batch, Durability::synced);
  ASSERT_TRUE(retried.ok()) << retried.error().to_string();
  EXPECT_TRUE(retried->duplicate);
  EXPECT_EQ(log->synced_watermark().load(), 1);
}

TEST_F(PartitionLogProducersTest, ACleanRestartKeepsTheStateFromTheSnapshot) {
  int32_t seq = 0;
  std::vector<Sent> sent;
  {
    auto log = open();
    sent = send(*log, 77, 4, &seq, 60);  // several segments
    ASSERT_GT(log->info().segments, 2u);
  }
  ASSERT_TRUE(snapshot_exists());
  auto log = open();
  expect_duplicates(*log, sent);
  EXPECT_EQ(log->producer_state().find(77)->epoch, 4);
  EXPECT_EQ(log->append(idempotent_batch(77, 4, seq + 1, 1), Durability::none).code(),
            Errc::out_of_order_sequence);
  send(*log, 77, 4, &seq, 1);
}

TEST_F(PartitionLogProducersTest, PowerLossKeepsTheStateOfEverySyncedBatch) {
  for (bool torn : {false, true}) {
    SCOPED_TRACE(torn ? "torn" : "clean cut");
    io::MemoryFileSystem fs;
    LogOptions o = options();
    int32_t seq = 0;
    std::vector<Sent> synced;
    std::vector<std::byte> lost;
    {
      auto log = PartitionLog::open(fs, kDir, o);
      ASSERT_TRUE(log.ok());
      // Enough to roll a few segments: recovery starts from the snapshot of the last seal.
      for (int i = 0; i < 60; ++i) {
        const auto batch = idempotent_batch(3, 0, seq, 2, "x" + pad_);
        std::optional<Result<AppendInfo>> done;
        auto appended = (*log)->append(batch, Durability::synced,
                                       [&](const Result<AppendInfo>& r) { done.emplace(r); });
        ASSERT_TRUE(appended.ok());
        for (int n = 0; n < 1000 && !done; ++n)
          fs.poll(std::chrono::milliseconds(1));
        ASSERT_TRUE(done && done->ok());
        synced.push_back({batch, **done});
        seq += 2;
      }
      // One more that never reaches the disk.
      lost = idempotent_batch(3, 0, seq, 2, "lost");
      ASSERT_TRUE((*log)->append(lost, Durability::none).ok());
      EXPECT_GT((*log)->info().segments, 2u);
      fs.crash(torn, 99);
      log->reset();  // its files are gone with the power
    }
    auto present = fs.exists(kSnapshot);
    ASSERT_TRUE(present.ok() && *present);
    auto log = PartitionLog::open(fs, kDir, o);
    ASSERT_TRUE(log.ok()) << log.error().to_string();
    const PartitionInfo before = (*log)->info();
    const size_t first = synced.size() - kProducerBatchesKept;
    for (size_t i = first; i < synced.size(); ++i) {
      auto retried = (*log)->append(synced[i].bytes, Durability::none);
      ASSERT_TRUE(retried.ok()) << retried.error().to_string();
      EXPECT_TRUE(retried->duplicate);
      EXPECT_EQ(retried->base_offset, synced[i].info.base_offset);
    }
    EXPECT_EQ((*log)->info().next_offset, before.next_offset);
    // The lost batch was never acknowledged: its retry is stored, as new.
    auto again = (*log)->append(lost, Durability::none);
    ASSERT_TRUE(again.ok()) << again.error().to_string();
    EXPECT_FALSE(again->duplicate);
    EXPECT_EQ(again->base_offset, synced.back().info.last_offset + 1);
  }
}

TEST_F(PartitionLogProducersTest, ADamagedSnapshotIsIgnoredAndTheStateRebuiltByScanning) {
  int32_t seq = 0;
  std::vector<Sent> sent;
  {
    auto log = open();
    sent = send(*log, 31, 0, &seq, 20);
  }
  auto contents = fs_.contents(kSnapshot);
  ASSERT_TRUE(contents.ok());
  const uint64_t size = contents->size();
  // A flipped byte in the header, in an entry, and a cut file: each falls back to the scan.
  for (uint64_t at : {uint64_t{2}, uint64_t{13}, size - 3, uint64_t{0}}) {
    SCOPED_TRACE("damage at " + std::to_string(at));
    if (at == 0) {
      io::OpenOptions writable;
      writable.writable = true;
      auto file = fs_.open(kSnapshot, writable);
      ASSERT_TRUE(file.ok());
      ASSERT_TRUE(fs_.truncate(*file, size / 2).ok());
      ASSERT_TRUE(fs_.close(*file).ok());
    } else {
      ASSERT_TRUE(fs_.flip_byte(kSnapshot, at, 0x10).ok());
    }
    auto log = open();
    // Removed at open, so that it cannot pass for a good one later.
    EXPECT_FALSE(snapshot_exists());
    expect_duplicates(*log, sent);
    EXPECT_EQ(log->append(idempotent_batch(31, 0, seq + 2, 1), Durability::none).code(),
              Errc::out_of_order_sequence);
    log.reset();
    ASSERT_TRUE(snapshot_exists());  // written again at close
  }
}

TEST_F(PartitionLogProducersTest, ASnapshotPastTheEndOfTheLogIsIgnored) {
  int32_t seq = 0;
  std::vector<Sent> sent;
  {
    auto log = open();
    sent = send(*log, 41, 0, &seq, 3);
  }
  // The log loses its last batch behind the snapshot's back (the snapshot covers it).
  auto names = fs_.list_directory(kDir);
  ASSERT_TRUE(names.ok());
  std::string active;
  for (const std::string& name : *names)
    if (name.ends_with(".log")) active = std::string(kDir) + "/" + name;
  io::OpenOptions writable;
  writable.writable = true;
  auto file = fs_.open(active, writable);
  ASSERT_TRUE(file.ok());
  uint64_t data_end = 0;  // the batches lie back to back from position 0
  for (size_t i = 0; i + 1 < sent.size(); ++i)
    data_end += sent[i].bytes.size();
  ASSERT_TRUE(fs_.truncate(*file, data_end).ok());
  ASSERT_TRUE(fs_.close(*file).ok());

  auto log = open();
  EXPECT_EQ(log->next_offset(), sent.back().info.base_offset);
  EXPECT_FALSE(snapshot_exists());
  // The batch the log lost is new again, not a duplicate of offsets that no longer exist.
  auto again = log->append(sent.back().bytes, Durability::none);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_FALSE(again->duplicate);
  sent.pop_back();
  expect_duplicates(*log, sent);
}

TEST_F(PartitionLogProducersTest, RetentionKeepsTheStateOfProducersWhoseSegmentsAreGone) {
  LogOptions o = options();
  o.retention_bytes = 40 * 1024;
  int32_t seq = 0;
  std::vector<Sent> sent;
  int64_t start = 0;
  {
    auto log = PartitionLog::open(fs_, kDir, o);
    ASSERT_TRUE(log.ok());
    sent = send(**log, 51, 0, &seq, 6);
    // Other traffic, without producer ids, rolls many segments.
    for (int i = 0; i < 80; ++i) {
      ASSERT_TRUE(append_wait(**log, make_batch("filler", 20, 1000, 40), Durability::written).ok());
    }
    ASSERT_TRUE((*log)->sync().ok());
    auto deleted = (*log)->apply_retention();
    ASSERT_TRUE(deleted.ok());
    ASSERT_GT(*deleted, 0u);
    start = (*log)->start_offset();
    ASSERT_GT(start, sent.back().info.last_offset);  // producer 51's batches are gone
    // Power loss, not a clean close: only the snapshots written at the seals remain.
    fs_.crash();
    log->reset();
  }
  auto log = PartitionLog::open(fs_, kDir, o);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ((*log)->start_offset(), start);
  auto retried = (*log)->append(sent.back().bytes, Durability::none);
  ASSERT_TRUE(retried.ok()) << retried.error().to_string();
  EXPECT_TRUE(retried->duplicate);
  EXPECT_EQ(retried->base_offset, sent.back().info.base_offset);
  EXPECT_EQ((*log)->append(idempotent_batch(51, 0, seq + 1, 1), Durability::none).code(),
            Errc::out_of_order_sequence);
  EXPECT_TRUE((*log)->append(idempotent_batch(51, 0, seq, 1), Durability::none).ok());
}

TEST_F(PartitionLogProducersTest, DroppedAppendsAreForgottenAfterAFailedWrite) {
  auto log = open();
  int32_t seq = 0;
  auto kept = send(*log, 61, 0, &seq, 2, Durability::written);
  // The next write fails: the batch appended with it is dropped (rolled back).
  fs_.fail_writes(Errc::io_error, 1);
  const auto dropped = idempotent_batch(61, 0, seq, 1);
  std::optional<Result<AppendInfo>> done;
  ASSERT_TRUE(log->append(dropped, Durability::written,
                          [&](const Result<AppendInfo>& r) { done.emplace(r); })
                  .ok());
  for (int i = 0; i < 1000 && !done; ++i)
    fs_.poll(std::chrono::milliseconds(1));
  ASSERT_TRUE(done.has_value());
  ASSERT_FALSE(done->ok());
  // Its retry is stored as new, at the offset it had.
  Result<AppendInfo> retried = Error(Errc::would_block, "");
  for (int i = 0; i < 1000 && !retried.ok() && retried.code() == Errc::would_block; ++i) {
    retried = append_wait(*log, dropped, Durability::written);
    fs_.poll(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(retried.ok()) << retried.error().to_string();
  EXPECT_FALSE(retried->duplicate);
  EXPECT_EQ(retried->base_offset, kept.back().info.last_offset + 1);
  expect_duplicates(*log, kept);
}

TEST_F(PartitionLogProducersTest, TheLeastRecentlyUsedProducerIsForgottenBeyondTheBound) {
  LogOptions o = options();
  o.max_producers = 2;
  auto log = open(o);
  int32_t seq1 = 0, seq2 = 0, seq3 = 0;
  send(*log, 1, 0, &seq1, 2);
  send(*log, 2, 0, &seq2, 2);
  send(*log, 3, 0, &seq3, 2);
  EXPECT_EQ(log->producer_state().size(), 2u);
  // Producer 1 is unknown now: its next batch is refused as such, and it may start over.
  EXPECT_EQ(log->append(idempotent_batch(1, 0, seq1, 1), Durability::none).code(),
            Errc::unknown_producer_id);
  EXPECT_TRUE(log->append(idempotent_batch(1, 1, 0, 1), Durability::none).ok());
}

TEST_F(PartitionLogProducersTest, CompressedBatchesAreStoredAndReadBackByteForByte) {
  std::vector<std::vector<std::byte>> batches;
  for (auto codec : {Compression::gzip, Compression::snappy, Compression::lz4, Compression::zstd}) {
    batches.push_back(opaque_batch(codec, 7, opaque_payload(300 + static_cast<size_t>(codec)), 90,
                                   0, static_cast<int32_t>(7 * (batches.size()))));
  }
  std::vector<int64_t> bases;
  {
    auto log = open();
    for (const auto& batch : batches) {
      auto appended = append_wait(*log, batch, Durability::synced);
      ASSERT_TRUE(appended.ok()) << appended.error().to_string();
      bases.push_back(appended->base_offset);
    }
    // A retry of a compressed batch is a duplicate like any other.
    auto retried = append_wait(*log, batches[2], Durability::none);
    ASSERT_TRUE(retried.ok());
    EXPECT_TRUE(retried->duplicate);
    EXPECT_EQ(retried->base_offset, bases[2]);
  }
  auto log = open();  // and across a restart
  for (size_t i = 0; i < batches.size(); ++i) {
    auto read = log->read(bases[i], 1);
    ASSERT_TRUE(read.ok()) << read.error().to_string();
    ASSERT_EQ(read->bytes.size(), batches[i].size());
    std::vector<std::byte> expected = batches[i];
    store_be<int64_t>(expected.data(), bases[i]);  // only the base offset changes
    EXPECT_EQ(read->bytes, expected) << "batch " << i;
    EXPECT_TRUE(batch_crc_ok(read->bytes));
  }
}

}  // namespace
}  // namespace sluice::partitions
