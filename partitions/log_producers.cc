// PartitionLog: the idempotence state of the partition (producer_state.h). Append checks a
// batch with a producer id against it and records the batch once stored; a retry is answered
// with the original's offsets. The state survives restarts through a snapshot file
// (FORMAT.md, section 9) and the batch headers after it:
//
// - at roll, the state as of the old segment's end is encoded and kept with that segment; it
//   is written once the segment is sealed, that is once every byte it describes is synced, so
//   that a power loss never leaves a snapshot that describes batches the log lost;
// - at a clean close, after the final sync, the state as of the log's end is written;
// - at open, after recovery, the snapshot is loaded if it is good and not past the recovered
//   end of the log, and the headers of the batches after it are replayed (after a clean close,
//   none). A missing, damaged or stale snapshot is removed and the state is rebuilt from every
//   batch header in the log.
//
// Retention deletes whole sealed segments; the snapshot written at their seal already covers
// them. A segment whose snapshot could not be written gets another attempt before it is
// deleted.
#include "io/assert.h"
#include "io/logger.h"
#include "partitions/partition_log_impl.h"

#include <algorithm>
#include <cinttypes>

namespace sluice::partitions {
namespace {

constexpr const char* kSnapshotName = "producers.snapshot";
constexpr const char* kSnapshotTempName = "producers.snapshot.tmp";
// Bytes read per synchronous read when replaying batch headers.
constexpr uint64_t kReplayBlockBytes = 1u << 20;

std::string join(const std::string& dir, const char* name) {
  return dir + "/" + name;
}

// The largest snapshot of a table of max_producers producers: a larger file is not one.
uint64_t max_snapshot_bytes(uint32_t max_producers) {
  return 24 + uint64_t{max_producers} * (12 + 32 * kProducerBatchesKept);
}

Result<std::vector<std::byte>> read_snapshot_file(io::FileSystem& fs, const std::string& path,
                                                  uint64_t max_bytes) {
  auto file = fs.open(path, io::OpenOptions{});
  if (!file.ok()) return std::move(file).error();
  std::vector<std::byte> bytes;
  auto size = fs.size(*file);
  Result<void> status;
  if (!size.ok()) {
    status = std::move(size).error();
  } else if (*size > max_bytes) {
    status = Error(Errc::corruption, std::to_string(*size) + " bytes, too large for a snapshot");
  } else {
    bytes.resize(*size);
    auto got = fs.read(*file, 0, bytes);
    if (!got.ok()) {
      status = std::move(got).error();
    } else if (*got != *size) {
      status = Error(Errc::corruption, "shorter than its size");
    }
  }
  (void)fs.close(*file);
  if (!status.ok()) return std::move(status).error();
  return bytes;
}

}  // namespace

// ---- Append ----

std::optional<Result<AppendInfo>> PartitionLog::Impl::check_producer(const BatchHeader& h,
                                                                     Durability durability,
                                                                     AppendCallback& done) {
  // Messages are made only for refusals: the accepted path allocates nothing here.
  auto who = [&] { return "partition " + dir + ": producer " + std::to_string(h.producer_id); };
  if (h.producer_epoch < 0 || h.base_sequence < 0) {
    return Result<AppendInfo>(Errc::invalid_argument,
                              who() + " sent epoch " + std::to_string(h.producer_epoch) +
                                  " and base sequence " + std::to_string(h.base_sequence) +
                                  " (an idempotent batch has both >= 0)");
  }
  const SequenceCheck checked =
      producers.check(h.producer_id, h.producer_epoch, h.base_sequence, h.record_count);
  switch (checked.verdict) {
    case SequenceVerdict::accept:
      return std::nullopt;
    case SequenceVerdict::duplicate:
      return answer_duplicate(checked.original, durability, done);
    case SequenceVerdict::out_of_order_sequence:
      return Result<AppendInfo>(Errc::out_of_order_sequence,
                                who() + " epoch " + std::to_string(h.producer_epoch) +
                                    " sent base sequence " + std::to_string(h.base_sequence) +
                                    "; the next in order is " +
                                    std::to_string(checked.expected_sequence));
    case SequenceVerdict::invalid_producer_epoch:
      return Result<AppendInfo>(Errc::invalid_producer_epoch,
                                who() + " sent epoch " + std::to_string(h.producer_epoch) +
                                    ", older than its current epoch " +
                                    std::to_string(checked.current_epoch));
    case SequenceVerdict::unknown_producer_id:
      return Result<AppendInfo>(Errc::unknown_producer_id,
                                who() + " is unknown here and sent base sequence " +
                                    std::to_string(h.base_sequence) +
                                    " (a new producer starts at 0)");
  }
  SLUICE_ASSERT_MSG(false, "unknown sequence verdict");
  return std::nullopt;
}

// A retry is answered once the original reached the durability asked for: the first attempt
// may have been sent with less (acks=1) than the retry (acks=all), and its answer is what the
// producer relies on.
Result<AppendInfo> PartitionLog::Impl::answer_duplicate(const ProducerBatch& original,
                                                        Durability durability,
                                                        AppendCallback& done) {
  AppendInfo info{original.base_offset, original.last_offset, true, false};
  const int64_t needed = original.last_offset + 1;
  const bool reached = durability == Durability::none ||
                       (durability == Durability::written && written_offset >= needed) ||
                       (durability == Durability::synced && synced_offset >= needed);
  if (reached) {
    info.completed = true;
    return info;
  }
  if (!done) return info;
  // The waiters stay sorted by next_offset, so fire() stops at the first one not reached.
  std::deque<Waiter>& waiters =
      durability == Durability::written ? written_waiters : synced_waiters;
  auto at = std::upper_bound(waiters.begin(), waiters.end(), needed,
                             [](int64_t value, const Waiter& w) { return value < w.next_offset; });
  waiters.insert(at, Waiter{needed, info, std::move(done)});
  // The original's bytes may all be written already with no sync in flight: start one.
  flush();
  maybe_start_sync();
  return info;
}

void PartitionLog::Impl::record_producer(const BatchHeader& h, const AppendInfo& info) {
  producers.record(h.producer_id, h.producer_epoch, h.base_sequence, h.record_count,
                   info.base_offset, info.last_offset, h.max_timestamp);
}

// ---- Snapshots ----

void PartitionLog::Impl::keep_snapshot_for(Segment& segment) {
  SLUICE_ASSERT(segment.next_offset == next_offset);
  // A partition that never saw an idempotent producer writes no snapshot at all.
  if (producers.empty()) return;
  segment.producer_snapshot = producers.encode(segment.next_offset);
}

void PartitionLog::Impl::write_kept_snapshot(Segment& segment) {
  if (segment.producer_snapshot.empty()) return;
  if (segment.next_offset <= snapshot_offset) {
    segment.producer_snapshot = {};
    return;
  }
  auto written = write_snapshot(segment.producer_snapshot, segment.next_offset);
  if (!written.ok()) {
    log_line(LogLevel::warning, "partition " + dir + ": producer state snapshot at offset " +
                                    std::to_string(segment.next_offset) + " not written (" +
                                    written.error().to_string() +
                                    "); retried before retention deletes the segment");
    return;
  }
  segment.producer_snapshot = {};
}

void PartitionLog::Impl::write_snapshot_at_close() {
  if (failure || rollback || synced_offset != next_offset) return;
  if (snapshot_offset == next_offset || (producers.empty() && snapshot_offset < 0)) return;
  auto written = write_snapshot(producers.encode(next_offset), next_offset);
  if (!written.ok()) {
    log_line(LogLevel::warning,
             "partition " + dir + ": producer state snapshot not written at close (" +
                 written.error().to_string() + "); the next open rebuilds it from the log");
  }
}

// Written whole under a temporary name, synced, then renamed over the old one: a crash leaves
// the old snapshot or the new one, never a mix.
Result<void> PartitionLog::Impl::write_snapshot(std::span<const std::byte> bytes,
                                                int64_t covers_offset) {
  const std::string temp = join(dir, kSnapshotTempName);
  auto file = fs.open(temp, io::OpenOptions{.create = true, .writable = true});
  if (!file.ok()) return std::move(file).error();
  auto written = [&]() -> Result<void> {
    SLUICE_TRY(fs.truncate(*file, 0));
    SLUICE_TRY(fs.write(*file, 0, bytes));
    return fs.datasync(*file);
  }();
  auto closed = fs.close(*file);
  SLUICE_TRY(written);
  SLUICE_TRY(closed);
  SLUICE_TRY(fs.rename(temp, join(dir, kSnapshotName)));
  SLUICE_TRY(fs.sync_directory(dir));
  snapshot_offset = covers_offset;
  return {};
}

// ---- Recovery ----

Result<void> PartitionLog::Impl::recover_producers() {
  producers.clear();
  snapshot_offset = -1;
  const std::string path = join(dir, kSnapshotName);
  auto temp_present = fs.exists(join(dir, kSnapshotTempName));
  if (temp_present.ok() && *temp_present) (void)fs.remove_file(join(dir, kSnapshotTempName));
  int64_t from = start_offset;
  auto present = fs.exists(path);
  if (!present.ok()) return std::move(present).error();
  if (*present) {
    std::optional<std::string> refused;
    auto bytes = read_snapshot_file(fs, path, max_snapshot_bytes(options.max_producers));
    if (!bytes.ok()) {
      refused = bytes.error().to_string();
    } else if (auto snapshot = ProducerStateTable::decode(*bytes, options.max_producers);
               !snapshot.ok()) {
      refused = snapshot.error().to_string();
    } else if (snapshot->next_offset > next_offset) {
      // It describes batches the log no longer has (a tail lost or cut by recovery).
      refused = "it covers offsets up to " + std::to_string(snapshot->next_offset) +
                ", past the log's end at " + std::to_string(next_offset);
    } else {
      if (snapshot->next_offset < start_offset) {
        log_line(LogLevel::warning,
                 path + ": covers offsets up to " + std::to_string(snapshot->next_offset) +
                     " only, and retention deleted the log up to " + std::to_string(start_offset) +
                     "; producers whose last batches were in between are forgotten");
      }
      producers = std::move(snapshot->table);
      snapshot_offset = snapshot->next_offset;
      from = std::max(from, snapshot->next_offset);
    }
    if (refused) {
      log_line(LogLevel::warning,
               path + " ignored (" + *refused + "); rebuilding the producer state from the log");
      // Removed, so that it cannot pass for a good one once the log grows past it again.
      SLUICE_TRY(fs.remove_file(path));
      SLUICE_TRY(fs.sync_directory(dir));
    }
  }
  for (auto& segment : segments) {
    if (segment->empty() || segment->next_offset <= from) continue;
    SLUICE_TRY(replay_producers(*segment, from));
  }
  return {};
}

// Reads the segment's batch headers from the batch holding `from_offset` on (the rest of each
// batch is skipped over) and records the idempotent ones. The bytes were checked by recovery
// or were sealed after a sync; a header that does not decode ends the replay of this segment.
Result<void> PartitionLog::Impl::replay_producers(Segment& segment, int64_t from_offset) {
  uint64_t pos = from_offset > segment.base_offset ? segment.index.lookup(from_offset).position : 0;
  std::vector<std::byte> block(std::min<uint64_t>(kReplayBlockBytes, segment.size - pos));
  while (pos + kBatchHeaderBytes <= segment.size) {
    const uint64_t want = std::min<uint64_t>(block.size(), segment.size - pos);
    auto got = fs.read(segment.read_file, pos, {block.data(), want});
    if (!got.ok()) return std::move(got).error();
    uint64_t at = 0;
    while (at + kBatchHeaderBytes <= *got) {
      auto header = decode_batch_header(std::span<const std::byte>(block).subspan(at, *got - at));
      if (!header.ok()) {
        log_line(LogLevel::warning,
                 segment.log_path + ": producer state replay stopped at position " +
                     std::to_string(pos + at) + ": " + header.error().to_string());
        return {};
      }
      const BatchHeader& h = *header;
      if (h.base_offset >= from_offset && h.producer_id >= 0 && !h.control() &&
          h.producer_epoch >= 0 && h.base_sequence >= 0 && h.record_count > 0) {
        producers.record(h.producer_id, h.producer_epoch, h.base_sequence, h.record_count,
                         h.base_offset, h.last_offset(), h.max_timestamp);
      }
      at += h.total_bytes();
    }
    if (at == 0) break;
    pos += at;
  }
  return {};
}

}  // namespace sluice::partitions
