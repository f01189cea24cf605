// PartitionLog: one partition's append-only log, a folder of segments (FORMAT.md).
//
// Append copies a validated Kafka v2 batch into the active segment's in-memory tail, assigns
// its offsets (rewriting base_offset) and publishes it at once: readers see it and a `none`
// append is complete. Writes of the tail go to the kernel asynchronously through the
// FileSystem's *_async calls; one fdatasync covers every batch written before it (group
// commit). Each append's callback fires when the durability it asked for is reached, or with
// the error that stopped it.
//
// The tail lives in fixed-size chunks (tail_cache_bytes in all, each allocated when first
// used): they hold bytes not yet written and, after that, recent bytes for readers, so a reader
// at the tail never touches the disk. When every chunk holds unwritten bytes, append fails with
// Errc::would_block (backpressure) and the caller polls and retries: memory never grows with
// load.
//
// Idempotent producers: a batch with a producer id is checked against the partition's
// producer state (producer_state.h) before it is stored, and a retry is answered with the
// original's offsets (see append()). The state survives restarts: a snapshot file written when
// a segment is sealed and at a clean close (FORMAT.md, section 9), plus the batch headers after
// it, replayed at open (log_producers.cc).
//
// Thread-safety: a PartitionLog belongs to one thread, its owner (a shard), which also calls
// fs.poll() to run the callbacks. Other threads may read the atomics returned by
// high_watermark(), written_watermark() and synced_watermark() (load-acquire), and read the
// log through reader() (log_reader.h), which never waits for the owner; nothing else.
#pragma once

#include "io/file_system.h"
#include "partitions/producer_state.h"
#include "partitions/record_batch.h"

#include <sluice/durability.h>
#include <sluice/result.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace sluice::partitions {

struct LogOptions {
  // Roll to a new segment when the next batch would make the active one larger than this, or
  // when its first batch was appended more than segment_ms ago.
  uint64_t segment_bytes = 1ull << 30;
  int64_t segment_ms = 7 * 24 * 3600 * 1000ll;
  // The largest batch an append accepts (Errc::too_large above it).
  uint32_t max_batch_bytes = 1u << 20;
  // Retention (whole segments, never the active one): -1 keeps everything.
  int64_t retention_bytes = -1;
  int64_t retention_ms = -1;
  uint32_t index_interval_bytes = 4096;
  // O_DIRECT writes of whole 4 KiB pages (the default, from bench/RESULTS.md), else buffered.
  bool direct_io = true;
  // With direct_io, writes shorter than this go through a second, buffered handle of the same
  // file, unless a synced append or sync() waits (0: every write O_DIRECT). Starting an O_DIRECT
  // write notifies the device within the system call, which on a virtual machine stops the
  // owner's thread while the host takes it (17-40 us measured), where a buffered write of a few
  // pages costs about 8 us; the small writes of a trickle of events (the partial last page,
  // rewritten every device round trip) then stop delaying the events behind them, and bulk
  // writes keep O_DIRECT's speed. The kernel keeps the two handles coherent, and an fdatasync
  // covers both; an O_DIRECT write never covers a page the buffered handle wrote (the kernel
  // would write it back first, on a worker): that page goes buffered on its own. `written`
  // means handed to the kernel either way.
  uint32_t small_write_bytes = 64 * 1024;
  // fallocate segments ahead of their writes (skipped where the filesystem cannot): the whole
  // segment_bytes at creation when preallocate_step_bytes is 0, else that many bytes at a time
  // as the segment grows, so that many partitions do not each reserve a whole segment.
  bool preallocate = true;
  uint64_t preallocate_step_bytes = 0;
  // Memory for the tail: chunk_bytes per chunk (also the largest single write), and the total.
  // While synced appends wait, bytes stay here until an fdatasync covers them, so the total
  // bounds the bytes in flight to the disk: 64 MiB keeps synced 4 KiB appends near the disk's
  // bandwidth (bench/RESULTS.md), 16 MiB cost about 10% of it.
  uint32_t chunk_bytes = 1u << 20;
  uint64_t tail_cache_bytes = 64ull << 20;
  uint32_t max_writes_in_flight = 8;
  // At 0, appended bytes are written as soon as they can be: each page as it fills, and the
  // partial last page whenever no other write of the segment is in flight, so a steady trickle
  // of small appends writes every device round trip (every ~40 us on the machine of
  // bench/RESULTS.md). Each write costs the owner's thread a system call and a device
  // notification, which on a virtual machine stops that thread for as long as the host takes
  // (about 15 us there), and a completion. Above 0, the active segment is written at most once
  // per interval (counted from the previous write's completion), in one write that takes the
  // partial last page along. Not held: the first write after a pause, every write while a
  // synced append or sync() waits, 256 KiB or more waiting, a chunk's last page,
  // and what a rolled segment has left. The price: `written` appends of a busy partition
  // complete up to one interval later.
  std::chrono::nanoseconds write_interval{0};
  // The first offset of an empty log.
  int64_t initial_offset = 0;
  // Idempotent producers whose state the partition keeps (producer_state.h); the least
  // recently used is forgotten when a new one does not fit.
  uint32_t max_producers = 1024;
  // Wall clock in milliseconds (tests replace it).
  std::function<int64_t()> clock_ms;
  // Told the duration of each group-commit round (its fdatasyncs, issued together), in
  // microseconds, on the owner thread: for the server's metrics. May be empty.
  std::function<void(uint64_t latency_us)> on_fdatasync;
};

