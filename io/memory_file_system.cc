// MemoryFileSystem: the in-memory twin of the I/O seam. See memory_file_system.h for the
// contract; this file adds the model behind it.
//
// The model:
// - Paths are normalized to an absolute form ("a//b/" and "/a/b" are the same path "/a/b";
//   "." is dropped and ".." resolved lexically). Relative paths are taken from the root.
// - A file is an Inode: the bytes a reader sees now (`current`), the bytes as of its last
//   datasync (`durable`), and the changes since then (`unsynced`: writes, truncates and
//   allocations, in order) so that a torn crash can keep a prefix of them.
// - A directory has its current entries and its durable entries (as of its last
//   sync_directory). Entries point at inodes, so that a rename keeps the file's bytes.
// - The existence of directories themselves is not modelled for durability: every directory
//   (the root and any made by create_directories) survives a crash. Partition logs create their
//   folders once and sync their entries, which is what tests need to break; modelling the
//   directory tree's own durability would add much and catch little.
// - Handle ids are never reused (they grow from 0), so a handle closed or invalidated by a
//   crash can never alias a newer open file: the id is its own generation.
// - Asynchronous operations wait in a queue; poll() executes them one by one (the effect on the
//   data happens then) and runs each callback right after its operation, without the mutex.
//   Operations queued by callbacks run in the next poll() call, so one poll() is bounded by
//   what was queued at its entry.
#include "io/memory_file_system.h"

#include "io/assert.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace sluice::io {
namespace {

// A file larger than this is refused with no_space: a test that writes at a wild offset
// should fail, not allocate gigabytes.
constexpr uint64_t kMaxFileBytes = uint64_t{1} << 30;

enum Opcode : uint8_t { kOpWrite = 1, kOpRead, kOpSync, kOpTimer };

// One change to a file since its last datasync, replayed (in part) by a torn crash.
struct Change {
  enum class Kind : uint8_t { write, truncate, allocate };
  Kind kind = Kind::write;
  uint64_t offset = 0;  // write, allocate: where; truncate: the new size
  uint64_t length = 0;  // allocate: how many bytes
  std::string bytes;    // write: the data
};

struct Inode {
  std::string current;
  std::string durable;
  std::vector<Change> unsynced;
};

using InodePtr = std::shared_ptr<Inode>;

struct Directory {
  std::map<std::string, InodePtr> entries;          // what readers see now
  std::map<std::string, InodePtr> durable_entries;  // as of the last sync_directory
  std::set<std::string> subdirectories;             // always durable: see the file comment
};

struct OpenFile {
  InodePtr inode;
  std::string path;  // kept up to date by rename, for fail_writes filters and messages
  bool writable = false;
  bool direct = false;
};

struct WriteFault {
  Errc code;
  int count;
  std::string path_part;
};

// SplitMix64: tiny, and the same sequence on every platform and standard library, so that a
// seed reproduces a torn crash or a shuffle anywhere.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform enough in [0, bound) for tests; bound > 0.
  uint64_t below(uint64_t bound) {
    SLUICE_ASSERT(bound > 0);
    return next() % bound;
  }

 private:
  uint64_t state_;
};

Result<std::string> normalize(std::string_view path) {
  if (path.empty()) return Error(Errc::invalid_argument, "empty path");
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part == "..") {
      if (parts.empty())
        return Error(Errc::invalid_argument, "path escapes the root: " + std::string(path));
      parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    start = end + 1;
  }
  std::string out;
  for (std::string_view part : parts) {
    out += '/';
    out += part;
  }
  return out.empty() ? std::string("/") : out;
}

// The parent of a normalized path other than the root.
std::string parent_of(const std::string& path) {
  SLUICE_ASSERT(path != "/" && path.front() == '/');
  size_t slash = path.rfind('/');
  return slash == 0 ? std::string("/") : path.substr(0, slash);
}

std::string name_of(const std::string& path) {
  SLUICE_ASSERT(path != "/");
  return path.substr(path.rfind('/') + 1);
}

bool aligned(uint64_t value) {
  return value % kDirectIoAlignment == 0;
}

