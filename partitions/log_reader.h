// LogReader: reads of a PartitionLog from any thread, without waiting for the log's owner and
// without any lock the owner takes when it appends. Get it from PartitionLog::reader(); there
// is one per log.
//
// A reader sees only published batches: below the high watermark it loads (acquire) when a
// read starts. Batches come from the log's tail chunks when they hold them (a memory copy, a
// few hundred nanoseconds) and from the segment files otherwise (FileSystem::read). Every batch
// returned passed its CRC.
//
// Lifetime: the reader, and everything it reads, stay valid while any shared_ptr to it exists,
// even after the PartitionLog is gone; reads then fail with Errc::closed. Closing the log waits
// for reads in progress, each of which is at most one copy or one file read from finishing.
//
// Races, all with the log's failure paths: a read that overlaps the log dropping its unwritten
// tail after a failed write (a rollback) may fail with Errc::corruption or
// Errc::offset_out_of_range for offsets that were published a moment before; it never returns
// a batch that fails its CRC. A read that overlaps retention may still return the batches of
// the segment being deleted (they were in the log when the read began).
//
// Thread-safety: every method, from any thread, at any time.
#pragma once

#include "partitions/partition_log.h"

#include <sluice/result.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sluice::partitions {

struct LogShared;
struct SegmentView;
class SegmentSource;

// What read_into() put in the caller's buffer.
struct ReadInfo {
  int64_t first_offset = 0;  // base offset of the first batch
  int64_t next_offset = 0;   // last offset of the last batch + 1
  uint32_t batches = 0;
  uint64_t bytes = 0;
};

class LogReader {
 public:
  explicit LogReader(std::shared_ptr<LogShared> shared);
  LogReader(const LogReader&) = delete;
  LogReader& operator=(const LogReader&) = delete;

  // PartitionLog::read's contract: whole batches from the one holding `offset`, up to
  // max_bytes (the first one even when larger); offset == high watermark gives an empty
  // result; before the start or past the high watermark, Errc::offset_out_of_range; a batch
  // that fails its CRC is never returned (Errc::corruption when it would have been the first).
  // Errc::closed once the log is closed.
  Result<ReadResult> read(int64_t offset, uint64_t max_bytes) const;
  // The same into `out` (cleared first): once its capacity suffices, nothing is allocated. For
  // consumers that poll in a loop.
  Result<ReadInfo> read_into(int64_t offset, uint64_t max_bytes, std::vector<std::byte>& out) const;
  // The first offset whose record timestamp is >= timestamp_ms, among published batches
  // (compressed ones are decompressed to find it); the high watermark when there is none.
  Result<int64_t> offset_for_timestamp(int64_t timestamp_ms) const;

  // Acquire loads: the next offset to be assigned (everything below it is readable), and the
  // first offset still in the log.
  int64_t high_watermark() const;
  int64_t start_offset() const;
  // Statistics (relaxed): when the last batch was appended (-1: never since open), and the
  // bytes of every segment.
  int64_t last_append_time_ms() const;
  uint64_t size_bytes() const;
  bool closed() const;
  const std::string& dir() const;
  // The high watermark itself, to wait on (std::atomic::wait: the owner notifies every change).
  // It stops moving once the log is closed: a waiter that may outlive the log waits with a
  // deadline of its own and checks closed().
  const std::atomic<int64_t>& high_watermark_atomic() const;

 private:
  struct Cursor;
  Result<bool> read_segment(SegmentSource& source, Cursor& cursor) const;
  Result<int64_t> timestamp_in_segment(const SegmentView& view, int64_t timestamp_ms, int64_t start,
                                       int64_t high_watermark) const;
  Error closed_error() const;

  std::shared_ptr<LogShared> shared_;
};

}  // namespace sluice::partitions
