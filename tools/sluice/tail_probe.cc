#include "tools/sluice/tail_probe.h"

#include "partitions/record_batch.h"

#include <algorithm>
#include <vector>

namespace sluice::cli {
namespace {

using partitions::BatchHeader;
using partitions::kBatchHeaderBytes;

constexpr uint64_t kWindowBytes = 1u << 20;
// A base offset further than this past the stop point is taken for noise, not a batch.
constexpr int64_t kMaxOffsetJump = int64_t{1} << 40;

int64_t load_be64(const std::byte* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v = (v << 8) | static_cast<uint8_t>(p[i]);
  return static_cast<int64_t>(v);
}

class Prober {
 public:
  Prober(io::FileSystem& fs, io::FileHandle file, uint64_t file_bytes,
         const partitions::ScanResult& scan, const partitions::ScanOptions& options)
      : fs_(fs), file_(file), file_bytes_(file_bytes), scan_(scan), options_(options) {}

  Result<TailProbe> run() {
    const uint64_t stop = scan_.valid_bytes;
    // The damaged batch's own length, when its header still decodes, says where the next
    // batch would start: the cheapest and most likely place to find one.
    Result<uint64_t> next = claimed_next(stop);
    if (!next.ok()) return std::move(next).error();
    if (*next > stop) {
      Result<bool> found = check_candidate(*next);
      if (!found.ok()) return std::move(found).error();
    }
    return search(stop);
  }

 private:
  // Where the next batch would start after the one at `stop`, or `stop` when unknown.
  Result<uint64_t> claimed_next(uint64_t stop) {
    if (file_bytes_ - stop < kBatchHeaderBytes) return stop;
    std::vector<std::byte> head(kBatchHeaderBytes);
    auto got = fs_.read(file_, stop, head);
    if (!got.ok()) return std::move(got).error();
    auto header = partitions::decode_batch_header(head);
    if (!header.ok() || header->total_bytes() > file_bytes_ - stop) return stop;
    return stop + header->total_bytes();
  }

  // Records a valid batch at `position`, when there is one; true when there is.
  Result<bool> check_candidate(uint64_t position) {
    if (probe_.valid_batch_position || file_bytes_ - position < kBatchHeaderBytes) return false;
    std::vector<std::byte> bytes(kBatchHeaderBytes);
    auto got = fs_.read(file_, position, bytes);
    if (!got.ok()) return std::move(got).error();
    auto header = partitions::decode_batch_header(bytes);
    if (!header.ok() || !plausible(*header, position)) return false;
    bytes.resize(header->total_bytes());
    got = fs_.read(file_, position, bytes);
    if (!got.ok()) return std::move(got).error();
    if (*got != bytes.size() || !partitions::batch_crc_ok(bytes)) return false;
    probe_.valid_batch_position = position;
    probe_.valid_batch_offset = header->base_offset;
    return true;
  }

  bool plausible(const BatchHeader& header, uint64_t position) const {
    return header.base_offset >= scan_.next_offset &&
           header.base_offset - scan_.next_offset < kMaxOffsetJump && header.record_count > 0 &&
           static_cast<uint64_t>(header.batch_length) <= options_.max_batch_bytes &&
           header.total_bytes() <= file_bytes_ - position;
  }

  // A cheap test on raw bytes before decoding: magic 2 and a base offset in range.
  bool may_start_batch(const std::byte* p) const {
    if (static_cast<int8_t>(p[16]) != partitions::kMagicV2) return false;
    const int64_t base = load_be64(p);
    return base >= scan_.next_offset && base - scan_.next_offset < kMaxOffsetJump;
  }

  // Reads from `stop` to the end in windows: finds the last non-zero byte and, unless one was
  // found already, the first valid batch after `stop`. Windows overlap by a header less one
  // byte, so that every position with room for a header is tested inside one window.
  Result<TailProbe> search(uint64_t stop) {
    std::vector<std::byte> window;
    uint64_t last_nonzero_end = stop;
    for (uint64_t at = stop; at < file_bytes_;) {
      window.resize(std::min(kWindowBytes, file_bytes_ - at));
      auto got = fs_.read(file_, at, window);
      if (!got.ok()) return std::move(got).error();
      auto nonzero = std::find_if(window.rbegin(), window.rend(),
                                  [](std::byte b) { return b != std::byte{0}; });
      if (nonzero != window.rend()) {
        last_nonzero_end = at + static_cast<uint64_t>(window.rend() - nonzero);
        SLUICE_TRY(scan_window(window, at, stop));
      }
      const bool last = at + window.size() >= file_bytes_;
      at += last ? window.size() : window.size() - (kBatchHeaderBytes - 1);
    }
    probe_.damaged_bytes = last_nonzero_end - stop;
    return probe_;
  }

  Result<void> scan_window(const std::vector<std::byte>& window, uint64_t at, uint64_t stop) {
    if (probe_.valid_batch_position) return {};
    for (size_t i = 0; i + kBatchHeaderBytes <= window.size(); ++i) {
      if (at + i <= stop || !may_start_batch(&window[i])) continue;
      Result<bool> found = check_candidate(at + i);
      if (!found.ok()) return std::move(found).error();
      if (*found) return {};
    }
    return {};
  }

  io::FileSystem& fs_;
  io::FileHandle file_;
  uint64_t file_bytes_;
  const partitions::ScanResult& scan_;
  const partitions::ScanOptions& options_;
  TailProbe probe_;
};

}  // namespace

Result<TailProbe> probe_tail(io::FileSystem& fs, io::FileHandle file, uint64_t file_bytes,
                             const partitions::ScanResult& scan,
                             const partitions::ScanOptions& options) {
  return Prober(fs, file, file_bytes, scan, options).run();
}

}  // namespace sluice::cli
