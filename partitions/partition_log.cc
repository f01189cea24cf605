// PartitionLog: append, the write pipeline and group commit. See partition_log.h for the
// contract and partition_log_impl.h for the state.
//
// The write pipeline, per segment: bytes are appended into page-aligned chunks; flush() hands
// whole pages to the kernel, at most one chunk per write and max_writes_in_flight writes at a
// time. A partial last page is written (padded with zeros) only when no other write of the
// segment is in flight, and no later write starts until it completes: two writes in flight
// never cover the same page, so the device can never apply an older copy of a page over a
// newer one. A rewritten partial page carries the same bytes as before plus the new ones.
#include "partitions/partition_log.h"

#include "io/assert.h"
#include "io/logger.h"
#include "partitions/endian.h"
#include "partitions/partition_log_impl.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <thread>

namespace sluice::partitions {
namespace {

constexpr uint64_t kPage = io::kDirectIoAlignment;
// While a segment has a write in flight, fewer full pages than this wait for more appends (or
// for that write to complete): under load writes grow instead of multiplying.
constexpr uint64_t kMinWriteBytesWhileBusy = 64 * 1024;
// LogOptions::write_interval holds fewer bytes than this: more go at once, so that the interval
// never limits throughput (at 1 GB/s this much arrives in a quarter of a millisecond).
constexpr uint64_t kMaxHeldWriteBytes = 256 * 1024;
uint64_t align_down(uint64_t v) {
  return v & ~(kPage - 1);
}
uint64_t align_up(uint64_t v) {
  return (v + kPage - 1) & ~(kPage - 1);
}

void on_write_callback(io::IoOp& op, Result<uint64_t> result) {
  auto* write = static_cast<WriteOp*>(op.context);
  write->log->on_write_done(*write, result);
}

void on_write_timer(io::IoOp& op, Result<uint64_t> /*result*/) {
  auto* log = static_cast<PartitionLog::Impl*>(op.context);
  log->write_timer_armed = false;
  log->flush();
}

void on_sync_callback(io::IoOp& op, Result<uint64_t> result) {
  auto* sync = static_cast<SyncOp*>(op.context);
  sync->log->on_sync_done(*sync, result);
}

uint32_t chunk_count(const LogOptions& options) {
  return static_cast<uint32_t>(
      std::max<uint64_t>(2, options.tail_cache_bytes / std::max<uint32_t>(1, options.chunk_bytes)));
}

std::shared_ptr<LogShared> make_shared_state(const std::string& dir, const LogOptions& options) {
  auto slots = std::make_shared<ChunkSlots>(chunk_count(options), options.chunk_bytes);
  return std::make_shared<LogShared>(dir, std::move(slots));
}

}  // namespace

PartitionLog::Impl::Impl(io::FileSystem& file_system, std::string directory,
                         const LogOptions& log_options)
    : fs(file_system),
      dir(std::move(directory)),
      options(log_options),
      shared(make_shared_state(dir, log_options)),
      reader(std::make_shared<LogReader>(shared)),
      pool(shared->slots),
      write_ops(std::max<uint32_t>(1, log_options.max_writes_in_flight)),
      producers(log_options.max_producers) {
  for (WriteOp& write : write_ops) {
    write.op.callback = on_write_callback;
    write.op.context = &write;
    write.log = this;
    free_writes.push_back(&write);
  }
  write_timer.callback = on_write_timer;
  write_timer.context = this;
}

int64_t PartitionLog::Impl::now_ms() const {
  if (options.clock_ms) return options.clock_ms();
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// ---- Append ----

Result<AppendInfo> PartitionLog::Impl::append(std::span<const std::byte> batch,
                                              Durability durability, AppendCallback done) {
  if (failure) {
    return Error(Errc::closed, "partition " + dir + " failed (" + failure->to_string() +
                                   "); reopen it to recover");
  }
  // A rollback that waited for a reader to let go of a chunk goes on now.
  if (rollback && writes_idle()) finish_rollback();
  if (rollback) {
    return Error(Errc::would_block, "partition " + dir + " is dropping unwritten appends after " +
                                        rollback->to_string() + "; poll and retry");
  }
  if (batch.size() > options.max_batch_bytes) {
    return Error(Errc::too_large, "batch of " + std::to_string(batch.size()) +
                                      " bytes is above the maximum of " +
                                      std::to_string(options.max_batch_bytes));
  }
  auto header = validate_batch(batch);
  if (!header.ok()) return std::move(header).error();
  // One compare for the engine's own batches (producer id -1); the rest is out of line.
  const bool idempotent = header->producer_id >= 0 && !header->control();
  if (idempotent) [[unlikely]] {
    if (auto answered = check_producer(*header, durability, done)) return std::move(*answered);
  }
  const int64_t now = now_ms();
  Segment* segment = &active();
  const bool must_roll =
      !segment->empty() && (segment->size + batch.size() > options.segment_bytes ||
                            now - segment->created_ms >= options.segment_ms ||
                            next_offset + header->last_offset_delta - segment->base_offset >=
                                std::numeric_limits<int32_t>::max());
  // Room first, so that an append refused for backpressure changes nothing but which older
  // bytes the tail cache holds (no roll either).
  const uint64_t needed = must_roll ? (batch.size() + options.chunk_bytes - 1) / options.chunk_bytes
                                    : chunks_needed(*segment, segment->size + batch.size());
  if (!make_room(needed, must_roll ? nullptr : segment)) {
    return Error(Errc::would_block, "partition " + dir +
                                        ": the tail cache is full of unwritten bytes; poll and "
                                        "retry");
  }
  if (must_roll) {
    SLUICE_TRY(roll());
    segment = &active();
  }
  const uint64_t pos = segment->size;
  ensure_chunks(*segment, pos + batch.size());
  segment->copy_into_chunks(pos, batch, options.chunk_bytes);
  AppendInfo info{next_offset, next_offset + header->last_offset_delta};
  std::byte base_be[8];
  store_be(base_be, info.base_offset);
  segment->copy_into_chunks(pos, base_be, options.chunk_bytes);

  pool.index_batch(segment->chunks[(pos - segment->chunks.front().file_pos) / options.chunk_bytes],
                   info.base_offset, pos);
  segment->index.on_batch(info.base_offset, pos, batch.size());
  segment->time_index.on_batch(info.base_offset, header->max_timestamp, batch.size());
  segment->size = pos + batch.size();
  segment->next_offset = info.last_offset + 1;
  if (segment->created_ms < 0) segment->created_ms = now;
  next_offset = info.last_offset + 1;
  last_append_time_ms = now;
  if (idempotent) [[unlikely]]
    record_producer(*header, info);
  unwritten.push_back({segment, pos, segment->size, info.base_offset, next_offset});
  // The batch's bytes, index entries and the segment's new size are published to readers
  // (release), then its offsets (publish_high_watermark, release).
  segment->publish();
  // Relaxed: statistics; the owner is the only writer.
  shared->size_bytes.store(shared->size_bytes.load(std::memory_order_relaxed) + batch.size(),
                           std::memory_order_relaxed);
  shared->last_append_time_ms.store(now, std::memory_order_relaxed);
  publish_high_watermark();

  if (done && durability == Durability::written) {
    written_waiters.push_back({next_offset, info, std::move(done)});
  } else if (done && durability == Durability::synced) {
    synced_waiters.push_back({next_offset, info, std::move(done)});
  }
  flush();
  info.completed = durability == Durability::none;
  return info;
}

// ---- Writes ----

void PartitionLog::Impl::flush() {
  if (failure || rollback) return;
  for (auto& segment : segments) {
    while (!free_writes.empty() && submit_next_write(*segment)) {
    }
    if (free_writes.empty()) return;
  }
}

bool PartitionLog::Impl::submit_next_write(Segment& segment) {
  if (segment.sealed || segment.tail_write_in_flight || segment.submitted_end >= segment.size) {
    return false;
  }
  const uint64_t start = align_down(segment.submitted_end);
  SLUICE_ASSERT(segment.in_chunks(start, 1, options.chunk_bytes));
  const Chunk& chunk =
      segment.chunks[(start - segment.chunks.front().file_pos) / options.chunk_bytes];
  const uint64_t chunk_end = chunk.file_pos + options.chunk_bytes;
  uint64_t data_end = std::min(segment.size, chunk_end);
  uint64_t write_end = align_down(data_end);
  if (hold_write(segment, start, data_end, chunk_end)) return false;
  bool tail = write_end <= start;
  if (!tail && !segment.writes.empty() && write_end < chunk_end &&
      write_end - start < kMinWriteBytesWhileBusy) {
    return false;
  }
  // A partial last page waits until no other write of the segment is in flight, as later
  // appends may still fill it; with a write interval, only until none is in flight at or after
  // it (the writes after a hold go together).
  const bool clear_ahead = segment.writes.empty() || (options.write_interval.count() > 0 &&
                                                      segment.writes.back()->data_end <= start);
  // With a write interval, the one write after the hold takes the partial last page along.
  if (!tail && options.write_interval.count() > 0 && clear_ahead && data_end > write_end) {
    tail = true;
  }
  // The page cache holds the pages below buffered_end (written through the buffered handle):
  // an O_DIRECT write over them would wait for their write-back and go to a kernel worker.
  // They go buffered on their own, the rest O_DIRECT in the next write.
  const uint64_t extent_end = tail ? align_up(data_end) : write_end;
  const bool split = segment.small_write_file.valid() && start < segment.buffered_end &&
                     segment.buffered_end < extent_end && !small_write(extent_end - start);
  if (split) {
    write_end = data_end = segment.buffered_end;
    tail = false;
  }
  if (tail) {
    if (!clear_ahead) return false;
    write_end = align_up(data_end);
    // The padding reaches the file: zeros, as FORMAT.md promises (chunks are not cleared when
    // they are reused; no reader looks past the published size, and no write of this segment
    // at or after this page is in flight).
    std::memset(chunk.data + (data_end - chunk.file_pos), 0, write_end - data_end);
  } else {
    data_end = write_end;
  }
  WriteOp* write = free_writes.back();
  free_writes.pop_back();
  SLUICE_ASSERT(!write->in_use);
  write->in_use = true;
  write->segment = &segment;
  write->data_end = data_end;
  write->tail = tail;
  write->done = false;
  write->error.reset();
  segment.writes.push_back(write);
  segment.submitted_end = data_end;
  segment.tail_write_in_flight = tail;
  std::span<const std::byte> bytes(chunk.data + (start - chunk.file_pos), write_end - start);
  // A failed extension is not fatal here: the write itself reports a full disk.
  (void)extend_allocation(segment, write_end);
  const bool buffered = segment.small_write_file.valid() && (split || small_write(bytes.size()));
  if (buffered) segment.buffered_end = std::max(segment.buffered_end, write_end);
  fs.write_async(buffered ? segment.small_write_file : segment.write_file, start, bytes, write->op);
  return true;
}

bool PartitionLog::Impl::small_write(uint64_t bytes) const {
  // While an fdatasync is wanted, every write is O_DIRECT: the sync would otherwise have to write
  // the cached pages back itself.
  return bytes < options.small_write_bytes && synced_waiters.empty() &&
         sync_requested <= synced_offset;
}

bool PartitionLog::Impl::hold_write(Segment& segment, uint64_t start, uint64_t data_end,
                                    uint64_t chunk_end) {
  // Nothing is held while an fdatasync is wanted: synced appends and sync() keep their latency.
  if (options.write_interval.count() <= 0 || segment.rolled || !synced_waiters.empty() ||
      sync_requested > synced_offset) {
    return false;
  }
  if (data_end == chunk_end || data_end - start >= kMaxHeldWriteBytes) return false;
  const auto due = segment.last_write_at + options.write_interval;
  const auto now = std::chrono::steady_clock::now();
  if (now >= due) return false;
  if (!write_timer_armed) {
    write_timer_armed = true;
    fs.timer_async(due - now, write_timer);
  }
  return true;
}

void PartitionLog::Impl::on_write_done(WriteOp& write, const Result<uint64_t>& result) {
  SLUICE_ASSERT(write.in_use && !write.done);
  write.done = true;
  if (!result.ok()) write.error = result.error();
  Segment& segment = *write.segment;
  // Completions may come in any order; the written prefix grows in file order.
  while (!segment.writes.empty() && segment.writes.front()->done) {
    WriteOp* front = segment.writes.front();
    segment.writes.pop_front();
    if (front->error && !rollback && !failure) rollback = *front->error;
    if (!rollback && !failure) segment.written_end = std::max(segment.written_end, front->data_end);
    if (front->tail) segment.tail_write_in_flight = false;
    // Only hold_write() reads it: no clock read per write when the interval is off.
    if (options.write_interval.count() > 0)
      segment.last_write_at = std::chrono::steady_clock::now();
    SLUICE_ASSERT(front->in_use);
    front->in_use = false;
    free_writes.push_back(front);
  }
  if (failure) return;
  if (rollback) {
    if (writes_idle()) finish_rollback();
    return;
  }
  advance_written();
  maybe_seal(segment);
  maybe_start_sync();
  flush();
}

bool PartitionLog::Impl::writes_idle() const {
  return free_writes.size() == write_ops.size();
}

void PartitionLog::Impl::advance_written() {
  while (!unwritten.empty() &&
         unwritten.front().segment->written_end >= unwritten.front().end_pos) {
    written_offset = unwritten.front().next_offset;
    unwritten.pop_front();
  }
  // Release: the bytes below written_offset were handed to the kernel before this store.
  written_watermark.store(written_offset, std::memory_order_release);
  fire(written_waiters, written_offset);
}

void PartitionLog::Impl::maybe_seal(Segment& segment) {
  if (!segment.rolled || segment.sealed || !segment.writes.empty() || segment.syncs_in_flight > 0 ||
      segment.written_end < segment.size) {
    return;
  }
  auto sealed = seal(segment);
  if (!sealed.ok()) fail(sealed.error());
}

// ---- Group commit ----

void PartitionLog::Impl::maybe_start_sync() {
  if (syncs_in_flight > 0 || failure || rollback) return;
  const bool wanted = !synced_waiters.empty() || sync_requested > synced_offset;
  if (!wanted || written_offset <= synced_offset) return;
  sync_round_target = written_offset;
  sync_round_error.reset();
  if (options.on_fdatasync) sync_round_started = std::chrono::steady_clock::now();
  size_t used = 0;
  for (auto& segment : segments) {
    if (segment->sealed || segment->synced_end >= segment->written_end) continue;
    if (used == sync_ops.size()) sync_ops.emplace_back();
    SyncOp& sync = sync_ops[used++];
    sync.op.callback = on_sync_callback;
    sync.op.context = &sync;
    sync.log = this;
    sync.segment = segment.get();
    sync.covers = segment->written_end;
    ++segment->syncs_in_flight;
    ++syncs_in_flight;
    fs.datasync_async(segment->write_file, sync.op);
  }
  if (syncs_in_flight == 0) {
    synced_offset = sync_round_target;
    synced_watermark.store(synced_offset, std::memory_order_release);
    fire(synced_waiters, synced_offset);
  }
}

void PartitionLog::Impl::on_sync_done(SyncOp& sync, const Result<uint64_t>& result) {
  SLUICE_ASSERT(syncs_in_flight > 0 && sync.segment->syncs_in_flight > 0);
  --syncs_in_flight;
  --sync.segment->syncs_in_flight;
  if (!result.ok()) {
    sync_round_error = result.error();
  } else {
    sync.segment->synced_end = std::max(sync.segment->synced_end, sync.covers);
  }
  maybe_seal(*sync.segment);
  if (syncs_in_flight > 0 || failure) return;
  if (sync_round_error) {
    // After a failed fdatasync the kernel may have dropped the dirty pages: nothing written
    // since the last good sync can be trusted, so the log stops until it is reopened.
    fail(Error(sync_round_error->code(), "fdatasync failed: " + sync_round_error->message()));
    return;
  }
  if (options.on_fdatasync) {
    options.on_fdatasync(
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                  std::chrono::steady_clock::now() - sync_round_started)
                                  .count()));
  }
  synced_offset = std::max(synced_offset, sync_round_target);
  // Release: an fdatasync covering the bytes below synced_offset completed before this store.
  synced_watermark.store(synced_offset, std::memory_order_release);
  fire(synced_waiters, synced_offset);
  maybe_start_sync();
}