// Applies one change to a file image, as the file system did when the change was made.
void apply_change(std::string& image, const Change& change) {
  switch (change.kind) {
    case Change::Kind::write: {
      uint64_t end = change.offset + change.bytes.size();
      if (image.size() < end) image.resize(end, '\0');
      std::memcpy(image.data() + change.offset, change.bytes.data(), change.bytes.size());
      return;
    }
    case Change::Kind::truncate:
      image.resize(change.offset, '\0');
      return;
    case Change::Kind::allocate: {
      uint64_t end = change.offset + change.length;
      if (image.size() < end) image.resize(end, '\0');
      return;
    }
  }
  SLUICE_UNREACHABLE("unknown change kind");
}

// The image a torn power loss leaves: the durable bytes, a random prefix of the changes since,
// and possibly the first change not kept applied in part (a write cut at a random byte).
std::string torn_image(const Inode& inode, Random& random) {
  std::string image = inode.durable;
  const size_t kept = random.below(inode.unsynced.size() + 1);
  for (size_t i = 0; i < kept; ++i)
    apply_change(image, inode.unsynced[i]);
  if (kept < inode.unsynced.size()) {
    const Change& next = inode.unsynced[kept];
    if (next.kind == Change::Kind::write && !next.bytes.empty()) {
      Change cut = next;
      cut.bytes.resize(random.below(next.bytes.size()));
      if (!cut.bytes.empty()) apply_change(image, cut);
    }
  }
  return image;
}

}  // namespace

// Every method of State expects the caller to hold `mutex`.
struct MemoryFileSystem::State {
  mutable std::mutex mutex;
  std::map<std::string, Directory> directories;  // by normalized path; sorted for determinism
  std::unordered_map<int32_t, OpenFile> open_files;
  int32_t next_handle_id = 0;
  std::vector<WriteFault> write_faults;
  int sync_faults = 0;
  uint64_t capacity_bytes = 0;  // 0: unlimited
  std::deque<IoOp*> queue;
  uint64_t async_writes = 0;
  uint64_t async_direct_writes = 0;
  // Counts an asynchronous write issued through `file` (under the mutex).
  void count_async_write(FileHandle file) {
    ++async_writes;
    auto it = open_files.find(file.id);
    if (it != open_files.end() && it->second.direct) ++async_direct_writes;
  }
  // A linked datasync whose write failed, and the error it must complete with.
  std::unordered_map<IoOp*, Error> failed_links;
  // Bumped by crash(), so that a poll() in progress drops what it had not run yet.
  uint64_t crash_epoch = 0;
  bool shuffle = false;
  Random shuffle_random{1};

  State() { directories["/"] = Directory{}; }

  Result<OpenFile*> lookup(FileHandle file);
  Result<OpenFile*> lookup_writable(FileHandle file);
  Result<void> check_direct(const OpenFile& open_file, uint64_t offset, uint64_t length,
                            const void* buffer) const;
  Result<void> check_write_fault(const OpenFile& open_file);
  Result<void> check_growth(const Inode& inode, uint64_t offset, uint64_t length) const;
  uint64_t used_bytes() const;

  Result<Directory*> parent_directory(const std::string& path);
  Result<InodePtr> find_file(const std::string& path);

  Result<FileHandle> open(const std::string& path, const OpenOptions& options);
  Result<uint64_t> read(FileHandle file, uint64_t offset, std::span<std::byte> out);
  Result<void> write(FileHandle file, uint64_t offset, std::span<const std::byte> data);
  Result<void> datasync(FileHandle file);
  Result<void> truncate(FileHandle file, uint64_t size);
  Result<void> allocate(FileHandle file, uint64_t offset, uint64_t length);
  Result<void> create_directories(const std::string& path);
  Result<std::vector<std::string>> list_directory(const std::string& path);
  Result<void> remove_file(const std::string& path);
  Result<void> remove_directory(const std::string& path);
  Result<void> rename(const std::string& from, const std::string& to);

  Result<void> flip_byte(const std::string& path, uint64_t offset, uint8_t mask);
  void crash(bool torn, uint64_t seed);
  void enqueue(IoOp& op);
  void shuffle_queue(size_t count);
  Result<uint64_t> execute(IoOp& op);
  // The next queued operation, executed, unless a crash happened since `epoch`.
  std::optional<std::pair<IoOp*, Result<uint64_t>>> take_next(uint64_t epoch);
};

Result<OpenFile*> MemoryFileSystem::State::lookup(FileHandle file) {
  auto it = open_files.find(file.id);
  if (it == open_files.end()) {
    return Error(Errc::closed, "file handle " + std::to_string(file.id) + " is not open");
  }
  return &it->second;
}