struct AppendInfo {
  int64_t base_offset = 0;
  int64_t last_offset = 0;
  // The batch repeats one its idempotent producer sent before (a retry): nothing was written,
  // and the offsets are the original batch's.
  bool duplicate = false;
  // Set by append() when the append is complete as it returns, so `done` was dropped and will
  // not run: always for `none`, and for a duplicate whose original already reached the
  // durability asked for.
  bool completed = false;
};

// Runs once per written or synced append that gave one, from fs.poll() on the owner thread
// (never from inside append()): with the append's offsets once its durability is reached, or
// with the error that stopped it (the offsets are then gone from the log). A `none` append is
// complete when append() returns; its callback is not used.
using AppendCallback = std::function<void(const Result<AppendInfo>&)>;

struct ReadResult {
  std::vector<std::byte> bytes;  // whole batches, in order, each with a good CRC
  int64_t first_offset = 0;      // base offset of the first batch
  int64_t next_offset = 0;       // last offset of the last batch + 1
  uint32_t batches = 0;
};

struct PartitionInfo {
  int64_t start_offset = 0;  // earliest offset still in the log
  int64_t next_offset = 0;   // the offset the next append gets (high watermark)
  int64_t written_offset = 0;
  int64_t synced_offset = 0;
  uint64_t size_bytes = 0;
  uint32_t segments = 0;
  int64_t last_append_time_ms = -1;
};

class LogReader;

class PartitionLog {
 public:
  // Opens (creating when missing) the partition folder `dir` and recovers it: the active
  // segment is checked batch by batch and cut at the first torn or corrupt batch (logged);
  // missing or damaged indexes are rebuilt. `fs` must outlive the log.
  static Result<std::unique_ptr<PartitionLog>> open(io::FileSystem& fs, const std::string& dir,
                                                    const LogOptions& options);
  // Waits for writes in flight (polling fs), writes what is buffered, syncs and closes. Appends
  // whose durability was not reached get Errc::closed; reads through reader() in progress are
  // waited for (each is one copy or one file read from done), later ones get Errc::closed.
  ~PartitionLog();
  PartitionLog(const PartitionLog&) = delete;
  PartitionLog& operator=(const PartitionLog&) = delete;