void PartitionLog::Impl::fire(std::deque<Waiter>& waiters, int64_t watermark) {
  while (!waiters.empty() && waiters.front().next_offset <= watermark) {
    Waiter waiter = std::move(waiters.front());
    waiters.pop_front();
    waiter.done(waiter.info);
  }
}

// ---- Failures ----

void PartitionLog::Impl::fail_waiters(const Error& error, int64_t from_offset) {
  for (auto* waiters : {&written_waiters, &synced_waiters}) {
    std::deque<Waiter> kept;
    std::deque<Waiter> failed;
    for (Waiter& waiter : *waiters) {
      (waiter.info.base_offset >= from_offset ? failed : kept).push_back(std::move(waiter));
    }
    *waiters = std::move(kept);
    for (Waiter& waiter : failed)
      waiter.done(error);
  }
}

void PartitionLog::Impl::fail(const Error& error) {
  if (failure) return;
  failure = error;
  log_line(LogLevel::error, "partition " + dir + " failed: " + error.to_string() +
                                "; appends are refused until it is reopened");
  fail_waiters(Error(error.code(), "partition " + dir + " failed: " + error.message()),
               std::numeric_limits<int64_t>::min());
}

// A write failed (a full disk, an I/O error). Once no write is in flight, every batch not
// completely written is dropped from memory and from the file, its waiters get the error, and
// appends go on from there: the log stays a clean prefix of what was acknowledged.
//
// The chunks past the cut change, so no reader may hold them: when one does, the rollback stays
// pending (appends get would_block) and the next append, poll or sync tries again.
void PartitionLog::Impl::finish_rollback() {
  SLUICE_ASSERT(rollback && writes_idle());
  if (unwritten.empty()) {
    rollback.reset();
    return;
  }
  Segment& segment = *unwritten.front().segment;
  if (&segment != &active() || unwritten.back().segment != &segment) {
    Error error = *rollback;
    rollback.reset();
    fail(Error(error.code(), "a write failed across a segment roll: " + error.message()));
    return;
  }
  const int64_t cut_offset = unwritten.front().base_offset;
  const uint64_t cut_pos = unwritten.front().start_pos;
  if (!hide_chunks_from(segment, cut_pos)) return;
  Error error = *rollback;
  rollback.reset();
  unwritten.clear();
  drop_tail(segment, cut_pos, cut_offset);
  next_offset = cut_offset;
  // The dropped batches were never acknowledged past `none`: their producers retry them.
  producers.truncate(cut_offset);
  publish_high_watermark();
  log_line(LogLevel::warning, "partition " + dir + ": dropped appends from offset " +
                                  std::to_string(cut_offset) + " after " + error.to_string());
  ++rollbacks;
  last_rollback = error;
  fail_waiters(Error(error.code(), "appends from offset " + std::to_string(cut_offset) +
                                       " were dropped: " + error.message()),
               cut_offset);
  maybe_start_sync();
}

