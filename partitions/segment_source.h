// SegmentSource: one read's access to the published bytes of one segment, from the tail chunks
// where a chunk holds them (pinning one chunk at a time) and from the segment file otherwise.
// File reads go through a small window, so that walking the batch headers between an index
// entry and the batch wanted costs one read of the file rather than one per header.
//
// Why the two sources agree: a published byte moves from a chunk to the file, never back. A
// chunk is recycled only after its bytes were written, and a new chunk only ever receives
// bytes not yet published. So a published byte that no chunk holds is in the file.
//
// Thread-safety: one SegmentSource per read, on the reading thread. It holds at most one chunk
// pin, released when it goes.
#pragma once

#include "partitions/chunk_pin.h"
#include "partitions/segment_view.h"

#include <sluice/result.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace sluice::partitions {

class SegmentSource {
 public:
  // `size` is the view's published size, loaded (acquire) after the high watermark.
  SegmentSource(const ChunkSlots& slots, const SegmentView& view, uint64_t size);

  uint64_t size() const { return size_; }
  const SegmentView& view() const { return view_; }
  // Copies bytes [pos, pos + out.size()), which lie below size(). Errc::corruption when the
  // file is short or the bytes are no longer published (a read that raced with the log
  // dropping its unwritten tail after a failed write).
  Result<void> read(uint64_t pos, std::span<std::byte> out);
  // Bytes that read() has copied from the file so far (the rest came from the tail chunks,
  // which hold only batches the log wrote or checked itself: a reader need not check their
  // CRCs again).
  uint64_t file_bytes() const { return file_bytes_; }
  // Where to walk batch headers from to find the batch holding `offset`, given `from`, a batch
  // start before it (from the segment's sparse index): a later one when the dense index of the
  // chunk holding `from`, or of the chunk after it, has one.
  uint64_t walk_start(int64_t offset, uint64_t from);

 private:
  static constexpr size_t kWindowBytes = 8192;
  // Copies from the held chunk what it holds of the range; returns the bytes copied.
  Result<size_t> read_chunk(uint64_t pos, std::span<std::byte> out);
  // Reads from the file what lies before the next chunk; returns the bytes copied.
  Result<size_t> read_file(uint64_t pos, std::span<std::byte> out);
  Error short_read(uint64_t pos) const;

  const SegmentView& view_;
  const uint64_t size_;
  ChunkPin pin_;
  uint64_t window_pos_ = 0;
  size_t window_bytes_ = 0;
  uint64_t file_bytes_ = 0;
  std::array<std::byte, kWindowBytes> window_;
};

}  // namespace sluice::partitions