  // Appends one whole batch (validate_batch rules; at most max_batch_bytes). On success the
  // batch is published with its offsets; `done`, if given, runs once `durability` is reached
  // (unless the result says completed).
  //
  // A batch with a producer id (>= 0; not a control batch) is checked against the partition's
  // idempotence state first (producer_state.h): a retry of one of the producer's last 5
  // batches writes nothing and answers with the original's offsets, marked duplicate, once
  // the original reached `durability`; a batch out of sequence, of an older epoch or of an
  // unknown producer past sequence 0 is refused (out_of_order_sequence,
  // invalid_producer_epoch, unknown_producer_id). A producer id with a negative epoch or base
  // sequence is invalid_argument. Batches without a producer id (-1) skip all of it.
  //
  // Errors change nothing: invalid_argument, empty_batch, corruption (CRC), too_large,
  // would_block (the tail is full of unwritten bytes: poll and retry), no_space or io_error
  // (a new segment could not be created), closed (the log failed earlier: reopen it), and the
  // idempotence errors above.
  Result<AppendInfo> append(std::span<const std::byte> batch, Durability durability,
                            AppendCallback done = {});
  // Submits writes for appended bytes that no write covers yet. append() calls it; a write
  // starts at once when its segment has none in flight, else once 64 KiB are pending or the
  // one in flight completes, so that writes grow under load.
  void flush();
  // Writes and syncs everything appended so far, polling fs until done.
  Result<void> sync();

  // Whole batches from the one holding `offset`, up to max_bytes (the first batch is returned
  // even when larger). offset == next_offset gives an empty result; offsets before the start or
  // past the end give Errc::offset_out_of_range. A batch that fails its CRC is never returned:
  // Errc::corruption when it would have been the first. The same as reader()->read().
  Result<ReadResult> read(int64_t offset, uint64_t max_bytes) const;
  // The first offset whose record timestamp is >= timestamp_ms (compressed batches are
  // decompressed to find it); next_offset when there is none.
  Result<int64_t> offset_for_timestamp(int64_t timestamp_ms) const;

  // Deletes whole segments past the retention limits (never the active one) and rolls an
  // active segment older than segment_ms. Returns how many segments were deleted.
  Result<uint32_t> apply_retention();
  // Moves the log start up towards `offset`: deletes, from the oldest, every sealed segment
  // whose records are all below `offset` (its next offset <= `offset`), never the active one,
  // the same way retention does (start_offset moves before the files go; a reader that began
  // before keeps its open view). A segment not sealed yet (its last writes or syncs still in
  // flight) stops the walk: call again later. Returns how many segments were deleted. For
  // logs that keep a snapshot of their own state (the engine's internal topics), once the
  // snapshot from `offset` on is synced. Errors: closed (the log failed), the I/O errors of
  // removing the files (the segment is gone from the log either way).
  Result<uint32_t> delete_segments_before(int64_t offset);
  // Rolls to a new active segment now when the active one holds any batch (nothing to do
  // otherwise), so that what it holds can be deleted once it is sealed. Errors: those of
  // creating a segment (no_space, io_error), closed.
  Result<void> roll();

  // Reads from any thread (log_reader.h); the same object for the log's whole life, and valid
  // after it.
  std::shared_ptr<LogReader> reader() const;

  PartitionInfo info() const;
  // The idempotence state (owner thread only): for tests and tools.
  const ProducerStateTable& producer_state() const;
  int64_t start_offset() const;
  int64_t next_offset() const;
  const std::string& dir() const;

  // The next offset to be assigned, written and synced. Stored with release order by the owner
  // after the bytes they cover are published, handed to the kernel or synced; other threads
  // load them with acquire order.
  const std::atomic<int64_t>& high_watermark() const;
  const std::atomic<int64_t>& written_watermark() const;
  const std::atomic<int64_t>& synced_watermark() const;

  // The implementation (partition_log_impl.h); public so that its parts can name it.
  struct Impl;

 private:
  explicit PartitionLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::partitions
