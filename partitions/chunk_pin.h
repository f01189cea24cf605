// ChunkPin: a reader's hold on one tail chunk (the reader side of the protocol in
// chunk_slots.h). While a ChunkPin holds a slot, the owner neither reuses its memory nor
// rewrites its published bytes; the reader copies bytes below the published end it loads after
// pinning.
//
// Thread-safety: one ChunkPin per read, on the reading thread; any number of them at once.
#pragma once

#include "partitions/chunk_slots.h"

#include <cstdint>
#include <limits>

namespace sluice::partitions {

class ChunkPin {
 public:
  explicit ChunkPin(const ChunkSlots& slots) : slots_(slots) {}
  ~ChunkPin() { release(); }
  ChunkPin(const ChunkPin&) = delete;
  ChunkPin& operator=(const ChunkPin&) = delete;

  // Holds the chunk with byte `pos` of the segment whose base offset is `segment_base`, keeping
  // the current pin when it is that chunk. False (holding nothing) when no chunk holds it.
  bool hold(int64_t segment_base, uint64_t pos);
  void release();

  bool held() const { return slot_ != kNone; }
  // The held chunk's memory and the file position of its first byte.
  const std::byte* data() const { return data_; }
  uint64_t file_pos() const { return file_pos_; }
  uint64_t end() const { return file_pos_ + slots_.chunk_bytes(); }
  // The held chunk's index entry for the last batch whose base offset is <= offset (position 0
  // when it has none).
  ChunkIndexEntry index_lookup(int64_t offset) const;

  // The lowest file position above `pos` where a chunk of the segment starts (max when none).
  // A hint: bytes of the segment below it that no chunk holds are in the file.
  uint64_t next_chunk_after(int64_t segment_base, uint64_t pos) const;

 private:
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
  bool describes(uint32_t i, int64_t segment_base, uint64_t pos) const;
  bool try_pin(uint32_t i, int64_t segment_base, uint64_t pos);

  const ChunkSlots& slots_;
  uint32_t slot_ = kNone;
  int64_t segment_base_ = -1;
  uint64_t file_pos_ = 0;
  const std::byte* data_ = nullptr;
};

}  // namespace sluice::partitions