// Cuts the active segment's bytes at cut_pos (where offset cut_offset starts), in memory and in
// the file. hide_chunks_from(segment, cut_pos) returned true: no reader holds a chunk that
// changes here.
void PartitionLog::Impl::drop_tail(Segment& segment, uint64_t cut_pos, int64_t cut_offset) {
  const uint64_t total = shared->size_bytes.load(std::memory_order_relaxed);
  shared->size_bytes.store(total - (segment.size - cut_pos), std::memory_order_relaxed);
  // Release: a reader of the old view that pins a chunk republished below loads this size
  // after the pin and so never reads past the cut (segment_source.cc).
  segment.view->size.store(cut_pos, std::memory_order_release);
  segment.view->next_offset.store(cut_offset, std::memory_order_release);
  while (!segment.chunks.empty() && segment.chunks.back().file_pos >= cut_pos &&
         segment.chunks.back().file_pos > 0) {
    pool.retire(segment.chunks.back());
    segment.chunks.pop_back();
  }
  if (!segment.chunks.empty() && cut_pos < segment.size) {
    uint64_t end = std::min(segment.size, segment.chunk_end(options.chunk_bytes));
    std::vector<std::byte> zeros(end - cut_pos);
    segment.copy_into_chunks(cut_pos, zeros, options.chunk_bytes);
  }
  for (const Chunk& chunk : segment.chunks) {
    if (chunk.file_pos + options.chunk_bytes <= cut_pos) continue;
    pool.truncate_index(chunk, cut_pos);
    pool.republish(chunk);
  }
  segment.size = cut_pos;
  segment.submitted_end = std::min(segment.submitted_end, cut_pos);
  segment.written_end = std::min(segment.written_end, cut_pos);
  segment.synced_end = std::min(segment.synced_end, cut_pos);
  segment.next_offset = cut_offset;
  segment.index.truncate(cut_pos);
  segment.time_index.truncate(cut_offset);
  if (segment.size == 0) segment.created_ms = -1;
  // Index entries are never rewritten under a reader: new readers get a new view.
  segment.make_view();
  publish_segments();
  // The file may hold some of the dropped bytes: cut it so recovery can never bring them back.
  auto cut = fs.truncate(segment.write_file, cut_pos);
  if (!cut.ok()) {
    fail(cut.error());
    return;
  }
}

