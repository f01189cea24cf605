// sluice log verify --data-dir <dir>: checks every partition under <dir> the way recovery
// does, changing nothing: files are opened read-only and no PartitionLog is opened (opening
// one would repair). Every segment is scanned with CRCs, and each segment must start where the
// one before it ends.
//
// A torn tail in a partition's last segment (what a crash mid-write leaves, which recovery cuts)
// is reported but is no error; damage with a valid batch after it is corruption, as is damage
// in any other segment (zero-filled padding is fine) and an offset gap or overlap.
#include "io/uring_file_system.h"
#include "tools/sluice/cli_args.h"
#include "tools/sluice/commands.h"
#include "tools/sluice/partition_files.h"
#include "tools/sluice/tail_probe.h"

#include <cinttypes>
#include <cstdio>

namespace sluice::cli {
namespace {

using partitions::ScanResult;
using partitions::ScanStop;

constexpr const char* kUsage = "usage: sluice log verify --data-dir <dir>\n";

struct Totals {
  uint64_t partitions = 0;
  uint64_t batches = 0;
  uint64_t records = 0;
  uint64_t truncate_bytes = 0;
  uint64_t errors = 0;
};

// One partition's state while its segments are checked in order.
struct PartitionCheck {
  const std::string& dir;
  Totals& totals;
  int64_t expected_base = -1;  // where the next segment must start (-1: first, or unknown)
  uint64_t errors = 0;
  bool torn_tail = false;

  void error(const std::string& what) {
    std::printf("%s: ERROR %s\n", dir.c_str(), what.c_str());
    ++errors;
    ++totals.errors;
  }
};

std::string at(const SegmentFile& segment, const ScanResult& scan) {
  return "offset " + std::to_string(scan.next_offset) + " (" + segment.name + " position " +
         std::to_string(scan.valid_bytes) + ")";
}

void check_continuity(PartitionCheck& check, const SegmentFile& segment) {
  const int64_t expected = check.expected_base;
  if (expected < 0 || segment.base_offset == expected) return;
  if (segment.base_offset > expected) {
    check.error("offset gap: offsets " + std::to_string(expected) + ".." +
                std::to_string(segment.base_offset - 1) + " are missing before " + segment.name);
  } else {
    check.error("offset overlap: " + segment.name + " starts at offset " +
                std::to_string(segment.base_offset) + " but the segment before it ends at " +
                std::to_string(expected - 1));
  }
}

// Damage in the last segment: a torn tail unless a valid batch follows it.
Result<void> judge_last_damage(io::FileSystem& fs, PartitionCheck& check,
                               const SegmentFile& segment, const ReadOnlyFile& file,
                               const ScanResult& scan) {
  auto probe = probe_tail(fs, file.handle(), file.size(), scan, recovery_scan_options());
  if (!probe.ok()) return Error(probe.code(), segment.path + ": " + probe.error().message());
  const std::string why = std::string(partitions::scan_stop_name(scan.stop)) + ": " + scan.detail;
  if (probe->valid_batch_position) {
    check.error("corruption at " + at(segment, scan) + ", before the tail: " + why +
                "; a valid batch follows at position " +
                std::to_string(*probe->valid_batch_position) + " (offset " +
                std::to_string(probe->valid_batch_offset) + ")");
    return {};
  }
  check.torn_tail = true;
  check.totals.truncate_bytes += probe->damaged_bytes;
  std::printf("%s: torn tail at %s, which recovery would truncate (%" PRIu64 " bytes): %s\n",
              check.dir.c_str(), at(segment, scan).c_str(), probe->damaged_bytes, why.c_str());
  return {};
}

Result<void> verify_segment(io::FileSystem& fs, PartitionCheck& check, const SegmentFile& segment,
                            bool last) {
  check_continuity(check, segment);
  auto file = ReadOnlyFile::open(fs, segment.path);
  if (!file.ok()) return std::move(file).error();
  auto scan = partitions::scan_segment(fs, file->handle(), file->size(), segment.base_offset,
                                       recovery_scan_options());
  if (!scan.ok()) return Error(scan.code(), segment.path + ": " + scan.error().message());
  check.totals.batches += scan->batches;
  check.totals.records += scan->records;
  check.expected_base = scan->next_offset;
  if (!scan->damaged()) return {};
  const std::string why = std::string(partitions::scan_stop_name(scan->stop)) + ": " + scan->detail;
  if (!last) {
    check.error("damage in " + segment.name + ", which is not the last segment, at " +
                at(segment, *scan) + ": " + why);
    check.expected_base = -1;  // the next segment's start cannot be judged after damage
  } else if (scan->stop == ScanStop::offset_gap) {
    check.error("offset gap inside " + segment.name + " at " + at(segment, *scan) + ": " + why);
  } else {
    SLUICE_TRY(judge_last_damage(fs, check, segment, *file, *scan));
  }
  return {};
}

Result<void> verify_partition(io::FileSystem& fs, const std::string& dir, Totals& totals) {
  auto segments = list_segment_files(fs, dir);
  if (!segments.ok()) return std::move(segments).error();
  PartitionCheck check{dir, totals};
  const uint64_t batches_before = totals.batches;
  const uint64_t records_before = totals.records;
  for (size_t i = 0; i < segments->size(); ++i) {
    SLUICE_TRY(verify_segment(fs, check, (*segments)[i], i + 1 == segments->size()));
  }
  ++totals.partitions;
  if (check.errors == 0) {
    std::printf("%s: ok%s: %zu segments, offsets from %" PRId64 ", next %" PRId64 ", %" PRIu64
                " batches, %" PRIu64 " records\n",
                dir.c_str(), check.torn_tail ? " (torn tail)" : "", segments->size(),
                segments->front().base_offset, check.expected_base, totals.batches - batches_before,
                totals.records - records_before);
  }
  return {};
}

int fail_io(const Error& error) {
  std::fflush(stdout);
  std::fprintf(stderr, "sluice log verify: %s\n", error.to_string().c_str());
  return kExitUsage;
}

}  // namespace

int run_log_verify(std::span<const std::string> words) {
  auto args = Flags::parse(words);
  if (!args.ok()) return usage_error("log verify", args.error().message(), kUsage);
  auto data_dir = args->text("data-dir");
  if (auto unknown = args->first_unknown()) {
    return usage_error("log verify", "unknown option " + *unknown, kUsage);
  }
  if (!data_dir || data_dir->empty())
    return usage_error("log verify", "--data-dir is required", kUsage);
  if (!args->positionals().empty()) {
    return usage_error("log verify", "unexpected argument '" + args->positionals()[0] + "'",
                       kUsage);
  }
  auto fs = io::make_uring_file_system();
  if (!fs.ok()) return fail_io(fs.error());
  auto dirs = find_partition_dirs(**fs, *data_dir);
  if (!dirs.ok()) return fail_io(dirs.error());
  Totals totals;
  for (const std::string& dir : *dirs) {
    if (auto verified = verify_partition(**fs, dir, totals); !verified.ok()) {
      return fail_io(verified.error());
    }
  }
  std::printf("verified %" PRIu64 " partitions: %" PRIu64 " batches, %" PRIu64 " records, %" PRIu64
              " bytes a recovery would truncate, %" PRIu64 " errors\n",
              totals.partitions, totals.batches, totals.records, totals.truncate_bytes,
              totals.errors);
  return totals.errors == 0 ? kExitOk : kExitFailed;
}

}  // namespace sluice::cli
