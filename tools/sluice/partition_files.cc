#include "tools/sluice/partition_files.h"

#include "partitions/segment_files.h"

#include <algorithm>

namespace sluice::cli {

Result<std::vector<SegmentFile>> list_segment_files(io::FileSystem& fs, const std::string& dir) {
  auto is_dir = fs.is_directory(dir);
  if (!is_dir.ok()) return std::move(is_dir).error();
  if (!*is_dir) return Error(Errc::not_found, dir + ": no such directory");
  auto names = fs.list_directory(dir);
  if (!names.ok()) return std::move(names).error();
  std::vector<SegmentFile> segments;
  for (const std::string& name : *names) {
    auto base = partitions::parse_segment_file_name(name, partitions::kLogExtension);
    if (base) segments.push_back({*base, name, dir + "/" + name});
  }
  // Names are zero-padded, but sort by the number so that order never depends on that.
  std::sort(segments.begin(), segments.end(), [](const SegmentFile& a, const SegmentFile& b) {
    return a.base_offset < b.base_offset;
  });
  return segments;
}

namespace {

constexpr int kMaxDepth = 32;

Result<void> collect_partitions(io::FileSystem& fs, const std::string& dir, int depth,
                                std::vector<std::string>& out) {
  auto names = fs.list_directory(dir);
  if (!names.ok()) return std::move(names).error();
  bool has_segment = false;
  for (const std::string& name : *names) {
    if (partitions::parse_segment_file_name(name, partitions::kLogExtension)) {
      has_segment = true;
      continue;
    }
    if (depth >= kMaxDepth) continue;
    const std::string path = dir + "/" + name;
    auto is_dir = fs.is_directory(path);
    if (!is_dir.ok()) return std::move(is_dir).error();
    if (*is_dir) SLUICE_TRY(collect_partitions(fs, path, depth + 1, out));
  }
  if (has_segment) out.push_back(dir);
  return {};
}

}  // namespace

Result<std::vector<std::string>> find_partition_dirs(io::FileSystem& fs, const std::string& root) {
  auto is_dir = fs.is_directory(root);
  if (!is_dir.ok()) return std::move(is_dir).error();
  if (!*is_dir) return Error(Errc::not_found, root + ": no such directory");
  std::vector<std::string> dirs;
  SLUICE_TRY(collect_partitions(fs, root, 0, dirs));
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

Result<ReadOnlyFile> ReadOnlyFile::open(io::FileSystem& fs, const std::string& path) {
  auto handle = fs.open(path, io::OpenOptions{});  // read-only, buffered: never changes a byte
  if (!handle.ok()) return Error(handle.code(), path + ": " + handle.error().message());
  auto size = fs.size(*handle);
  if (!size.ok()) {
    (void)fs.close(*handle);
    return Error(size.code(), path + ": " + size.error().message());
  }
  return ReadOnlyFile(fs, *handle, *size);
}

ReadOnlyFile::ReadOnlyFile(ReadOnlyFile&& other) noexcept
    : fs_(other.fs_), handle_(other.handle_), size_(other.size_) {
  other.handle_ = {};
}

ReadOnlyFile::~ReadOnlyFile() {
  if (handle_.valid()) (void)fs_->close(handle_);
}

partitions::ScanOptions recovery_scan_options() {
  partitions::ScanOptions options;
  options.verify_crc = true;
  options.max_batch_bytes = 64u << 20;
  return options;
}

}  // namespace sluice::cli