Result<OpenFile*> MemoryFileSystem::State::lookup_writable(FileHandle file) {
  Result<OpenFile*> open_file = lookup(file);
  if (!open_file.ok()) return open_file;
  if (!(*open_file)->writable) {
    return Error(Errc::invalid_argument, (*open_file)->path + ": opened read-only");
  }
  return open_file;
}

Result<void> MemoryFileSystem::State::check_direct(const OpenFile& open_file, uint64_t offset,
                                                   uint64_t length, const void* buffer) const {
  if (!open_file.direct) return {};
  if (!aligned(offset) || !aligned(length) || !aligned(reinterpret_cast<uintptr_t>(buffer))) {
    return Error(Errc::invalid_argument,
                 open_file.path + ": O_DIRECT I/O not aligned to 4096 (offset " +
                     std::to_string(offset) + ", length " + std::to_string(length) + ")");
  }
  return {};
}

// Consumes one injected write fault that matches the file, if any.
Result<void> MemoryFileSystem::State::check_write_fault(const OpenFile& open_file) {
  for (WriteFault& fault : write_faults) {
    if (fault.count > 0 && open_file.path.find(fault.path_part) != std::string::npos) {
      --fault.count;
      return Error(fault.code, open_file.path + ": injected write failure");
    }
  }
  return {};
}

// Whether the file may grow to cover [offset, offset + length) within the disk's capacity.
Result<void> MemoryFileSystem::State::check_growth(const Inode& inode, uint64_t offset,
                                                   uint64_t length) const {
  if (offset > kMaxFileBytes || length > kMaxFileBytes - offset) {
    return Error(Errc::no_space, "file would pass the twin's 1 GiB limit per file");
  }
  const uint64_t end = offset + length;
  if (capacity_bytes == 0 || end <= inode.current.size()) return {};
  if (used_bytes() + (end - inode.current.size()) > capacity_bytes) {
    return Error(Errc::no_space, "disk full (capacity " + std::to_string(capacity_bytes) + ")");
  }
  return {};
}

// The sum of the sizes of the files a directory lists now or a handle holds open (a removed
// file still open keeps its blocks, as on a real disk).
uint64_t MemoryFileSystem::State::used_bytes() const {
  std::unordered_set<const Inode*> seen;
  uint64_t total = 0;
  auto count = [&](const InodePtr& inode) {
    if (seen.insert(inode.get()).second) total += inode->current.size();
  };
  for (const auto& [path, directory] : directories) {
    for (const auto& [name, inode] : directory.entries)
      count(inode);
  }
  for (const auto& [id, open_file] : open_files)
    count(open_file.inode);
  return total;
}

Result<Directory*> MemoryFileSystem::State::parent_directory(const std::string& path) {
  if (path == "/") return Error(Errc::invalid_argument, "/ is a directory");
  auto it = directories.find(parent_of(path));
  if (it == directories.end()) {
    return Error(Errc::not_found, path + ": parent directory does not exist");
  }
  return &it->second;
}

Result<InodePtr> MemoryFileSystem::State::find_file(const std::string& path) {
  if (directories.count(path) != 0) {
    return Error(Errc::invalid_argument, path + ": is a directory");
  }
  Result<Directory*> parent = parent_directory(path);
  if (!parent.ok()) return std::move(parent).error();
  auto it = (*parent)->entries.find(name_of(path));
  if (it == (*parent)->entries.end()) return Error(Errc::not_found, path + ": no such file");
  return it->second;
}

Result<FileHandle> MemoryFileSystem::State::open(const std::string& path,
                                                 const OpenOptions& options) {
  if (directories.count(path) != 0) {
    return Error(Errc::invalid_argument, path + ": is a directory");
  }
  Result<Directory*> parent = parent_directory(path);
  if (!parent.ok()) return std::move(parent).error();
  const std::string name = name_of(path);
  auto it = (*parent)->entries.find(name);
  InodePtr inode;
  if (it != (*parent)->entries.end()) {
    if (options.create && options.exclusive) {
      return Error(Errc::already_exists, path + ": exists");
    }
    inode = it->second;
  } else {
    if (!options.create) return Error(Errc::not_found, path + ": no such file");
    // The new entry is in the directory's current entries only, until sync_directory.
    inode = std::make_shared<Inode>();
    (*parent)->entries[name] = inode;
  }
  SLUICE_ASSERT(next_handle_id < INT32_MAX);
  const int32_t id = next_handle_id++;
  open_files[id] = OpenFile{std::move(inode), path, options.writable, options.direct};
  return FileHandle{id};
}

