// libFuzzer target: bytes that claim to be record batches (magic 2), as a produce request
// carries them and as a segment file holds them.
//
// 1. The whole input as one batch: decode_batch_header, validate_batch (as the log accepts a
//    produced batch) and decode_records must fail cleanly or succeed; what they accept must be
//    consistent (a valid batch's header is the decoded header, decoded records number
//    record_count and lie inside the batch). A compressed batch goes through decompress()
//    (gzip, snappy raw and xerial, lz4 frame, zstd) and the records walk of its output: it must
//    fail cleanly (corruption, too_large) or give record_count records inside the scratch
//    buffer. The input's records section is also decompressed as each codec, whatever the
//    attributes say, so that every decoder sees every input.
// 2. The input as a segment file, walked as a read walks it (batch_walk.h): header_at from the
//    start, batch after batch, each batch read back whole and checked; then find_batch for the
//    offsets found, with the segment's sparse index built from the walk. The walk runs twice:
//    every byte read from the file, and with a tail chunk holding a part of the file in memory.
//    Both must see the same batches and find the same positions.
//
// Build and run: see tests/fuzz/CMakeLists.txt.
#include "io/memory_file_system.h"
#include "partitions/batch_walk.h"
#include "partitions/chunk_slots.h"
#include "partitions/compression.h"
#include "partitions/offset_index.h"
#include "partitions/record_batch.h"
#include "partitions/segment_source.h"
#include "partitions/segment_view.h"
#include "partitions/time_index.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace sluice::partitions {
namespace {

constexpr uint32_t kChunkBytes = 1024;
constexpr uint32_t kIndexIntervalBytes = 128;
constexpr size_t kMaxBatches = 4096;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "record_batch_fuzz: %s\n", what);
  std::abort();
}

void check(bool condition, const char* what) {
  if (!condition) fail(what);
}

bool same_header(const BatchHeader& a, const BatchHeader& b) {
  return a.base_offset == b.base_offset && a.batch_length == b.batch_length &&
         a.partition_leader_epoch == b.partition_leader_epoch && a.magic == b.magic &&
         a.crc == b.crc && a.attributes == b.attributes &&
         a.last_offset_delta == b.last_offset_delta && a.base_timestamp == b.base_timestamp &&
         a.max_timestamp == b.max_timestamp && a.producer_id == b.producer_id &&
         a.producer_epoch == b.producer_epoch && a.base_sequence == b.base_sequence &&
         a.record_count == b.record_count;
}

bool within(std::span<const std::byte> inner, std::span<const std::byte> outer) {
  return inner.empty() || (inner.data() >= outer.data() &&
                           inner.data() + inner.size() <= outer.data() + outer.size());
}