// ---- sync and close ----

Result<void> PartitionLog::Impl::sync() {
  sync_requested = next_offset;
  const uint64_t rollbacks_before = rollbacks;
  for (;;) {
    if (rollback && writes_idle()) {
      finish_rollback();
      // A reader holds a chunk the rollback changes for one copy: let it finish.
      if (rollback) std::this_thread::yield();
      continue;
    }
    if (failure)
      return Error(failure->code(), "partition " + dir + " failed: " + failure->message());
    if (rollbacks != rollbacks_before) return *last_rollback;
    if (synced_offset >= sync_requested) return {};
    flush();
    maybe_start_sync();
    if (fs.in_flight() == 0) {
      return Error(Errc::io_error, "partition " + dir +
                                       ": sync cannot make progress (the file "
                                       "system dropped operations in flight)");
    }
    fs.poll(std::chrono::milliseconds(10));
  }
}

// ---- PartitionLog ----

PartitionLog::PartitionLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

PartitionLog::~PartitionLog() {
  Impl& log = *impl_;
  if (!log.failure) (void)log.sync();
  // Wait for every operation of this log; a file system that dropped them (a simulated power
  // loss) has nothing in flight, and then there is nothing left to wait for.
  while ((!log.writes_idle() || log.syncs_in_flight > 0 || log.write_timer_armed) &&
         log.fs.in_flight() > 0) {
    log.fs.poll(std::chrono::milliseconds(10));
  }
  log.fail_waiters(Error(Errc::closed, "partition " + log.dir + " was closed"),
                   std::numeric_limits<int64_t>::min());
  log.write_snapshot_at_close();
  log.close();
}

