// The files of partitions on disk, read without changing anything: the segments of one
// partition folder, the partition folders under a data directory, and a read-only scan of one
// segment with the same checks recovery makes (partitions/segment_scan.h).
//
// Thread-safety: uses only the FileSystem's synchronous calls.
#pragma once

#include "io/file_system.h"
#include "partitions/segment_scan.h"

#include <sluice/result.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace sluice::cli {

struct SegmentFile {
  int64_t base_offset = 0;
  std::string name;  // "00000000000000000042.log"
  std::string path;
};

// The "<20 digits>.log" files of `dir`, by base offset. Errc::not_found when `dir` is not a
// directory.
Result<std::vector<SegmentFile>> list_segment_files(io::FileSystem& fs, const std::string& dir);

// Every directory at or under `root` holding at least one segment file, sorted. Descends at
// most 32 levels, so that a symlink loop ends.
Result<std::vector<std::string>> find_partition_dirs(io::FileSystem& fs, const std::string& root);

// A file opened read-only, closed when this goes away.
class ReadOnlyFile {
 public:
  static Result<ReadOnlyFile> open(io::FileSystem& fs, const std::string& path);
  ReadOnlyFile(ReadOnlyFile&& other) noexcept;
  ReadOnlyFile& operator=(ReadOnlyFile&&) = delete;
  ~ReadOnlyFile();

  io::FileHandle handle() const { return handle_; }
  uint64_t size() const { return size_; }

 private:
  ReadOnlyFile(io::FileSystem& fs, io::FileHandle handle, uint64_t size)
      : fs_(&fs), handle_(handle), size_(size) {}
  io::FileSystem* fs_;
  io::FileHandle handle_;
  uint64_t size_;
};

// The scan options of recovery: CRCs checked, batches up to 64 MiB.
partitions::ScanOptions recovery_scan_options();

}  // namespace sluice::cli