Result<uint64_t> MemoryFileSystem::State::read(FileHandle file, uint64_t offset,
                                               std::span<std::byte> out) {
  Result<OpenFile*> open_file = lookup(file);
  if (!open_file.ok()) return std::move(open_file).error();
  SLUICE_TRY(check_direct(**open_file, offset, out.size(), out.data()));
  const std::string& bytes = (*open_file)->inode->current;
  if (offset >= bytes.size()) return uint64_t{0};
  const uint64_t count = std::min<uint64_t>(out.size(), bytes.size() - offset);
  std::memcpy(out.data(), bytes.data() + offset, count);
  return count;
}

Result<void> MemoryFileSystem::State::write(FileHandle file, uint64_t offset,
                                            std::span<const std::byte> data) {
  Result<OpenFile*> open_file = lookup_writable(file);
  if (!open_file.ok()) return std::move(open_file).error();
  SLUICE_TRY(check_direct(**open_file, offset, data.size(), data.data()));
  SLUICE_TRY(check_write_fault(**open_file));
  Inode& inode = *(*open_file)->inode;
  if (data.empty()) return {};  // pwrite of nothing changes nothing, not even the size
  SLUICE_TRY(check_growth(inode, offset, data.size()));
  Change change{Change::Kind::write, offset, 0,
                std::string(reinterpret_cast<const char*>(data.data()), data.size())};
  apply_change(inode.current, change);
  inode.unsynced.push_back(std::move(change));
  return {};
}

Result<void> MemoryFileSystem::State::datasync(FileHandle file) {
  Result<OpenFile*> open_file = lookup(file);
  if (!open_file.ok()) return std::move(open_file).error();
  if (sync_faults > 0) {
    --sync_faults;
    return Error(Errc::io_error, (*open_file)->path + ": injected datasync failure");
  }
  Inode& inode = *(*open_file)->inode;
  inode.durable = inode.current;
  inode.unsynced.clear();
  return {};
}

// Growing by truncate makes a sparse file, which uses no blocks on a real disk: it is not
// checked against the capacity (the sum of sizes may then pass it, and later writes fail).
Result<void> MemoryFileSystem::State::truncate(FileHandle file, uint64_t size) {
  Result<OpenFile*> open_file = lookup_writable(file);
  if (!open_file.ok()) return std::move(open_file).error();
  if (size > kMaxFileBytes) {
    return Error(Errc::no_space, "file would pass the twin's 1 GiB limit per file");
  }
  Inode& inode = *(*open_file)->inode;
  Change change{Change::Kind::truncate, size, 0, {}};
  apply_change(inode.current, change);
  inode.unsynced.push_back(std::move(change));
  return {};
}

Result<void> MemoryFileSystem::State::allocate(FileHandle file, uint64_t offset, uint64_t length) {
  Result<OpenFile*> open_file = lookup_writable(file);
  if (!open_file.ok()) return std::move(open_file).error();
  if (length == 0) return Error(Errc::invalid_argument, "allocate of 0 bytes");  // as EINVAL
  SLUICE_TRY(check_write_fault(**open_file));
  Inode& inode = *(*open_file)->inode;
  SLUICE_TRY(check_growth(inode, offset, length));
  Change change{Change::Kind::allocate, offset, length, {}};
  apply_change(inode.current, change);
  inode.unsynced.push_back(std::move(change));
  return {};
}

Result<void> MemoryFileSystem::State::create_directories(const std::string& path) {
  // Find the missing chain first, so that a failure creates nothing.
  std::vector<std::string> missing;
  for (std::string at = path; directories.count(at) == 0; at = parent_of(at)) {
    missing.push_back(at);
  }
  if (missing.empty()) return {};
  // Only the topmost missing directory has a parent that exists and may hold a file of its
  // name; the others go into directories created here.
  const std::string& top = missing.back();
  if (directories.at(parent_of(top)).entries.count(name_of(top)) != 0) {
    return Error(Errc::already_exists, top + ": a file is in the way");
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    directories[*it] = Directory{};
    directories.at(parent_of(*it)).subdirectories.insert(name_of(*it));
  }
  return {};
}

