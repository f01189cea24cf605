#include "partitions/segment_scan.h"

#include "io/assert.h"

#include <algorithm>
#include <string>
#include <vector>

namespace sluice::partitions {

const char* scan_stop_name(ScanStop stop) {
  switch (stop) {
    case ScanStop::end_of_file:
      return "end_of_file";
    case ScanStop::zero_fill:
      return "zero_fill";
    case ScanStop::torn:
      return "torn";
    case ScanStop::bad_header:
      return "bad_header";
    case ScanStop::crc_mismatch:
      return "crc_mismatch";
    case ScanStop::offset_gap:
      return "offset_gap";
  }
  return "unknown";
}

namespace {

// A window of the file, read with synchronous calls of read_block_bytes (or more, when one
// batch is larger): the scan asks for byte ranges and reads only when they leave the window.
class BlockReader {
 public:
  BlockReader(io::FileSystem& fs, io::FileHandle file, uint64_t file_bytes, uint32_t block_bytes)
      : fs_(fs), file_(file), file_bytes_(file_bytes), block_bytes_(block_bytes) {
    SLUICE_ASSERT(block_bytes > 0);
  }

  // The bytes [position, position + length), which must lie inside the file.
  Result<std::span<const std::byte>> view(uint64_t position, uint64_t length) {
    SLUICE_ASSERT(position <= file_bytes_ && length <= file_bytes_ - position);
    const bool inside =
        position >= window_position_ && position + length <= window_position_ + window_.size();
    if (!inside) SLUICE_TRY(fill(position, length));
    return std::span<const std::byte>(window_).subspan(position - window_position_, length);
  }

 private:
  Result<void> fill(uint64_t position, uint64_t length) {
    const uint64_t wanted =
        std::min(std::max<uint64_t>(length, block_bytes_), file_bytes_ - position);
    window_.resize(wanted);  // keeps capacity: steady-state scanning reuses one buffer
    window_position_ = position;
    Result<uint64_t> got = fs_.read(file_, position, window_);
    if (!got.ok()) {
      window_.clear();
      return Error(got.code(), "segment scan: read of " + std::to_string(wanted) +
                                   " bytes at position " + std::to_string(position) +
                                   " failed: " + got.error().message());
    }
    if (*got != wanted) {
      // The caller said the file had file_bytes bytes; a shorter file is not ours to guess at.
      window_.clear();
      return Error(Errc::io_error, "segment scan: short read at position " +
                                       std::to_string(position) + ": " + std::to_string(*got) +
                                       " of " + std::to_string(wanted) + " bytes");
    }
    return {};
  }

  io::FileSystem& fs_;
  io::FileHandle file_;
  uint64_t file_bytes_;
  uint32_t block_bytes_;
  uint64_t window_position_ = 0;
  std::vector<std::byte> window_;
};

bool all_zero(std::span<const std::byte> bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::byte b) { return b == std::byte{0}; });
}

class Scanner {
 public:
  Scanner(io::FileSystem& fs, io::FileHandle file, uint64_t file_bytes, int64_t base_offset,
          const ScanOptions& options, const std::function<void(const ScannedBatch&)>& on_batch)
      : reader_(fs, file, file_bytes, options.read_block_bytes),
        options_(options),
        on_batch_(on_batch) {
    result_.file_bytes = file_bytes;
    result_.next_offset = base_offset;
  }

  Result<ScanResult> run() {
    while (true) {
      Result<bool> more = step();
      if (!more.ok()) return std::move(more).error();
      if (!*more) return std::move(result_);
    }
  }

 private:
  uint64_t position() const { return result_.valid_bytes; }
  uint64_t remaining() const { return result_.file_bytes - result_.valid_bytes; }

  std::string where() const {
    return "at position " + std::to_string(position()) + " (offset " +
           std::to_string(result_.next_offset) + ")";
  }

  bool stop(ScanStop why, std::string detail) {
    result_.stop = why;
    result_.detail = std::move(detail);
    return false;
  }

