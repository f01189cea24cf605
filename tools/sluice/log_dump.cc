// sluice log dump <partition dir>: every batch of every segment, in base-offset order, as the
// recovery scan sees it. A segment's listing stops at its first damaged batch, saying why.
// Dump only reports: it exits 0 even when it shows damage (`log verify` judges).
#include "io/uring_file_system.h"
#include "tools/sluice/cli_args.h"
#include "tools/sluice/commands.h"
#include "tools/sluice/partition_files.h"

#include <cinttypes>
#include <cstdio>
#include <vector>

namespace sluice::cli {
namespace {

using partitions::BatchHeader;
using partitions::ScanResult;
using partitions::ScanStop;

constexpr const char* kUsage = "usage: sluice log dump <partition dir>\n";

void print_batch(uint64_t position, const BatchHeader& h, bool crc_ok) {
  // The codec as the batch's attributes name it; the log stores compressed batches as they
  // came, and readers decompress them (partitions/compression.h).
  const std::string_view codec = partitions::compression_name(h.compression());
  std::printf("  position=%" PRIu64 " base_offset=%" PRId64 " last_offset=%" PRId64
              " records=%d first_timestamp=%" PRId64 " max_timestamp=%" PRId64 " bytes=%" PRIu64
              " compression=%.*s crc=%s\n",
              position, h.base_offset, h.last_offset(), h.record_count, h.base_timestamp,
              h.max_timestamp, h.total_bytes(), static_cast<int>(codec.size()), codec.data(),
              crc_ok ? "ok" : "BAD");
}

// The batch the scan stopped on, when its header still decodes: shown with its CRC state.
void print_stopped_batch(io::FileSystem& fs, const ReadOnlyFile& file, const ScanResult& scan) {
  if (scan.stop != ScanStop::crc_mismatch && scan.stop != ScanStop::offset_gap) return;
  std::vector<std::byte> head(partitions::kBatchHeaderBytes);
  auto got = fs.read(file.handle(), scan.valid_bytes, head);
  if (!got.ok() || *got != head.size()) return;
  auto header = partitions::decode_batch_header(head);
  if (header.ok()) print_batch(scan.valid_bytes, *header, scan.stop != ScanStop::crc_mismatch);
}

Result<void> dump_segment(io::FileSystem& fs, const SegmentFile& segment) {
  auto file = ReadOnlyFile::open(fs, segment.path);
  if (!file.ok()) return std::move(file).error();
  std::printf("segment %s: %" PRIu64 " bytes, base offset %" PRId64 "\n", segment.name.c_str(),
              file->size(), segment.base_offset);
  auto scan =
      partitions::scan_segment(fs, file->handle(), file->size(), segment.base_offset,
                               recovery_scan_options(), [](const partitions::ScannedBatch& batch) {
                                 print_batch(batch.position, batch.header, true);
                               });
  if (!scan.ok()) return Error(scan.code(), segment.path + ": " + scan.error().message());
  if (scan->damaged()) {
    print_stopped_batch(fs, *file, *scan);
    std::printf("  STOPPED at position %" PRIu64 " (offset %" PRId64 "): %s: %s\n",
                scan->valid_bytes, scan->next_offset, partitions::scan_stop_name(scan->stop),
                scan->detail.c_str());
  } else {
    std::printf("  end: %s at position %" PRIu64 ", next offset %" PRId64 "\n",
                partitions::scan_stop_name(scan->stop), scan->valid_bytes, scan->next_offset);
  }
  std::printf("  %" PRIu64 " batches, %" PRIu64 " records\n", scan->batches, scan->records);
  return {};
}

}  // namespace

int run_log_dump(std::span<const std::string> words) {
  auto args = Flags::parse(words);
  if (!args.ok()) return usage_error("log dump", args.error().message(), kUsage);
  if (auto unknown = args->first_unknown()) {
    return usage_error("log dump", "unknown option " + *unknown, kUsage);
  }
  if (args->positionals().size() != 1) {
    return usage_error("log dump", "expected one partition directory", kUsage);
  }
  const std::string& dir = args->positionals()[0];
  auto fs = io::make_uring_file_system();
  if (!fs.ok()) {
    std::fprintf(stderr, "sluice log dump: %s\n", fs.error().to_string().c_str());
    return kExitUsage;
  }
  auto segments = list_segment_files(**fs, dir);
  if (segments.ok() && segments->empty()) {
    segments =
        Error(Errc::not_found, dir + ": not a partition directory (no <20 digits>.log file)");
  }
  if (!segments.ok()) {
    std::fprintf(stderr, "sluice log dump: %s\n", segments.error().to_string().c_str());
    return kExitUsage;
  }
  for (const SegmentFile& segment : *segments) {
    if (auto dumped = dump_segment(**fs, segment); !dumped.ok()) {
      std::fflush(stdout);
      std::fprintf(stderr, "sluice log dump: %s\n", dumped.error().to_string().c_str());
      return kExitUsage;
    }
  }
  return kExitOk;
}

}  // namespace sluice::cli
