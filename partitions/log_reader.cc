// LogReader: reads at an offset. See log_reader.h for the contract; the time lookup is in
// log_reader_time.cc.
#include "partitions/log_reader.h"

#include "io/assert.h"
#include "partitions/batch_walk.h"
#include "partitions/log_shared.h"

#include <algorithm>

namespace sluice::partitions {

// One read_into() call in progress.
struct LogReader::Cursor {
  int64_t want;            // the offset the next batch must hold
  int64_t high_watermark;  // as loaded when the read began: nothing at or past it is returned
  uint64_t max_bytes;
  std::vector<std::byte>& out;
  ReadInfo info;
};

LogReader::LogReader(std::shared_ptr<LogShared> shared) : shared_(std::move(shared)) {
  SLUICE_ASSERT(shared_ != nullptr);
}

Error LogReader::closed_error() const {
  return Error(Errc::closed, "partition " + shared_->dir + " is closed");
}

namespace {

Error out_of_range(int64_t offset, int64_t start, int64_t end) {
  return Error(Errc::offset_out_of_range, "offset " + std::to_string(offset) +
                                              " is outside the log [" + std::to_string(start) +
                                              ", " + std::to_string(end) + "]");
}

// The index of the segment that holds `offset`: the last one whose base is <= offset (0 when
// none is).
size_t segment_holding(const SegmentSet& set, int64_t offset) {
  auto it = std::upper_bound(set.begin(), set.end(), offset,
                             [](int64_t value, const std::shared_ptr<const SegmentView>& view) {
                               return value < view->base_offset;
                             });
  return it == set.begin() ? 0 : static_cast<size_t>(it - set.begin() - 1);
}

}  // namespace

Result<ReadResult> LogReader::read(int64_t offset, uint64_t max_bytes) const {
  ReadResult result;
  auto info = read_into(offset, max_bytes, result.bytes);
  if (!info.ok()) return std::move(info).error();
  result.first_offset = info->first_offset;
  result.next_offset = info->next_offset;
  result.batches = info->batches;
  return result;
}

Result<ReadInfo> LogReader::read_into(int64_t offset, uint64_t max_bytes,
                                      std::vector<std::byte>& out) const {
  out.clear();
  if (closed()) return closed_error();
  const int64_t high = high_watermark();
  const int64_t start = start_offset();
  if (offset < start || offset > high) return out_of_range(offset, start, high);
  Cursor cursor{offset, high, max_bytes, out, ReadInfo{offset, offset, 0, 0}};
  if (offset == high) return cursor.info;
  // A segment set that holds every offset below `high`: the owner published it (seq_cst)
  // before the high watermark that covers a new segment.
  const std::shared_ptr<const SegmentSet> set = shared_->segments.load();
  if (set == nullptr || set->empty()) return closed_error();
  size_t i = segment_holding(*set, offset);
  // Retention moved the start past `offset` after it was loaded.
  if ((*set)[i]->base_offset > offset) return out_of_range(offset, start_offset(), high);
  for (; i < set->size(); ++i) {
    const SegmentView& view = *(*set)[i];
    if (view.base_offset >= high) break;
    // Acquire, after the high watermark: every batch below it in this segment is covered.
    SegmentSource source(*shared_->slots, view, view.size.load(std::memory_order_acquire));
    auto more = read_segment(source, cursor);
    if (!more.ok()) return std::move(more).error();
    if (!*more) break;
  }
  cursor.info.bytes = out.size();
  return cursor.info;
}

// Appends the batches of one segment from cursor.want on; true when the read goes on into the
// next segment. An error once a batch was taken ends the read with what it has.
Result<bool> LogReader::read_segment(SegmentSource& source, Cursor& cursor) const {
  ReadInfo& info = cursor.info;
  auto stop = [&info](Error error) -> Result<bool> {
    if (info.batches == 0) return error;
    return false;
  };
  auto found = find_batch(source, cursor.want);
  if (!found.ok()) return stop(std::move(found).error());
  for (uint64_t pos = *found; pos < source.size();) {
    auto header = header_at(source, pos);
    if (!header.ok()) return stop(std::move(header).error());
    if (header->base_offset >= cursor.high_watermark) return false;
    const uint64_t total = header->total_bytes();
    if (info.batches > 0 && cursor.out.size() + total > cursor.max_bytes) return false;
    const size_t old_size = cursor.out.size();
    cursor.out.resize(old_size + total);
    std::span<std::byte> batch(cursor.out.data() + old_size, total);
    // The CRC guards what comes from the file; the tail chunks hold batches the log appended
    // (checked on the way in, or made by sluice) or checked at recovery, so a batch copied
    // whole from them is not checked again (16 KiB cost about 1.5 us of a single-event query).
    const uint64_t file_bytes_before = source.file_bytes();
    auto copied = source.read(pos, batch);
    const bool from_file = source.file_bytes() != file_bytes_before;
    if (!copied.ok() || (from_file && !batch_crc_ok(batch))) {
      cursor.out.resize(old_size);
      if (!copied.ok()) return stop(std::move(copied).error());
      return stop(
          corrupt_at(source.view(), pos,
                     "batch at offset " + std::to_string(header->base_offset) + " failed its CRC"));
    }
    if (info.batches == 0) info.first_offset = header->base_offset;
    info.next_offset = header->last_offset() + 1;
    ++info.batches;
    cursor.want = info.next_offset;
    pos += total;
    if (cursor.out.size() >= cursor.max_bytes) return false;
  }
  return true;
}

int64_t LogReader::high_watermark() const {
  // Acquire: the batches below it, their segment views and the segment set are visible.
  return shared_->high_watermark.load(std::memory_order_acquire);
}

int64_t LogReader::start_offset() const {
  // Acquire: pairs with retention's release before it removes segments.
  return shared_->start_offset.load(std::memory_order_acquire);
}

int64_t LogReader::last_append_time_ms() const {
  return shared_->last_append_time_ms.load(std::memory_order_relaxed);
}

uint64_t LogReader::size_bytes() const {
  return shared_->size_bytes.load(std::memory_order_relaxed);
}

bool LogReader::closed() const {
  // Acquire: pairs with the closing log's store; a reader that misses it still reads safely.
  return shared_->closed.load(std::memory_order_acquire);
}

const std::string& LogReader::dir() const {
  return shared_->dir;
}

const std::atomic<int64_t>& LogReader::high_watermark_atomic() const {
  return shared_->high_watermark;
}

}  // namespace sluice::partitions
