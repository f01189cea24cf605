// PartitionLog: opening, recovery, creating and sealing segments.
//
// Recovery trusts a sealed segment whose indexes are present and valid: its indexes are
// written only after its data was synced and truncated to its exact size. Every other segment
// (the active one, and one that was rolled but not sealed before a crash) is scanned batch by
// batch and cut at the first torn or corrupt batch; segments after a cut are removed, as their
// offsets would no longer follow.
#include "io/assert.h"
#include "io/logger.h"
#include "partitions/partition_log_impl.h"
#include "partitions/segment_files.h"
#include "partitions/segment_scan.h"

#include <algorithm>

namespace sluice::partitions {
namespace {

constexpr uint64_t kPage = io::kDirectIoAlignment;
// Segments are preallocated one page past segment_bytes. On ext4 an O_DIRECT write that ends
// exactly at the end of the file waits for the next journal commit (measured: 0.4-0.6 s, the
// time until the next roll forced one), and the last page of a full segment is such a write;
// with slack after it, it completes in milliseconds. Sealing truncates the slack away.
constexpr uint64_t kPreallocateSlack = kPage;

Result<std::vector<std::byte>> read_whole_file(io::FileSystem& fs, const std::string& path) {
  io::OpenOptions options;
  auto file = fs.open(path, options);
  if (!file.ok()) return std::move(file).error();
  auto size = fs.size(*file);
  std::vector<std::byte> bytes;
  if (size.ok()) {
    bytes.resize(*size);
    auto got = fs.read(*file, 0, bytes);
    if (!got.ok())
      size = std::move(got).error();
    else
      bytes.resize(*got);
  }
  (void)fs.close(*file);
  if (!size.ok()) return std::move(size).error();
  return bytes;
}

Result<void> write_whole_file(io::FileSystem& fs, const std::string& path,
                              std::span<const std::byte> bytes) {
  io::OpenOptions options;
  options.create = true;
  options.writable = true;
  auto file = fs.open(path, options);
  if (!file.ok()) return std::move(file).error();
  Result<void> result = fs.truncate(*file, 0);
  if (result.ok()) result = fs.write(*file, 0, bytes);
  if (result.ok()) result = fs.datasync(*file);
  auto closed = fs.close(*file);
  if (!result.ok()) return result;
  return closed;
}

}  // namespace

// The read handle closes with its last reference, once readers holding the view let it go.
void PartitionLog::Impl::close_segment_files(Segment& segment) {
  if (segment.write_file.valid()) (void)fs.close(segment.write_file);
  segment.write_file = {};
  if (segment.small_write_file.valid()) (void)fs.close(segment.small_write_file);
  segment.small_write_file = {};
  segment.file.reset();
  segment.read_file = {};
}

Result<void> PartitionLog::Impl::open_small_write_file(Segment& segment, bool direct) {
  if (!direct || options.small_write_bytes == 0) return {};
  io::OpenOptions buffered;
  buffered.writable = true;
  auto file = fs.open(segment.log_path, buffered);
  if (!file.ok()) return std::move(file).error();
  segment.small_write_file = *file;
  return {};
}

Result<void> PartitionLog::Impl::open_read_file(Segment& segment) {
  auto file = fs.open(segment.log_path, io::OpenOptions{});
  if (!file.ok()) return std::move(file).error();
  segment.read_file = *file;
  segment.file = std::make_shared<SegmentFile>(fs, *file, shared->open_files);
  return {};
}

// Opens the segment's file for appending: O_DIRECT when asked and the filesystem allows it.
static Result<io::FileHandle> open_for_writing(io::FileSystem& fs, const std::string& path,
                                               bool create, bool* direct) {
  io::OpenOptions options;
  options.create = create;
  options.exclusive = create;
  options.writable = true;
  options.direct = *direct;
  auto file = fs.open(path, options);
  if (!file.ok() && *direct &&
      (file.code() == Errc::invalid_argument || file.code() == Errc::unsupported)) {
    log_line(LogLevel::warning, path + ": O_DIRECT is not supported here (" +
                                    file.error().message() + "); using buffered writes");
    *direct = false;
    options.direct = false;
    if (create) (void)fs.remove_file(path);
    file = fs.open(path, options);
  }
  return file;
}

Result<void> PartitionLog::Impl::open_for_append(Segment& segment) {
  bool direct = options.direct_io;
  auto file = open_for_writing(fs, segment.log_path, false, &direct);
  if (!file.ok()) return std::move(file).error();
  segment.write_file = *file;
  SLUICE_TRY(open_small_write_file(segment, direct));
  auto size = fs.size(segment.write_file);
  if (!size.ok()) return std::move(size).error();
  segment.allocated_end = *size;
  auto allocated = extend_allocation(segment, segment.size);
  if (!allocated.ok()) {
    log_line(LogLevel::warning,
             segment.log_path + ": preallocation failed: " + allocated.error().to_string());
  }
  // The partial last page goes into the first chunk: the next write of that page rewrites it
  // whole, so it must carry the bytes already there.
  auto chunk = pool.acquire();
  SLUICE_ASSERT(chunk.has_value());
  chunk->file_pos = segment.size & ~(kPage - 1);
  if (segment.size > chunk->file_pos) {
    const uint64_t partial = segment.size - chunk->file_pos;
    auto got = fs.read(segment.read_file, chunk->file_pos, {chunk->data, partial});
    if (!got.ok()) return std::move(got).error();
    SLUICE_ASSERT(*got == partial);
  }
  // No reader exists yet; publish() orders the bytes read above before the chunk all the same.
  pool.publish(*chunk, segment.base_offset);
  segment.chunks.push_back(*chunk);
  segment.submitted_end = segment.written_end = segment.synced_end = segment.size;
  return {};
}

Result<void> PartitionLog::Impl::extend_allocation(Segment& segment, uint64_t needed_end) {
  if (!options.preallocate) return {};
  const uint64_t limit = options.segment_bytes + kPreallocateSlack;
  if (segment.allocated_end >= std::min(limit, needed_end + kPreallocateSlack)) return {};
  const uint64_t step =
      options.preallocate_step_bytes == 0 ? limit : options.preallocate_step_bytes;
  const uint64_t target =
      std::min(limit, std::max(needed_end + kPreallocateSlack, segment.allocated_end + step));
  auto allocated =
      fs.allocate(segment.write_file, segment.allocated_end, target - segment.allocated_end);
  if (!allocated.ok()) {
    // A filesystem without fallocate: writes extend the file as they go, so stop trying.
    if (allocated.code() == Errc::unsupported) {
      segment.allocated_end = UINT64_MAX;
      return {};
    }
    return allocated;
  }
  segment.allocated_end = target;
  return {};
}

Result<std::unique_ptr<Segment>> PartitionLog::Impl::create_segment(int64_t base_offset) {
  auto segment = std::make_unique<Segment>(dir, base_offset, options.index_interval_bytes);
  bool direct = options.direct_io;
  auto file = open_for_writing(fs, segment->log_path, true, &direct);
  if (!file.ok()) return std::move(file).error();
  segment->write_file = *file;
  auto undo = [&](Error error) -> Error {
    close_segment_files(*segment);
    (void)fs.remove_file(segment->log_path);
    return Error(error.code(),
                 "cannot create segment " + segment->log_path + ": " + error.message());
  };
  if (auto small = open_small_write_file(*segment, direct); !small.ok()) {
    return undo(std::move(small).error());
  }
  if (auto allocated = extend_allocation(*segment, 0); !allocated.ok()) {
    return undo(std::move(allocated).error());
  }
  auto read_file = open_read_file(*segment);
  if (!read_file.ok()) return undo(std::move(read_file).error());
  // The new file's name must be durable before any synced append in it is acknowledged.
  auto synced = fs.sync_directory(dir);
  if (!synced.ok()) return undo(std::move(synced).error());
  segment->make_view();
  return segment;
}

Result<void> PartitionLog::Impl::seal(Segment& segment) {
  SLUICE_ASSERT(segment.rolled && !segment.sealed && segment.writes.empty());
  SLUICE_ASSERT(segment.written_end == segment.size && segment.syncs_in_flight == 0);
  SLUICE_TRY(fs.truncate(segment.write_file, segment.size));
  SLUICE_TRY(fs.datasync(segment.write_file));
  segment.synced_end = segment.size;
  // Indexes are written after the data is durable, so a present and valid index means a
  // complete segment. They can be rebuilt, so a failure here is only a warning.
  auto index = write_whole_file(fs, segment.index_path, segment.index.encode());
  if (index.ok()) {
    index = write_whole_file(fs, segment.time_index_path, segment.time_index.encode());
  }
  if (index.ok()) index = fs.sync_directory(dir);
  if (!index.ok()) {
    log_line(LogLevel::warning, segment.log_path + ": index not written (" +
                                    index.error().to_string() + "); recovery will rebuild it");
    (void)fs.remove_file(segment.index_path);
  }
  (void)fs.close(segment.write_file);
  segment.write_file = {};
  if (segment.small_write_file.valid()) (void)fs.close(segment.small_write_file);
  segment.small_write_file = {};
  segment.sealed = true;
  // Every byte the kept producer state describes is synced now.
  write_kept_snapshot(segment);
  return {};
}

// ---- Recovery ----

namespace {

struct Found {
  std::vector<int64_t> bases;
  std::vector<std::string> orphans;  // index files without their segment
};

Result<Found> list_segments(io::FileSystem& fs, const std::string& dir) {
  auto names = fs.list_directory(dir);
  if (!names.ok()) return std::move(names).error();
  Found found;
  for (const std::string& name : *names) {
    if (auto base = parse_segment_file_name(name, kLogExtension)) found.bases.push_back(*base);
  }
  std::sort(found.bases.begin(), found.bases.end());
  for (const std::string& name : *names) {
    auto base = parse_segment_file_name(name, kIndexExtension);
    if (!base) base = parse_segment_file_name(name, kTimeIndexExtension);
    if (base && !std::binary_search(found.bases.begin(), found.bases.end(), *base)) {
      found.orphans.push_back(name);
    }
  }
  return found;
}

}  // namespace

// Loads the indexes of a sealed segment; false when either is missing or damaged.
static bool load_indexes(io::FileSystem& fs, Segment& segment, uint32_t interval) {
  auto index_bytes = read_whole_file(fs, segment.index_path);
  auto time_bytes = read_whole_file(fs, segment.time_index_path);
  if (!index_bytes.ok() || !time_bytes.ok()) return false;
  if (segment.size > 0 && index_bytes->empty()) return false;
  auto index = OffsetIndex::decode(segment.base_offset, interval, *index_bytes, segment.size);
  auto time_index = TimeIndex::decode(segment.base_offset, interval, *time_bytes);
  if (!index.ok() || !time_index.ok()) return false;
  segment.index = std::move(index).value();
  segment.time_index = std::move(time_index).value();
  return true;
}

// Scans a whole segment, rebuilding its indexes; returns the scan.
static Result<ScanResult> scan_and_index(io::FileSystem& fs, Segment& segment,
                                         const LogOptions& options) {
  segment.index = OffsetIndex(segment.base_offset, options.index_interval_bytes);
  segment.time_index = TimeIndex(segment.base_offset, options.index_interval_bytes);
  ScanOptions scan_options;
  scan_options.max_batch_bytes = std::max<uint64_t>(options.max_batch_bytes, 64u << 20);
  return scan_segment(fs, segment.read_file, segment.size, segment.base_offset, scan_options,
                      [&](const ScannedBatch& batch) {
                        segment.index.on_batch(batch.header.base_offset, batch.position,
                                               batch.header.total_bytes());
                        segment.time_index.on_batch(batch.header.base_offset,
                                                    batch.header.max_timestamp,
                                                    batch.header.total_bytes());
                      });
}

// Scans a segment that was not sealed cleanly (always the active one) and cuts it at the first
// torn or corrupt batch. `next_base` is the next segment's base offset (-1 for the last one).
// Returns true when the segment was cut, so that the segments after it must go.
Result<bool> PartitionLog::Impl::recover_scanned(Segment& segment, int64_t next_base) {
  if (next_base >= 0) {
    log_line(LogLevel::info, segment.log_path + ": index missing or damaged; scanning the segment");
  }
  auto scan = scan_and_index(fs, segment, options);
  if (!scan.ok()) return std::move(scan).error();
  segment.next_offset = scan->next_offset;
  const auto& entries = segment.time_index.entries();
  segment.created_ms = entries.empty() ? -1 : entries.front().timestamp;
  const uint64_t file_bytes = segment.size;
  segment.size = scan->valid_bytes;
  if (scan->damaged()) {
    log_line(LogLevel::warning, segment.log_path + ": recovery cut the segment at position " +
                                    std::to_string(scan->valid_bytes) + " (offset " +
                                    std::to_string(scan->next_offset) + "), dropping " +
                                    std::to_string(file_bytes - scan->valid_bytes) +
                                    " bytes: " + scan_stop_name(scan->stop) + ": " + scan->detail);
    SLUICE_TRY(cut_file(segment.log_path, scan->valid_bytes));
    return true;
  }
  if (next_base < 0) return false;
  if (scan->next_offset != next_base) {
    // The segment lost its unsynced tail (power loss after a roll): the segments after it no
    // longer follow, and the longest consistent prefix ends here.
    log_line(LogLevel::warning, segment.log_path + " ends at offset " +
                                    std::to_string(scan->next_offset) +
                                    " but the next segment starts at " + std::to_string(next_base) +
                                    "; the log ends here");
    SLUICE_TRY(cut_file(segment.log_path, scan->valid_bytes));
    return true;
  }
  // Rolled but not sealed before the process stopped: seal it now.
  io::OpenOptions writable;
  writable.writable = true;
  auto file = fs.open(segment.log_path, writable);
  if (!file.ok()) return std::move(file).error();
  segment.write_file = *file;
  segment.rolled = true;
  segment.submitted_end = segment.written_end = segment.size;
  SLUICE_TRY(seal(segment));
  return false;
}

// Truncates a segment file at `size` and makes that durable.
Result<void> PartitionLog::Impl::cut_file(const std::string& path, uint64_t size) {
  io::OpenOptions writable;
  writable.writable = true;
  auto file = fs.open(path, writable);
  if (!file.ok()) return std::move(file).error();
  Result<void> result = fs.truncate(*file, size);
  if (result.ok()) result = fs.datasync(*file);
  (void)fs.close(*file);
  return result;
}

// After a cut in segment `kept`, the segments after it no longer follow: remove them.
void PartitionLog::Impl::remove_segments_after(size_t kept, const std::vector<int64_t>& bases) {
  for (size_t i = kept + 1; i < bases.size(); ++i) {
    Segment doomed(dir, bases[i], options.index_interval_bytes);
    log_line(LogLevel::warning,
             doomed.log_path + ": removed by recovery, as the segment before it was cut");
    (void)fs.remove_file(doomed.log_path);
    (void)fs.remove_file(doomed.index_path);
    (void)fs.remove_file(doomed.time_index_path);
  }
  (void)fs.sync_directory(dir);
}

Result<void> PartitionLog::Impl::recover() {
  SLUICE_TRY(fs.create_directories(dir));
  auto found = list_segments(fs, dir);
  if (!found.ok()) return std::move(found).error();
  for (const std::string& orphan : found->orphans) {
    log_line(LogLevel::info, dir + "/" + orphan + ": index without its segment; removed");
    (void)fs.remove_file(dir + "/" + orphan);
  }
  if (found->bases.empty()) {
    auto segment = create_segment(options.initial_offset);
    if (!segment.ok()) return std::move(segment).error();
    segments.push_back(std::move(segment).value());
    start_offset = next_offset = written_offset = synced_offset = options.initial_offset;
    SLUICE_TRY(recover_producers());
    publish_offsets();
    return {};
  }
  const std::vector<int64_t>& bases = found->bases;
  for (size_t i = 0; i < bases.size(); ++i) {
    auto segment = std::make_unique<Segment>(dir, bases[i], options.index_interval_bytes);
    SLUICE_TRY(open_read_file(*segment));
    segments.push_back(std::move(segment));
    Segment& current = active();
    auto size = fs.size(current.read_file);
    if (!size.ok()) return std::move(size).error();
    current.size = *size;
    const bool last = i + 1 == bases.size();
    if (!last && load_indexes(fs, current, options.index_interval_bytes)) {
      current.next_offset = bases[i + 1];
      current.sealed = current.rolled = true;
      current.written_end = current.synced_end = current.submitted_end = current.size;
      continue;
    }
    auto cut = recover_scanned(current, last ? -1 : bases[i + 1]);
    if (!cut.ok()) return std::move(cut).error();
    if (*cut) {
      remove_segments_after(i, bases);
      break;
    }
  }
  Segment& tail = active();
  tail.sealed = tail.rolled = false;
  SLUICE_TRY(open_for_append(tail));
  SLUICE_TRY(fs.datasync(tail.write_file));
  start_offset = segments.front()->base_offset;
  next_offset = written_offset = synced_offset = tail.next_offset;
  SLUICE_TRY(recover_producers());
  for (auto& segment : segments)
    segment->make_view();
  publish_offsets();
  return {};
}

}  // namespace sluice::partitions