Result<std::unique_ptr<PartitionLog>> PartitionLog::open(io::FileSystem& fs, const std::string& dir,
                                                         const LogOptions& options) {
  if (options.chunk_bytes == 0 || options.chunk_bytes % kPage != 0) {
    return Error(Errc::invalid_argument, "chunk_bytes must be a multiple of 4096");
  }
  if (options.segment_bytes > (1ull << 31) || options.segment_bytes < kPage) {
    return Error(Errc::invalid_argument, "segment_bytes must be between 4 KiB and 2 GiB");
  }
  if (options.max_batch_bytes + 2 * uint64_t{options.chunk_bytes} > options.tail_cache_bytes) {
    return Error(Errc::invalid_argument,
                 "tail_cache_bytes must hold max_batch_bytes plus two chunks");
  }
  auto impl = std::make_unique<Impl>(fs, dir, options);
  SLUICE_TRY(impl->recover());
  return std::unique_ptr<PartitionLog>(new PartitionLog(std::move(impl)));
}

Result<AppendInfo> PartitionLog::append(std::span<const std::byte> batch, Durability durability,
                                        AppendCallback done) {
  return impl_->append(batch, durability, std::move(done));
}
void PartitionLog::flush() {
  impl_->flush();
}
Result<void> PartitionLog::sync() {
  return impl_->sync();
}
Result<ReadResult> PartitionLog::read(int64_t offset, uint64_t max_bytes) const {
  return impl_->reader->read(offset, max_bytes);
}
Result<int64_t> PartitionLog::offset_for_timestamp(int64_t timestamp_ms) const {
  return impl_->reader->offset_for_timestamp(timestamp_ms);
}
std::shared_ptr<LogReader> PartitionLog::reader() const {
  return impl_->reader;
}
Result<uint32_t> PartitionLog::apply_retention() {
  return impl_->apply_retention();
}
Result<uint32_t> PartitionLog::delete_segments_before(int64_t offset) {
  return impl_->delete_segments_before(offset);
}
Result<void> PartitionLog::roll() {
  Impl& log = *impl_;
  if (log.failure)
    return Error(Errc::closed, "partition " + log.dir + " failed: " + log.failure->message());
  // A rollback cuts only the active segment: no roll until it is done.
  if (log.rollback) {
    return Error(Errc::would_block, "partition " + log.dir + " is dropping unwritten appends");
  }
  if (log.active().empty()) return {};
  return log.roll();
}
int64_t PartitionLog::start_offset() const {
  return impl_->start_offset;
}
int64_t PartitionLog::next_offset() const {
  return impl_->next_offset;
}
const std::string& PartitionLog::dir() const {
  return impl_->dir;
}
const std::atomic<int64_t>& PartitionLog::high_watermark() const {
  return impl_->shared->high_watermark;
}
const std::atomic<int64_t>& PartitionLog::written_watermark() const {
  return impl_->written_watermark;
}
const std::atomic<int64_t>& PartitionLog::synced_watermark() const {
  return impl_->synced_watermark;
}

const ProducerStateTable& PartitionLog::producer_state() const {
  return impl_->producers;
}

PartitionInfo PartitionLog::info() const {
  const Impl& log = *impl_;
  PartitionInfo info;
  info.start_offset = log.start_offset;
  info.next_offset = log.next_offset;
  info.written_offset = log.written_offset;
  info.synced_offset = log.synced_offset;
  for (const auto& segment : log.segments)
    info.size_bytes += segment->size;
  info.segments = static_cast<uint32_t>(log.segments.size());
  info.last_append_time_ms = log.last_append_time_ms;
  return info;
}

}  // namespace sluice::partitions
