// Segment: one "<base offset>.log" file of a partition with its in-memory indexes, the chunks
// that hold its tail, and the state of its writes. Owned by PartitionLog (one thread); `view`
// is what readers on other threads see of it (segment_view.h).
//
// Positions, for a segment being appended to:
//   written_end <= submitted_end <= size
// size is the logical end (bytes appended); submitted_end the end of the bytes handed to a
// write; written_end the end of the contiguous prefix whose writes completed. synced_end <=
// written_end is the prefix covered by a completed fdatasync.
#pragma once

#include "io/file_system.h"
#include "partitions/chunk_pool.h"
#include "partitions/offset_index.h"
#include "partitions/segment_view.h"
#include "partitions/time_index.h"

#include <sluice/result.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace sluice::partitions {

struct WriteOp;

struct Segment {
  Segment(std::string dir, int64_t base, uint32_t index_interval_bytes);

  int64_t base_offset;
  std::string log_path;
  std::string index_path;
  std::string time_index_path;
  io::FileHandle write_file;  // invalid once sealed
  // Buffered, for writes shorter than LogOptions::small_write_bytes when write_file is
  // O_DIRECT; else (and once sealed) invalid.
  io::FileHandle small_write_file;
  // The end of the last page written through small_write_file (the page cache may hold the
  // pages before it).
  uint64_t buffered_end = 0;
  uint64_t allocated_end = 0;  // the file is fallocated up to here (preallocate)
  // Buffered, for recovery and for reads that miss the chunks; `file` owns it (and closes it
  // once readers holding the view are done too).
  io::FileHandle read_file;
  std::shared_ptr<SegmentFile> file;
  std::shared_ptr<SegmentView> view;  // made once the segment is recovered or created

  uint64_t size = 0;
  uint64_t submitted_end = 0;
  uint64_t written_end = 0;
  uint64_t synced_end = 0;
  int64_t next_offset = 0;
  int64_t created_ms = -1;  // when its first batch was appended (-1: empty)
  bool tail_write_in_flight = false;
  // When the last write completed (LogOptions::write_interval; only kept while it is set).
  std::chrono::steady_clock::time_point last_write_at;
  uint32_t syncs_in_flight = 0;
  bool sealed = false;
  bool rolled = false;  // a newer segment exists: seal once every write completed
  // The idempotence state as of the segment's end, encoded at roll and written as the
  // partition's snapshot once the segment is sealed (empty: nothing to write).
  std::vector<std::byte> producer_snapshot;

  OffsetIndex index;
  TimeIndex time_index;
  std::deque<Chunk> chunks;     // contiguous and in file order
  std::deque<WriteOp*> writes;  // in flight, in submission (file) order

  uint64_t chunk_end(uint32_t chunk_bytes) const {
    return chunks.empty() ? 0 : chunks.back().file_pos + chunk_bytes;
  }
  bool empty() const { return size == 0; }
  // True when [pos, pos + length) lies inside the chunks.
  bool in_chunks(uint64_t pos, uint64_t length, uint32_t chunk_bytes) const;
  // Calls piece(chunk memory, offset into [pos, pos + length), bytes) for each part of the range
  // that one chunk holds, in order; in_chunks must hold.
  template <typename Piece>
  void for_each_piece(uint64_t pos, uint64_t length, uint32_t chunk_bytes, Piece&& piece) const;
  // Copies bytes into the chunks at [pos, pos + bytes.size()); in_chunks must hold.
  void copy_into_chunks(uint64_t pos, std::span<const std::byte> bytes, uint32_t chunk_bytes);
  // Makes a new view for readers from the indexes and positions (the old one, if any, stays
  // as it is for the readers that hold it).
  void make_view();
  // Publishes the bytes appended since the last call to readers of the view.
  void publish() { view->publish(index, time_index, size, next_offset); }
};

template <typename Piece>
void Segment::for_each_piece(uint64_t pos, uint64_t length, uint32_t chunk_bytes,
                             Piece&& piece) const {
  const uint64_t first = chunks.front().file_pos;
  for (uint64_t done = 0; done < length;) {
    const uint64_t at = pos + done;
    const Chunk& chunk = chunks[(at - first) / chunk_bytes];
    const uint64_t within = at - chunk.file_pos;
    const uint64_t n = std::min<uint64_t>(length - done, chunk_bytes - within);
    piece(chunk.data + within, done, n);
    done += n;
  }
}

}  // namespace sluice::partitions