int64_t wrapping_add(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

// A bound well below kMaxDecompressedBatchBytes keeps each run fast; the limit logic is the
// same at any size.
constexpr size_t kFuzzMaxOut = 1 << 20;

// Part 1b: the compressed path. decode_records with a scratch buffer for the batch as it is,
// and decompress() of its records section with every codec.
void check_compressed(std::span<const std::byte> batch, const BatchHeader& header) {
  std::vector<std::byte> scratch;
  auto records = decode_records(batch, scratch);
  if (records.ok()) {
    check(records->size() == static_cast<size_t>(header.record_count),
          "decoded records of a compressed batch do not number record_count");
    const auto whole = header.compression() == Compression::none
                           ? batch.first(static_cast<size_t>(header.total_bytes()))
                           : std::span<const std::byte>(scratch);
    for (const RecordView& r : *records) {
      check(!r.key || within(*r.key, whole), "a record key outside its records");
      check(!r.value || within(*r.value, whole), "a record value outside its records");
    }
  } else {
    check(records.code() == Errc::corruption || records.code() == Errc::too_large ||
              records.code() == Errc::unsupported,
          "decode_records failed with an unexpected code");
  }
  if (batch.size() <= kBatchHeaderBytes) return;
  const auto section = batch.subspan(kBatchHeaderBytes);
  for (Compression codec :
       {Compression::gzip, Compression::snappy, Compression::lz4, Compression::zstd}) {
    std::vector<std::byte> out;
    auto n = decompress(codec, section, kFuzzMaxOut, out);
    if (n.ok()) {
      check(*n == out.size() && *n <= kFuzzMaxOut, "decompress returned a wrong size");
    } else {
      check(n.code() == Errc::corruption || n.code() == Errc::too_large,
            "decompress failed with an unexpected code");
    }
  }
}

// Part 1: one batch, as a produce request carries it.
void check_batch(std::span<const std::byte> batch) {
  auto header = decode_batch_header(batch);
  auto valid = validate_batch(batch);
  if (valid.ok()) {
    check(header.ok(), "a valid batch whose header does not decode");
    check(same_header(*valid, *header), "validate_batch and decode_batch_header disagree");
    check(valid->total_bytes() == batch.size(), "a valid batch of the wrong size");
    check(valid->record_count > 0, "a valid batch without records");
    check(batch_crc_ok(batch), "a valid batch whose CRC fails");
  }
  if (!header.ok()) return;
  check_compressed(batch, *header);
  auto records = decode_records(batch);
  if (!records.ok()) return;
  check(header->compression() == Compression::none, "records decoded from a compressed batch");
  check(records->size() == static_cast<size_t>(header->record_count),
        "decoded records do not number record_count");
  const auto whole = batch.first(static_cast<size_t>(header->total_bytes()));
  for (const RecordView& r : *records) {
    check(!r.key || within(*r.key, whole), "a record key outside its batch");
    check(!r.value || within(*r.value, whole), "a record value outside its batch");
    for (const RecordHeaderView& h : r.headers) {
      check(within(std::as_bytes(std::span(h.key.data(), h.key.size())), whole),
            "a header key outside its batch");
      check(!h.value || within(*h.value, whole), "a header value outside its batch");
    }
  }
}

struct Walked {
  uint64_t position = 0;
  BatchHeader header;
};

struct WalkResult {
  std::vector<Walked> batches;
  std::optional<std::string> stop;  // why the walk stopped before the end, if it did
};

// Walks the segment from its start as a reader does, checking each whole batch.
WalkResult walk(SegmentSource& source) {
  WalkResult result;
  uint64_t pos = 0;
  std::vector<std::byte> batch;
  while (pos < source.size() && result.batches.size() < kMaxBatches) {
    auto header = header_at(source, pos);
    if (!header.ok()) {
      result.stop = header.error().message();
      break;
    }
    check(header->total_bytes() <= source.size() - pos, "header_at let a batch run past the end");
    batch.resize(static_cast<size_t>(header->total_bytes()));
    auto read = source.read(pos, batch);
    check(read.ok(), "a read of published bytes failed");
    auto again = decode_batch_header(batch);
    check(again.ok() && same_header(*again, *header), "a batch read back differs from its header");
    check_batch(batch);
    result.batches.push_back({pos, *header});
    pos += header->total_bytes();
  }
  return result;
}

// The segment's sparse index and time index as the log would have built them: only the first
// batches, as long as each starts after the last offset of the one before (the log assigns the
// offsets, so its batches never overlap). Returns how many.
size_t build_indexes(const std::vector<Walked>& batches, OffsetIndex& offsets, TimeIndex& times,
                     int64_t* next_offset) {
  size_t indexed = 0;
  int64_t next = offsets.base_offset();
  for (const Walked& w : batches) {
    const int64_t base = w.header.base_offset;
    if (base < next) break;
    if (static_cast<uint64_t>(base - offsets.base_offset()) > std::numeric_limits<uint32_t>::max())
      break;
    const int64_t last = wrapping_add(base, w.header.last_offset_delta);
    if (last < base || last == std::numeric_limits<int64_t>::max()) break;
    offsets.on_batch(base, w.position, w.header.total_bytes());
    times.on_batch(base, w.header.max_timestamp, w.header.total_bytes());
    next = last + 1;
    *next_offset = next;
    ++indexed;
  }
  return indexed;
}

// A tail chunk's dense index as the log builds it: the first indexed batch that starts in the
// chunk, then one at least kChunkIndexIntervalBytes after the previous entry.
std::vector<ChunkIndexEntry> chunk_index(std::span<const Walked> indexed, uint64_t chunk_pos,
                                         uint32_t capacity) {
  std::vector<ChunkIndexEntry> entries;
  for (const Walked& w : indexed) {
    if (w.position < chunk_pos || w.position - chunk_pos >= kChunkBytes) continue;
    if (entries.size() == capacity) break;
    if (entries.empty() || w.position - entries.back().position >= kChunkIndexIntervalBytes)
      entries.push_back({w.header.base_offset, w.position});
  }
  return entries;
}

struct Found {
  bool ok = false;
  uint64_t position = 0;
  friend bool operator==(const Found&, const Found&) = default;
};

Found find(const ChunkSlots& slots, const SegmentView& view, uint64_t size, int64_t offset) {
  SegmentSource source(slots, view, size);
  auto pos = find_batch(source, offset);
  if (!pos.ok()) return {};
  auto header = header_at(source, *pos);
  check(header.ok(), "find_batch returned a position without a batch");
  check(wrapping_add(header->base_offset, header->last_offset_delta) >= offset,
        "find_batch returned a batch that ends before the offset");
  return {true, *pos};
}

void check_segment(std::span<const std::byte> data) {
  static io::MemoryFileSystem fs;
  static std::atomic<int32_t> open_files{0};
  const std::string path = "/segment.log";
  {
    auto file = fs.open(path, {.create = true, .writable = true});
    check(file.ok(), "cannot create the segment file");
    check(fs.write(*file, 0, data).ok(), "cannot write the segment file");
    check(fs.close(*file).ok(), "cannot close the segment file");
  }
  auto handle = fs.open(path, {});
  check(handle.ok(), "cannot open the segment file");
  const uint64_t size = data.size();

  // The segment's base offset: its first batch's, as the log names segments.
  int64_t base = 0;
  if (auto first = decode_batch_header(data); first.ok() && first->base_offset >= 0)
    base = first->base_offset;
  {
    SegmentView view(base, path, std::make_shared<SegmentFile>(fs, *handle, open_files));

    // Walk 1: no chunk, every byte from the file (the view is not published yet: the walk
    // itself is what recovery and the first reader do).
    ChunkSlots empty(1, kChunkBytes);
    SegmentSource from_file(empty, view, size);
    WalkResult file_walk = walk(from_file);

    OffsetIndex offsets(base, kIndexIntervalBytes);
    TimeIndex times(base, kIndexIntervalBytes);
    int64_t next_offset = base;
    const size_t indexed = build_indexes(file_walk.batches, offsets, times, &next_offset);
    view.publish(offsets, times, size, next_offset);

    // Walk 2: a tail chunk holds the file's bytes from a third of the way in.
    ChunkSlots tail(1, kChunkBytes);
    std::vector<std::byte> chunk(kChunkBytes);
    const uint64_t chunk_pos = size / 3;
    if (size > chunk_pos) {
      std::memcpy(chunk.data(), data.data() + chunk_pos,
                  std::min<uint64_t>(kChunkBytes, size - chunk_pos));
    }
    std::vector<ChunkIndexEntry> dense =
        chunk_index(std::span(file_walk.batches).first(indexed), chunk_pos, tail.index_capacity());
    ChunkSlot& slot = tail.slot(0);
    slot.segment_base.store(base);
    slot.file_pos.store(chunk_pos);
    slot.data.store(chunk.data());
    slot.index.store(dense.data());
    slot.index_count.store(static_cast<uint32_t>(dense.size()));
    slot.generation.store(1);  // odd: published
    SegmentSource with_chunk(tail, view, size);
    WalkResult chunk_walk = walk(with_chunk);
    check(chunk_walk.batches.size() == file_walk.batches.size(),
          "the walks from the file and through a chunk see different batches");
    for (size_t i = 0; i < file_walk.batches.size(); ++i) {
      check(file_walk.batches[i].position == chunk_walk.batches[i].position &&
                same_header(file_walk.batches[i].header, chunk_walk.batches[i].header),
            "the walks from the file and through a chunk disagree on a batch");
    }
    check(file_walk.stop.has_value() == chunk_walk.stop.has_value(),
          "the walks from the file and through a chunk stop differently");

    // find_batch for the first and last offset of every batch, and around them. Where the
    // segment is as the log writes it (the indexed batches), both sources find the batch that
    // holds the offset; past that, they only must not crash.
    size_t probes = 0;
    for (size_t i = 0; i < file_walk.batches.size() && probes < 256; ++i) {
      const Walked& w = file_walk.batches[i];
      const int64_t first = w.header.base_offset;
      const int64_t last = wrapping_add(first, w.header.last_offset_delta);
      for (int64_t offset : {first, last, wrapping_add(first, -1), wrapping_add(last, 1)}) {
        ++probes;
        Found a = find(empty, view, size, offset);
        Found b = find(tail, view, size, offset);
        if (i >= indexed) continue;
        check(a == b, "find_batch from the file and through a chunk disagree");
        if (offset == first || offset == last) {
          check(a.ok && a.position == w.position, "find_batch missed the batch holding an offset");
        }
      }
    }
    slot.generation.store(2);  // the chunk goes before its memory
  }
  check(fs.remove_file(path).ok(), "cannot remove the segment file");
}

}  // namespace
}  // namespace sluice::partitions

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  sluice::partitions::check_batch(bytes);
  sluice::partitions::check_segment(bytes);
  return 0;
}
