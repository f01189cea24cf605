// The inside of PartitionLog, shared by its files: partition_log.cc (append and the write
// pipeline), log_chunks.cc (the tail chunks and what readers see of them), log_open.cc (open
// and recovery), log_retention.cc (retention and rolling), log_producers.cc (the idempotence
// state: sequence checks on append, its snapshot and its recovery) and log_close.cc. Reads go
// through the LogReader (log_reader.h). Private to partitions/.
#pragma once

#include "io/file_system.h"
#include "partitions/chunk_pool.h"
#include "partitions/log_reader.h"
#include "partitions/log_shared.h"
#include "partitions/partition_log.h"
#include "partitions/segment.h"

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::partitions {

// One write of whole pages from one chunk, in flight.
struct WriteOp {
  io::IoOp op;
  PartitionLog::Impl* log = nullptr;
  Segment* segment = nullptr;
  uint64_t data_end = 0;  // logical end of the segment bytes this write covers
  bool tail = false;      // ends in a partial page (padded with zeros)
  bool done = false;
  bool in_use = false;  // submitted and not yet retired from its segment's queue
  std::optional<Error> error;
};

// A batch appended but not yet written: where it ends, to move the written watermark.
struct PendingBatch {
  Segment* segment = nullptr;
  uint64_t start_pos = 0;
  uint64_t end_pos = 0;
  int64_t base_offset = 0;
  int64_t next_offset = 0;
};

struct Waiter {
  int64_t next_offset = 0;  // reached when the watermark is >= this
  AppendInfo info;
  AppendCallback done;
};

struct SyncOp {
  io::IoOp op;
  PartitionLog::Impl* log = nullptr;
  Segment* segment = nullptr;
  uint64_t covers = 0;  // the segment's written_end when the sync was submitted
};

struct PartitionLog::Impl {
  Impl(io::FileSystem& fs, std::string dir, const LogOptions& options);

  io::FileSystem& fs;
  std::string dir;
  LogOptions options;
  // What readers see (declared before the pool, whose slots it holds, and the segments, whose
  // files count in it: it goes last).
  std::shared_ptr<LogShared> shared;
  std::shared_ptr<LogReader> reader;
  ChunkPool pool;
  std::deque<std::unique_ptr<Segment>> segments;  // by base offset; back() is active

  int64_t start_offset = 0;
  int64_t next_offset = 0;
  int64_t written_offset = 0;
  int64_t synced_offset = 0;
  int64_t last_append_time_ms = -1;
  // The shard stores with release after publishing the bytes below each value; other threads
  // load with acquire (see PartitionLog::high_watermark, which is shared->high_watermark).
  std::atomic<int64_t> written_watermark{0};
  std::atomic<int64_t> synced_watermark{0};

  std::vector<WriteOp> write_ops;  // max_writes_in_flight, allocated at open
  std::vector<WriteOp*> free_writes;
  std::deque<SyncOp> sync_ops;  // one per segment synced in a round; grows only with rolls
  // Writes held back by options.write_interval: this timer's completion flushes again. Armed
  // at most once at a time.
  io::IoOp write_timer;
  bool write_timer_armed = false;
  uint32_t syncs_in_flight = 0;
  int64_t sync_round_target = 0;  // written_offset when the round started
  std::chrono::steady_clock::time_point sync_round_started;  // for options.on_fdatasync
  int64_t sync_requested = 0;  // sync() asks for everything up to here
  std::optional<Error> sync_round_error;

  std::deque<PendingBatch> unwritten;  // batches whose bytes are not all written yet
  std::deque<Waiter> written_waiters;
  std::deque<Waiter> synced_waiters;

  // A write or fdatasync failed: the bytes after the written prefix are being dropped once
  // every write in flight completes (rollback), or the log failed for good (failure).
  std::optional<Error> rollback;
  std::optional<Error> failure;
  uint64_t rollbacks = 0;  // how many rollbacks finished (sync() reports one that hit it)
  std::optional<Error> last_rollback;

  // Idempotent producers (log_producers.cc). snapshot_offset: the next_offset of the snapshot
  // file on disk (-1: none), which covers every producer batch below it.
  ProducerStateTable producers;
  int64_t snapshot_offset = -1;

  Segment& active() { return *segments.back(); }
  const Segment& active() const { return *segments.back(); }
  int64_t now_ms() const;

  // partition_log.cc
  Result<AppendInfo> append(std::span<const std::byte> batch, Durability durability,
                            AppendCallback done);
  void flush();
  Result<void> sync();
  bool submit_next_write(Segment& segment);
  // True when the bytes of `segment` from `start` to `data_end` (where `chunk_end` is the end
  // of their chunk) must wait for options.write_interval; the timer is then armed.
  bool hold_write(Segment& segment, uint64_t start, uint64_t data_end, uint64_t chunk_end);
  // True when a write of `bytes` goes through the segment's buffered handle (when it has one):
  // shorter than options.small_write_bytes, and no fdatasync wanted.
  bool small_write(uint64_t bytes) const;
  void on_write_done(WriteOp& write, const Result<uint64_t>& result);
  void on_sync_done(SyncOp& sync, const Result<uint64_t>& result);
  void advance_written();
  void maybe_start_sync();
  void fire(std::deque<Waiter>& waiters, int64_t watermark);
  void fail_waiters(const Error& error, int64_t from_offset);
  void finish_rollback();
  void drop_tail(Segment& segment, uint64_t cut_pos, int64_t cut_offset);
  void fail(const Error& error);
  bool writes_idle() const;
  void maybe_seal(Segment& segment);

  // log_chunks.cc
  uint64_t chunks_needed(const Segment& segment, uint64_t end_pos) const;
  bool make_room(uint64_t chunks, const Segment* exclude);
  void ensure_chunks(Segment& segment, uint64_t end_pos);
  bool chunk_recyclable(const Segment& segment, const Chunk& chunk) const;
  bool recycle_one_chunk(const Segment* exclude);
  bool hide_chunks_from(Segment& segment, uint64_t pos);
  void release_chunks(Segment& segment);
  void publish_offsets();
  void publish_high_watermark();
  void publish_segments();

  // log_close.cc
  void close();

  // log_producers.cc
  // For a batch with a producer id: nothing when it may be appended, else what append()
  // returns (an error, or a duplicate's answer).
  std::optional<Result<AppendInfo>> check_producer(const BatchHeader& header, Durability durability,
                                                   AppendCallback& done);
  Result<AppendInfo> answer_duplicate(const ProducerBatch& original, Durability durability,
                                      AppendCallback& done);
  void record_producer(const BatchHeader& header, const AppendInfo& info);
  // At roll: keeps the state as of the roll point in the old segment, to be written once the
  // segment is sealed (its bytes synced).
  void keep_snapshot_for(Segment& segment);
  // Writes the snapshot kept in a sealed segment, if newer than the one on disk (a failure is
  // only logged: the snapshot is an accelerator).
  void write_kept_snapshot(Segment& segment);
  // Writes the state as of next_offset; every appended byte must be synced.
  void write_snapshot_at_close();
  Result<void> write_snapshot(std::span<const std::byte> bytes, int64_t next_offset);
  // After recovery: loads the snapshot and replays the batch headers after it.
  Result<void> recover_producers();
  Result<void> replay_producers(Segment& segment, int64_t from_offset);

  // log_open.cc
  Result<void> recover();
  Result<std::unique_ptr<Segment>> create_segment(int64_t base_offset);
  Result<void> open_for_append(Segment& segment);
  // Makes sure the segment's file is fallocated at least one page past `needed_end` (by
  // preallocate_step_bytes at a time, at most to segment_bytes plus that page).
  Result<void> extend_allocation(Segment& segment, uint64_t needed_end);
  Result<bool> recover_scanned(Segment& segment, int64_t next_base);
  Result<void> cut_file(const std::string& path, uint64_t size);
  void remove_segments_after(size_t kept, const std::vector<int64_t>& bases);
  Result<void> seal(Segment& segment);
  Result<void> open_read_file(Segment& segment);
  // Opens segment.small_write_file when `direct` (write_file is O_DIRECT) and small writes are on.
  Result<void> open_small_write_file(Segment& segment, bool direct);
  void close_segment_files(Segment& segment);

  // log_retention.cc
  Result<uint32_t> apply_retention();
  Result<void> roll();
  Result<uint32_t> delete_segments_before(int64_t offset);
  // `why` ends the log line ("retention", "compaction").
  Result<void> delete_oldest_segment(std::string_view why);
};

}  // namespace sluice::partitions