  // True when every byte from the current position to the end of the file is zero: space that
  // was preallocated or padded but never written, as opposed to a damaged batch.
  Result<bool> rest_is_zero() {
    for (uint64_t at = position(); at < result_.file_bytes;) {
      const uint64_t length =
          std::min<uint64_t>(options_.read_block_bytes, result_.file_bytes - at);
      Result<std::span<const std::byte>> bytes = reader_.view(at, length);
      if (!bytes.ok()) return std::move(bytes).error();
      if (!all_zero(*bytes)) return false;
      at += length;
    }
    return true;
  }

  // Handles the next batch; false when the scan stops there.
  Result<bool> step() {
    if (remaining() == 0) return stop(ScanStop::end_of_file, "");
    if (remaining() < kBatchHeaderBytes) return stop_short_tail();
    Result<std::span<const std::byte>> head = reader_.view(position(), kBatchHeaderBytes);
    if (!head.ok()) return std::move(head).error();
    Result<BatchHeader> header = decode_batch_header(*head);
    if (!header.ok()) return stop_bad_header(*head, header.error().message());
    if (static_cast<uint64_t>(header->batch_length) > options_.max_batch_bytes) {
      return stop_bad_header(*head, "batch_length " + std::to_string(header->batch_length) +
                                        " above the maximum " +
                                        std::to_string(options_.max_batch_bytes));
    }
    return check_batch(*header);
  }

  Result<bool> stop_short_tail() {
    Result<bool> zero = rest_is_zero();
    if (!zero.ok()) return std::move(zero).error();
    if (*zero) return stop(ScanStop::zero_fill, "");
    return stop(ScanStop::torn, "only " + std::to_string(remaining()) +
                                    " bytes, not all zero, remain " + where() +
                                    ": fewer than a batch header (61)");
  }

  Result<bool> stop_bad_header(std::span<const std::byte> head, const std::string& why) {
    // A zero base offset and batch_length is where written data ends and zeroes begin; only
    // then is the (possibly long) rest of the file worth reading.
    if (all_zero(head.first(kBatchLogOverhead))) {
      Result<bool> zero = rest_is_zero();
      if (!zero.ok()) return std::move(zero).error();
      if (*zero) return stop(ScanStop::zero_fill, "");
    }
    return stop(ScanStop::bad_header, "bad header " + where() + ": " + why);
  }

  Result<bool> check_batch(const BatchHeader& header) {
    const uint64_t total = header.total_bytes();
    if (total > remaining()) {
      return stop(ScanStop::torn, "batch " + where() + " needs " + std::to_string(total) +
                                      " bytes, only " + std::to_string(remaining()) + " remain");
    }
    Result<std::span<const std::byte>> batch = reader_.view(position(), total);
    if (!batch.ok()) return std::move(batch).error();
    if (options_.verify_crc && !batch_crc_ok(*batch)) {
      return stop(ScanStop::crc_mismatch, "crc mismatch in batch " + where());
    }
    if (header.base_offset != result_.next_offset) {
      return stop(ScanStop::offset_gap, "batch at position " + std::to_string(position()) +
                                            " has base offset " +
                                            std::to_string(header.base_offset) + ", expected " +
                                            std::to_string(result_.next_offset));
    }
    if (on_batch_) on_batch_(ScannedBatch{position(), header});
    result_.valid_bytes += total;
    result_.next_offset = header.last_offset() + 1;
    result_.batches += 1;
    result_.records += static_cast<uint64_t>(header.record_count);
    result_.max_timestamp = std::max(result_.max_timestamp, header.max_timestamp);
    return true;
  }

  BlockReader reader_;
  const ScanOptions& options_;
  const std::function<void(const ScannedBatch&)>& on_batch_;
  ScanResult result_;
};

}  // namespace

Result<ScanResult> scan_segment(io::FileSystem& fs, io::FileHandle file, uint64_t file_bytes,
                                int64_t base_offset, const ScanOptions& options,
                                const std::function<void(const ScannedBatch&)>& on_batch) {
  SLUICE_ASSERT(base_offset >= 0);
  return Scanner(fs, file, file_bytes, base_offset, options, on_batch).run();
}

}  // namespace sluice::partitions