Result<std::vector<std::string>> MemoryFileSystem::State::list_directory(const std::string& path) {
  auto it = directories.find(path);
  if (it == directories.end()) {
    if (find_file(path).ok()) return Error(Errc::invalid_argument, path + ": not a directory");
    return Error(Errc::not_found, path + ": no such directory");
  }
  std::vector<std::string> names;
  for (const auto& [name, inode] : it->second.entries)
    names.push_back(name);
  for (const std::string& name : it->second.subdirectories)
    names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

Result<void> MemoryFileSystem::State::remove_file(const std::string& path) {
  Result<InodePtr> inode = find_file(path);
  if (!inode.ok()) return std::move(inode).error();
  // The entry leaves the current entries only; until sync_directory a crash brings it back.
  // Open handles keep the inode alive, as an unlinked open file on a real disk.
  directories.at(parent_of(path)).entries.erase(name_of(path));
  return {};
}

// Directories are modelled as always durable (see the file comment), so a removed one stays
// removed across a crash; it must be empty, unsynced removals of its files included.
Result<void> MemoryFileSystem::State::remove_directory(const std::string& path) {
  auto it = directories.find(path);
  if (it == directories.end()) {
    if (find_file(path).ok()) return Error(Errc::invalid_argument, path + ": not a directory");
    return Error(Errc::not_found, path + ": no such directory");
  }
  if (path == "/") return Error(Errc::invalid_argument, "/: cannot remove the root");
  const Directory& dir = it->second;
  if (!dir.entries.empty() || !dir.durable_entries.empty() || !dir.subdirectories.empty()) {
    return Error(Errc::already_exists, path + ": directory not empty");
  }
  directories.at(parent_of(path)).subdirectories.erase(name_of(path));
  directories.erase(it);
  return {};
}

Result<void> MemoryFileSystem::State::rename(const std::string& from, const std::string& to) {
  if (directories.count(from) != 0) {
    return Error(Errc::unsupported, from + ": renaming directories is not modelled");
  }
  Result<InodePtr> inode = find_file(from);
  if (!inode.ok()) return std::move(inode).error();
  if (from == to) return {};
  if (directories.count(to) != 0) return Error(Errc::invalid_argument, to + ": is a directory");
  Result<Directory*> to_parent = parent_directory(to);
  if (!to_parent.ok()) return std::move(to_parent).error();
  // As rename(2): the target entry, if any, is replaced atomically.
  (*to_parent)->entries[name_of(to)] = *inode;
  directories.at(parent_of(from)).entries.erase(name_of(from));
  for (auto& [id, open_file] : open_files) {
    if (open_file.inode == *inode) open_file.path = to;
  }
  return {};
}

// Flips the byte everywhere it lives (current, durable and the unsynced writes covering it), so
// that a torn crash that replays those writes cannot silently repair it.
Result<void> MemoryFileSystem::State::flip_byte(const std::string& path, uint64_t offset,
                                                uint8_t mask) {
  Result<InodePtr> found = find_file(path);
  if (!found.ok()) return std::move(found).error();
  Inode& inode = **found;
  if (offset >= inode.current.size()) {
    return Error(Errc::invalid_argument, path + ": flip_byte past the end of the file");
  }
  const char flip = static_cast<char>(mask);
  inode.current[offset] ^= flip;
  if (offset < inode.durable.size()) inode.durable[offset] ^= flip;
  for (Change& change : inode.unsynced) {
    if (change.kind == Change::Kind::write && offset >= change.offset &&
        offset - change.offset < change.bytes.size()) {
      change.bytes[offset - change.offset] ^= flip;
    }
  }
  return {};
}

void MemoryFileSystem::State::crash(bool torn, uint64_t seed) {
  Random random(seed);
  // An inode may be durable under two names (a rename synced in one directory only): it
  // loses power once. Directories and entries are visited in sorted order, so the seed alone
  // decides the outcome.
  std::unordered_set<const Inode*> done;
  for (auto& [path, directory] : directories) {
    directory.entries = directory.durable_entries;
    for (auto& [name, inode] : directory.durable_entries) {
      if (!done.insert(inode.get()).second) continue;
      inode->current = torn ? torn_image(*inode, random) : inode->durable;
      // After the power comes back, whatever reached the disk is all there is.
      inode->durable = inode->current;
      inode->unsynced.clear();
    }
  }
  // Inodes only open or only in current entries are freed with the last reference here.
  open_files.clear();
  queue.clear();
  failed_links.clear();
  ++crash_epoch;
}

void MemoryFileSystem::State::enqueue(IoOp& op) {
  SLUICE_ASSERT_MSG(op.callback != nullptr, "an IoOp needs a callback");
  SLUICE_ASSERT_MSG(std::find(queue.begin(), queue.end(), &op) == queue.end(),
                    "an IoOp carries one operation at a time");
  queue.push_back(&op);
}

// Shuffles the first `count` queued operations, then puts every linked datasync back after its
// write (swapping the two), as io_uring's IOSQE_IO_LINK guarantees.
void MemoryFileSystem::State::shuffle_queue(size_t count) {
  SLUICE_ASSERT(count <= queue.size());
  for (size_t i = count; i > 1; --i)
    std::swap(queue[i - 1], queue[shuffle_random.below(i)]);
  std::unordered_map<const IoOp*, size_t> position;
  for (size_t i = 0; i < count; ++i)
    position[queue[i]] = i;
  for (size_t i = 0; i < count; ++i) {
    IoOp* op = queue[i];
    if (op->state.opcode != kOpWrite || op->state.linked == nullptr) continue;
    auto it = position.find(op->state.linked);
    SLUICE_ASSERT_MSG(it != position.end(), "a linked datasync was queued with its write");
    const size_t j = it->second;
    if (j < i) {
      std::swap(queue[i], queue[j]);
      position[op] = j;
      position[queue[i]] = i;
    }
  }
}

Result<uint64_t> MemoryFileSystem::State::execute(IoOp& op) {
  IoOp::State& s = op.state;
  switch (s.opcode) {
    case kOpWrite: {
      Result<void> written = write(s.file, s.offset, std::span<const std::byte>(s.data, s.length));
      if (!written.ok()) {
        if (s.linked != nullptr) failed_links.emplace(s.linked, written.error());
        return std::move(written).error();
      }
      return s.length;
    }
    case kOpRead:
      return read(s.file, s.offset, std::span<std::byte>(s.data, s.length));
    case kOpSync: {
      auto it = failed_links.find(&op);
      if (it != failed_links.end()) {
        Error error = std::move(it->second);
        failed_links.erase(it);
        return error;
      }
      SLUICE_TRY(datasync(s.file));
      return uint64_t{0};
    }
    case kOpTimer:
      return uint64_t{0};
  }
  SLUICE_UNREACHABLE("unknown opcode in a queued IoOp");
}

std::optional<std::pair<IoOp*, Result<uint64_t>>> MemoryFileSystem::State::take_next(
    uint64_t epoch) {
  if (epoch != crash_epoch || queue.empty()) return std::nullopt;
  IoOp* op = queue.front();
  queue.pop_front();
  Result<uint64_t> result = execute(*op);
  return std::make_pair(op, std::move(result));
}

namespace {

void prepare(IoOp& op, Opcode opcode, FileHandle file, uint64_t offset, std::byte* data,
             uint64_t length) {
  op.state = IoOp::State{};
  op.state.opcode = opcode;
  op.state.file = file;
  op.state.offset = offset;
  op.state.data = data;
  op.state.length = length;
}

}  // namespace

// ---- MemoryFileSystem: lock, normalize, delegate ----

MemoryFileSystem::MemoryFileSystem() : state_(std::make_unique<State>()) {}

MemoryFileSystem::~MemoryFileSystem() = default;

void MemoryFileSystem::fail_writes(Errc code, int count, const std::string& path_part) {
  SLUICE_ASSERT(count >= 0);
  std::lock_guard lock(state_->mutex);
  // Faults add up (the first matching one with a count left is used); spent ones go.
  std::erase_if(state_->write_faults, [](const WriteFault& fault) { return fault.count == 0; });
  state_->write_faults.push_back(WriteFault{code, count, path_part});
}

void MemoryFileSystem::fail_syncs(int count) {
  SLUICE_ASSERT(count >= 0);
  std::lock_guard lock(state_->mutex);
  state_->sync_faults = count;
}

void MemoryFileSystem::set_capacity(uint64_t bytes) {
  std::lock_guard lock(state_->mutex);
  state_->capacity_bytes = bytes;
}

uint64_t MemoryFileSystem::used_bytes() const {
  std::lock_guard lock(state_->mutex);
  return state_->used_bytes();
}

Result<void> MemoryFileSystem::flip_byte(const std::string& path, uint64_t offset, uint8_t mask) {
  Result<std::string> normal = normalize(path);
  if (!normal.ok()) return std::move(normal).error();
  std::lock_guard lock(state_->mutex);
  return state_->flip_byte(*normal, offset, mask);
}

void MemoryFileSystem::crash(bool torn, uint64_t seed) {
  std::lock_guard lock(state_->mutex);
  state_->crash(torn, seed);
}

void MemoryFileSystem::shuffle_completions(bool on, uint64_t seed) {
  std::lock_guard lock(state_->mutex);
  state_->shuffle = on;
  state_->shuffle_random = Random(seed);
}

Result<std::string> MemoryFileSystem::contents(const std::string& path) const {
  Result<std::string> normal = normalize(path);
  if (!normal.ok()) return normal;
  std::lock_guard lock(state_->mutex);
  Result<InodePtr> inode = state_->find_file(*normal);
  if (!inode.ok()) return std::move(inode).error();
  return (*inode)->current;
}

Result<FileHandle> MemoryFileSystem::open(const std::string& path, const OpenOptions& options) {
  Result<std::string> normal = normalize(path);
  if (!normal.ok()) return std::move(normal).error();
  std::lock_guard lock(state_->mutex);
  return state_->open(*normal, options);
}

Result<void> MemoryFileSystem::close(FileHandle file) {
  std::lock_guard lock(state_->mutex);
  SLUICE_TRY(state_->lookup(file));
  for (const IoOp* op : state_->queue) {
    SLUICE_ASSERT_MSG(op->state.file != file, "close() with an asynchronous operation in flight");
  }
  state_->open_files.erase(file.id);
  return {};
}

Result<uint64_t> MemoryFileSystem::size(FileHandle file) {
  std::lock_guard lock(state_->mutex);
  Result<OpenFile*> open_file = state_->lookup(file);
  if (!open_file.ok()) return std::move(open_file).error();
  return static_cast<uint64_t>((*open_file)->inode->current.size());
}

Result<uint64_t> MemoryFileSystem::read(FileHandle file, uint64_t offset,
                                        std::span<std::byte> out) {
  std::lock_guard lock(state_->mutex);
  return state_->read(file, offset, out);
}

Result<void> MemoryFileSystem::write(FileHandle file, uint64_t offset,
                                     std::span<const std::byte> data) {
  std::lock_guard lock(state_->mutex);
  return state_->write(file, offset, data);
}

Result<void> MemoryFileSystem::datasync(FileHandle file) {
  std::lock_guard lock(state_->mutex);
  return state_->datasync(file);
}

Result<void> MemoryFileSystem::truncate(FileHandle file, uint64_t size) {
  std::lock_guard lock(state_->mutex);
  return state_->truncate(file, size);
}

Result<void> MemoryFileSystem::allocate(FileHandle file, uint64_t offset, uint64_t length) {
  std::lock_guard lock(state_->mutex);
  return state_->allocate(file, offset, length);
}

Result<void> MemoryFileSystem::create_directories(const std::string& path) {
  Result<std::string> normal = normalize(path);
  if (!normal.ok()) return std::move(normal).error();
  std::lock_guard lock(state_->mutex);
  return state_->create_directories(*normal);
}

Result<std::vector<std::string>> MemoryFileSystem::list_directory(const std::string& path) {
  Result<std::string> normal = normalize(path);
  if (!normal.ok()) return std::move(normal).error();
  std::lock_guard lock(state_->mutex);
  return state_->list_directory(*normal);
}

// A missing path is not a directory: false, as std::filesystem::is_directory.
Result<bool> MemoryFileSystem::is_directory(const std::string& path) {
  Result<std::string> normal = normalize(path);
  if (!normal.ok()) return std::move(normal).error();
  std::lock_guard lock(state_->mutex);
  return state_->directories.count(*normal) != 0;
}

Result<bool> MemoryFileSystem::exists(const std::string& path) {
  Result<std::string> normal = normalize(path);
  if (!normal.ok()) return std::move(normal).error();
  std::lock_guard lock(state_->mutex);
  return state_->directories.count(*normal) != 0 || state_->find_file(*normal).ok();
}

Result<void> MemoryFileSystem::remove_directory(const std::string& path) {
  Result<std::string> normal = normalize(path);
  if (!normal.ok()) return std::move(normal).error();
  std::lock_guard lock(state_->mutex);
  return state_->remove_directory(*normal);
}

Result<void> MemoryFileSystem::remove_file(const std::string& path) {
  Result<std::string> normal = normalize(path);
  if (!normal.ok()) return std::move(normal).error();
  std::lock_guard lock(state_->mutex);
  return state_->remove_file(*normal);
}

Result<void> MemoryFileSystem::rename(const std::string& from, const std::string& to) {
  Result<std::string> normal_from = normalize(from);
  if (!normal_from.ok()) return std::move(normal_from).error();
  Result<std::string> normal_to = normalize(to);
  if (!normal_to.ok()) return std::move(normal_to).error();
  std::lock_guard lock(state_->mutex);
  return state_->rename(*normal_from, *normal_to);
}

Result<void> MemoryFileSystem::sync_directory(const std::string& path) {
  Result<std::string> normal = normalize(path);
  if (!normal.ok()) return std::move(normal).error();
  std::lock_guard lock(state_->mutex);
  auto it = state_->directories.find(*normal);
  if (it == state_->directories.end()) {
    if (state_->find_file(*normal).ok()) {
      return Error(Errc::invalid_argument, *normal + ": not a directory");
    }
    return Error(Errc::not_found, *normal + ": no such directory");
  }
  it->second.durable_entries = it->second.entries;
  return {};
}

void MemoryFileSystem::write_async(FileHandle file, uint64_t offset,
                                   std::span<const std::byte> data, IoOp& op) {
  // The buffer is only read: the pointer is stored non-const because IoOp::State holds both.
  prepare(op, kOpWrite, file, offset, const_cast<std::byte*>(data.data()), data.size());
  std::lock_guard lock(state_->mutex);
  state_->count_async_write(file);
  state_->enqueue(op);
}

uint64_t MemoryFileSystem::async_writes() const {
  std::lock_guard lock(state_->mutex);
  return state_->async_writes;
}

uint64_t MemoryFileSystem::async_direct_writes() const {
  std::lock_guard lock(state_->mutex);
  return state_->async_direct_writes;
}

void MemoryFileSystem::read_async(FileHandle file, uint64_t offset, std::span<std::byte> out,
                                  IoOp& op) {
  prepare(op, kOpRead, file, offset, out.data(), out.size());
  std::lock_guard lock(state_->mutex);
  state_->enqueue(op);
}

void MemoryFileSystem::datasync_async(FileHandle file, IoOp& op) {
  prepare(op, kOpSync, file, 0, nullptr, 0);
  std::lock_guard lock(state_->mutex);
  state_->enqueue(op);
}

void MemoryFileSystem::timer_async(std::chrono::nanoseconds /*after*/, IoOp& op) {
  prepare(op, kOpTimer, FileHandle{}, 0, nullptr, 0);
  std::lock_guard lock(state_->mutex);
  state_->enqueue(op);
}

void MemoryFileSystem::write_then_datasync_async(FileHandle file, uint64_t offset,
                                                 std::span<const std::byte> data, IoOp& write_op,
                                                 IoOp& sync_op) {
  SLUICE_ASSERT(&write_op != &sync_op);
  prepare(write_op, kOpWrite, file, offset, const_cast<std::byte*>(data.data()), data.size());
  prepare(sync_op, kOpSync, file, 0, nullptr, 0);
  write_op.state.linked = &sync_op;
  std::lock_guard lock(state_->mutex);
  state_->count_async_write(file);
  state_->enqueue(write_op);
  state_->enqueue(sync_op);
}

// Runs what was queued at entry; operations queued by its callbacks wait for the next call.
// With nothing queued it returns at once: no other source can complete an operation, so
// waiting would only sleep (and a poller that parks on it spins instead).
size_t MemoryFileSystem::poll(std::chrono::microseconds /*wait*/) {
  size_t count = 0;
  uint64_t epoch = 0;
  {
    std::lock_guard lock(state_->mutex);
    count = state_->queue.size();
    if (count == 0) return 0;
    if (state_->shuffle) state_->shuffle_queue(count);
    epoch = state_->crash_epoch;
  }
  size_t run = 0;
  while (run < count) {
    std::optional<std::pair<IoOp*, Result<uint64_t>>> next;
    {
      std::lock_guard lock(state_->mutex);
      next = state_->take_next(epoch);
    }
    if (!next) break;  // a callback crashed the file system: the rest was dropped
    // The mutex is released: the callback may call back into the file system.
    next->first->callback(*next->first, std::move(next->second));
    ++run;
  }
  return run;
}

// poll() never sleeps, so there is nothing to wake.
void MemoryFileSystem::wake() {}

size_t MemoryFileSystem::in_flight() const {
  std::lock_guard lock(state_->mutex);
  return state_->queue.size();
}

}  // namespace sluice::io
