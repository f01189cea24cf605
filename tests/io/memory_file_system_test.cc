// Tests of MemoryFileSystem, the twin the partition log's tests use to inject faults: if the
// twin is wrong, those tests prove nothing, so every rule of its model is checked here.
#include "io/memory_file_system.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace sluice::io {
namespace {

std::span<const std::byte> bytes(const std::string& text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

// A literal's bytes (without its NUL) live for the whole program, so they may be handed to
// asynchronous calls, which read the buffer only when poll() runs them.
template <size_t N>
std::span<const std::byte> bytes(const char (&literal)[N]) {
  return std::as_bytes(std::span(literal, N - 1));
}

// Opens (creating) a writable file, failing the test if it cannot.
FileHandle create(MemoryFileSystem& fs, const std::string& path, bool direct = false) {
  Result<FileHandle> file = fs.open(path, {.create = true, .writable = true, .direct = direct});
  EXPECT_TRUE(file.ok()) << file.error().to_string();
  return file.ok() ? *file : FileHandle{};
}

std::string read_all(MemoryFileSystem& fs, FileHandle file) {
  std::string out(static_cast<size_t>(*fs.size(file)), '\0');
  Result<uint64_t> n = fs.read(file, 0, std::as_writable_bytes(std::span(out.data(), out.size())));
  EXPECT_TRUE(n.ok());
  EXPECT_EQ(*n, out.size());
  return out;
}

// A file "/d/f" whose bytes and directory entry are both durable.
FileHandle durable_file(MemoryFileSystem& fs, const std::string& text) {
  EXPECT_TRUE(fs.create_directories("/d").ok());
  FileHandle file = create(fs, "/d/f");
  EXPECT_TRUE(fs.write(file, 0, bytes(text)).ok());
  EXPECT_TRUE(fs.datasync(file).ok());
  EXPECT_TRUE(fs.sync_directory("/d").ok());
  return file;
}

// An IoOp that records its completion in a shared list.
struct Completion {
  int tag;
  bool ok;
  Errc code;
  uint64_t value;
};

struct TestOp {
  IoOp op;
  int tag = 0;
  std::vector<Completion>* log = nullptr;
};

void record(IoOp& op, Result<uint64_t> result) {
  auto* test_op = static_cast<TestOp*>(op.context);
  test_op->log->push_back(Completion{test_op->tag, result.ok(),
                                     result.ok() ? Errc::io_error : result.code(),
                                     result.ok() ? *result : 0});
}

std::vector<std::unique_ptr<TestOp>> make_ops(int count, std::vector<Completion>* log) {
  std::vector<std::unique_ptr<TestOp>> ops;
  for (int i = 0; i < count; ++i) {
    auto op = std::make_unique<TestOp>();
    op->op.callback = &record;
    op->op.context = op.get();
    op->tag = i;
    op->log = log;
    ops.push_back(std::move(op));
  }
  return ops;
}

// A 4096-aligned buffer for O_DIRECT tests.
struct AlignedBuffer {
  explicit AlignedBuffer(size_t size)
      : data(static_cast<std::byte*>(std::aligned_alloc(kDirectIoAlignment, size))), length(size) {
    std::fill(data, data + size, std::byte{'x'});
  }
  ~AlignedBuffer() { std::free(data); }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  std::span<std::byte> span(size_t offset, size_t size) { return {data + offset, size}; }
  std::byte* data;
  size_t length;
};

// ---- Files and directories ----

TEST(MemoryFileSystem, WriteThenReadRoundTrips) {
  MemoryFileSystem fs;
  FileHandle file = create(fs, "/f");
  ASSERT_TRUE(fs.write(file, 0, bytes("hello")).ok());
  ASSERT_TRUE(fs.write(file, 5, bytes(" world")).ok());
  ASSERT_TRUE(fs.write(file, 0, bytes("J")).ok());
  EXPECT_EQ(*fs.size(file), 11u);
  EXPECT_EQ(read_all(fs, file), "Jello world");
  EXPECT_EQ(*fs.contents("/f"), "Jello world");
  // A write past the end leaves a zero-filled hole.
  ASSERT_TRUE(fs.write(file, 13, bytes("!")).ok());
  EXPECT_EQ(*fs.contents("/f"), std::string("Jello world\0\0!", 14));
}

TEST(MemoryFileSystem, ReadReturnsFewerBytesOnlyAtEndOfFile) {
  MemoryFileSystem fs;
  FileHandle file = create(fs, "/f");
  ASSERT_TRUE(fs.write(file, 0, bytes("abcdef")).ok());
  std::string out(4, '\0');
  auto span = std::as_writable_bytes(std::span(out.data(), out.size()));
  EXPECT_EQ(*fs.read(file, 1, span), 4u);
  EXPECT_EQ(out, "bcde");
  EXPECT_EQ(*fs.read(file, 4, span), 2u);
  EXPECT_EQ(out.substr(0, 2), "ef");
  EXPECT_EQ(*fs.read(file, 6, span), 0u);
  EXPECT_EQ(*fs.read(file, 100, span), 0u);
}

TEST(MemoryFileSystem, PathsAreNormalized) {
  MemoryFileSystem fs;
  ASSERT_TRUE(fs.create_directories("a//b/").ok());
  EXPECT_TRUE(*fs.is_directory("/a/b"));
  EXPECT_TRUE(*fs.is_directory("a/./b/"));
  FileHandle file = create(fs, "/a//b/f");
  ASSERT_TRUE(fs.write(file, 0, bytes("x")).ok());
  EXPECT_EQ(*fs.contents("a/b/f"), "x");
  EXPECT_EQ(*fs.contents("/a/b/../b/f"), "x");
  EXPECT_TRUE(*fs.exists("/a/b/f/"));
  EXPECT_EQ(fs.contents("/../f").code(), Errc::invalid_argument);
  EXPECT_EQ(fs.open("", {.create = true}).code(), Errc::invalid_argument);
}

TEST(MemoryFileSystem, OpenNeedsParentDirectoryAndRespectsFlags) {
  MemoryFileSystem fs;
  EXPECT_EQ(fs.open("/missing/f", {.create = true}).code(), Errc::not_found);
  EXPECT_EQ(fs.open("/f", {}).code(), Errc::not_found);
  EXPECT_FALSE(*fs.exists("/f"));
  ASSERT_TRUE(fs.open("/f", {.create = true}).ok());
  EXPECT_TRUE(*fs.exists("/f"));
  EXPECT_EQ(fs.open("/f", {.create = true, .exclusive = true}).code(), Errc::already_exists);
  EXPECT_TRUE(fs.open("/f", {.create = true}).ok());  // not exclusive: opens the file
  ASSERT_TRUE(fs.create_directories("/dir").ok());
  EXPECT_EQ(fs.open("/dir", {.create = true}).code(), Errc::invalid_argument);
  EXPECT_EQ(fs.open("/", {}).code(), Errc::invalid_argument);
}

TEST(MemoryFileSystem, CreateDirectoriesMakesParentsAndListsSorted) {
  MemoryFileSystem fs;
  ASSERT_TRUE(fs.create_directories("/x/y/z").ok());
  ASSERT_TRUE(fs.create_directories("/x/y/z").ok());  // exists already: success
  ASSERT_TRUE(fs.create_directories("/x/a").ok());
  EXPECT_TRUE(*fs.is_directory("/x"));
  EXPECT_TRUE(*fs.is_directory("/x/y"));
  EXPECT_FALSE(*fs.is_directory("/nothing"));
  create(fs, "/x/m.log");
  create(fs, "/x/b.log");
  EXPECT_FALSE(*fs.is_directory("/x/m.log"));
  EXPECT_EQ(*fs.list_directory("/x"), (std::vector<std::string>{"a", "b.log", "m.log", "y"}));
  EXPECT_EQ(*fs.list_directory("/"), (std::vector<std::string>{"x"}));
  EXPECT_EQ(fs.list_directory("/nothing").code(), Errc::not_found);
  EXPECT_EQ(fs.list_directory("/x/m.log").code(), Errc::invalid_argument);
  // A file in the way of a directory fails and creates nothing.
  EXPECT_EQ(fs.create_directories("/x/m.log/sub").code(), Errc::already_exists);
  EXPECT_FALSE(*fs.is_directory("/x/m.log/sub"));
  EXPECT_FALSE(*fs.exists("/x/m.log/sub"));
}

TEST(MemoryFileSystem, RemoveAndRenameChangeEntries) {
  MemoryFileSystem fs;
  FileHandle a = create(fs, "/a");
  ASSERT_TRUE(fs.write(a, 0, bytes("AAA")).ok());
  FileHandle b = create(fs, "/b");
  ASSERT_TRUE(fs.write(b, 0, bytes("BBB")).ok());
  // rename replaces the target, as rename(2).
  ASSERT_TRUE(fs.rename("/a", "/b").ok());
  EXPECT_FALSE(*fs.exists("/a"));
  EXPECT_EQ(*fs.contents("/b"), "AAA");
  EXPECT_EQ(fs.rename("/a", "/c").code(), Errc::not_found);
  EXPECT_EQ(fs.rename("/b", "/nodir/c").code(), Errc::not_found);
  ASSERT_TRUE(fs.create_directories("/d").ok());
  EXPECT_EQ(fs.rename("/d", "/e").code(), Errc::unsupported);
  EXPECT_EQ(fs.rename("/b", "/d").code(), Errc::invalid_argument);
  // A removed file stays readable through a handle that was open, as on Linux.
  ASSERT_TRUE(fs.remove_file("/b").ok());
  EXPECT_FALSE(*fs.exists("/b"));
  EXPECT_EQ(fs.remove_file("/b").code(), Errc::not_found);
  EXPECT_EQ(fs.remove_file("/d").code(), Errc::invalid_argument);
  EXPECT_EQ(read_all(fs, a), "AAA");
  EXPECT_EQ(*fs.list_directory("/"), (std::vector<std::string>{"d"}));
}

TEST(MemoryFileSystem, TruncateAndAllocateChangeSize) {
  MemoryFileSystem fs;
  FileHandle file = create(fs, "/f");
  ASSERT_TRUE(fs.write(file, 0, bytes("abcdef")).ok());
  ASSERT_TRUE(fs.truncate(file, 3).ok());
  EXPECT_EQ(*fs.contents("/f"), "abc");
  ASSERT_TRUE(fs.allocate(file, 2, 6).ok());  // extends to 8, zero-filled
  EXPECT_EQ(*fs.contents("/f"), std::string("abc\0\0\0\0\0", 8));
  ASSERT_TRUE(fs.allocate(file, 0, 4).ok());  // inside the file: no change
  EXPECT_EQ(*fs.size(file), 8u);
  EXPECT_EQ(fs.allocate(file, 0, 0).code(), Errc::invalid_argument);
  EXPECT_EQ(fs.used_bytes(), 8u);
}

TEST(MemoryFileSystem, ReadOnlyHandleRejectsChanges) {
  MemoryFileSystem fs;
  FileHandle writer = create(fs, "/f");
  ASSERT_TRUE(fs.write(writer, 0, bytes("data")).ok());
  Result<FileHandle> reader = fs.open("/f", {});
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(fs.write(*reader, 0, bytes("x")).code(), Errc::invalid_argument);
  EXPECT_EQ(fs.truncate(*reader, 0).code(), Errc::invalid_argument);
  EXPECT_EQ(fs.allocate(*reader, 0, 100).code(), Errc::invalid_argument);
  EXPECT_EQ(read_all(fs, *reader), "data");
}

TEST(MemoryFileSystem, ClosedHandleFails) {
  MemoryFileSystem fs;
  FileHandle file = create(fs, "/f");
  ASSERT_TRUE(fs.close(file).ok());
  EXPECT_EQ(fs.close(file).code(), Errc::closed);
  EXPECT_EQ(fs.size(file).code(), Errc::closed);
  EXPECT_EQ(fs.write(file, 0, bytes("x")).code(), Errc::closed);
  EXPECT_EQ(fs.size(FileHandle{}).code(), Errc::closed);
  // Ids are not reused, so a stale handle cannot reach a newer file.
  FileHandle again = create(fs, "/f");
  EXPECT_NE(again, file);
  EXPECT_EQ(fs.size(file).code(), Errc::closed);
}

// ---- Crashes ----

TEST(MemoryFileSystem, CrashDropsUnsyncedData) {
  MemoryFileSystem fs;
  FileHandle file = durable_file(fs, "synced");
  ASSERT_TRUE(fs.write(file, 6, bytes(" and not")).ok());
  ASSERT_TRUE(fs.write(file, 0, bytes("S")).ok());
  EXPECT_EQ(*fs.contents("/d/f"), "Synced and not");
  fs.crash();
  EXPECT_EQ(*fs.contents("/d/f"), "synced");
  // Truncation is undone too.
  Result<FileHandle> again = fs.open("/d/f", {.writable = true});
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE(fs.truncate(*again, 0).ok());
  fs.crash();
  EXPECT_EQ(*fs.contents("/d/f"), "synced");
}

TEST(MemoryFileSystem, CrashDropsFileNotSyncedInItsDirectory) {
  MemoryFileSystem fs;
  ASSERT_TRUE(fs.create_directories("/d").ok());
  FileHandle lost = create(fs, "/d/lost");
  ASSERT_TRUE(fs.write(lost, 0, bytes("data")).ok());
  ASSERT_TRUE(fs.datasync(lost).ok());  // bytes durable, the entry is not
  fs.crash();
  EXPECT_FALSE(*fs.exists("/d/lost"));
  EXPECT_TRUE(*fs.is_directory("/d"));  // directories themselves always survive

  FileHandle kept = create(fs, "/d/kept");
  ASSERT_TRUE(fs.write(kept, 0, bytes("data")).ok());
  ASSERT_TRUE(fs.sync_directory("/d").ok());  // entry durable, the bytes are not
  fs.crash();
  EXPECT_EQ(*fs.contents("/d/kept"), "");
  EXPECT_EQ(*fs.list_directory("/d"), (std::vector<std::string>{"kept"}));
}

TEST(MemoryFileSystem, CrashBringsBackUnsyncedRemoveAndRename) {
  MemoryFileSystem fs;
  durable_file(fs, "content");
  ASSERT_TRUE(fs.remove_file("/d/f").ok());
  fs.crash();
  EXPECT_EQ(*fs.contents("/d/f"), "content");

  ASSERT_TRUE(fs.rename("/d/f", "/d/g").ok());
  fs.crash();
  EXPECT_EQ(*fs.list_directory("/d"), (std::vector<std::string>{"f"}));

  ASSERT_TRUE(fs.rename("/d/f", "/d/g").ok());
  ASSERT_TRUE(fs.sync_directory("/d").ok());
  fs.crash();
  EXPECT_EQ(*fs.list_directory("/d"), (std::vector<std::string>{"g"}));
  EXPECT_EQ(*fs.contents("/d/g"), "content");

  ASSERT_TRUE(fs.remove_file("/d/g").ok());
  ASSERT_TRUE(fs.sync_directory("/d").ok());
  fs.crash();
  EXPECT_FALSE(*fs.exists("/d/g"));
  EXPECT_EQ(fs.sync_directory("/nothing").code(), Errc::not_found);
}

TEST(MemoryFileSystem, HandlesAreInvalidAfterCrash) {
  MemoryFileSystem fs;
  FileHandle file = durable_file(fs, "abc");
  fs.crash();
  std::string out(3, '\0');
  EXPECT_EQ(fs.read(file, 0, std::as_writable_bytes(std::span(out.data(), 3))).code(),
            Errc::closed);
  EXPECT_EQ(fs.write(file, 0, bytes("x")).code(), Errc::closed);
  EXPECT_EQ(fs.datasync(file).code(), Errc::closed);
  EXPECT_EQ(fs.truncate(file, 0).code(), Errc::closed);
  EXPECT_EQ(fs.allocate(file, 0, 1).code(), Errc::closed);
  EXPECT_EQ(fs.size(file).code(), Errc::closed);
  EXPECT_EQ(fs.close(file).code(), Errc::closed);
  // Asynchronous calls report it through the callback.
  std::vector<Completion> log;
  auto ops = make_ops(1, &log);
  fs.write_async(file, 0, bytes("x"), ops[0]->op);
  EXPECT_EQ(fs.poll(std::chrono::microseconds(0)), 1u);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_FALSE(log[0].ok);
  EXPECT_EQ(log[0].code, Errc::closed);
  EXPECT_EQ(*fs.contents("/d/f"), "abc");
}

// The images a torn crash may leave: the durable bytes plus the first k writes, plus a prefix
// of write k (k < writes.size()). Offsets here never leave holes.
std::set<std::string> torn_candidates(const std::string& durable,
                                      const std::vector<std::pair<uint64_t, std::string>>& writes) {
  std::set<std::string> out;
  std::string image = durable;
  for (size_t k = 0; k <= writes.size(); ++k) {
    out.insert(image);
    if (k == writes.size()) break;
    const auto& [offset, text] = writes[k];
    for (size_t cut = 1; cut <= text.size(); ++cut) {
      std::string partial = image;
      if (partial.size() < offset + cut) partial.resize(offset + cut);
      partial.replace(offset, cut, text.substr(0, cut));
      out.insert(partial);
      if (cut == text.size()) image = partial;
    }
  }
  return out;
}

std::string torn_outcome(uint64_t seed,
                         const std::vector<std::pair<uint64_t, std::string>>& writes) {
  MemoryFileSystem fs;
  FileHandle file = durable_file(fs, "0123456789");
  for (const auto& [offset, text] : writes)
    EXPECT_TRUE(fs.write(file, offset, bytes(text)).ok());
  fs.crash(/*torn=*/true, seed);
  return *fs.contents("/d/f");
}

TEST(MemoryFileSystem, TornCrashKeepsAPrefixOfUnsyncedWrites) {
  const std::vector<std::pair<uint64_t, std::string>> writes = {
      {10, "abcdefgh"}, {18, "ijklmnop"}, {2, "QRSTUV"}, {26, "wxyz"}};
  const std::set<std::string> candidates = torn_candidates("0123456789", writes);
  std::set<std::string> seen;
  bool cut_mid_write = false;
  for (uint64_t seed = 0; seed < 300; ++seed) {
    const std::string outcome = torn_outcome(seed, writes);
    // Never anything but durable bytes plus a prefix of what was written, in order.
    ASSERT_EQ(candidates.count(outcome), 1u) << "seed " << seed << ": " << outcome;
    ASSERT_EQ(outcome, torn_outcome(seed, writes)) << "a seed must reproduce its crash";
    seen.insert(outcome);
    cut_mid_write |= outcome.size() == 14;  // inside "abcdefgh"
  }
  EXPECT_TRUE(seen.count("0123456789"));  // nothing kept
  EXPECT_GT(seen.size(), 8u);             // the seed really varies the outcome
  EXPECT_TRUE(cut_mid_write);
}

TEST(MemoryFileSystem, TornCrashReplaysTruncatesAndKeepsSyncedData) {
  std::set<std::string> seen;
  for (uint64_t seed = 0; seed < 100; ++seed) {
    MemoryFileSystem fs;
    FileHandle file = durable_file(fs, "durable");
    ASSERT_TRUE(fs.truncate(file, 3).ok());
    ASSERT_TRUE(fs.write(file, 3, bytes("XY")).ok());
    fs.crash(true, seed);
    const std::string outcome = *fs.contents("/d/f");
    EXPECT_TRUE(outcome == "durable" || outcome == "dur" || outcome == "durX" || outcome == "durXY")
        << outcome;
    seen.insert(outcome);
    // What survived the crash is now durable: a second crash changes nothing.
    fs.crash(true, seed + 1);
    EXPECT_EQ(*fs.contents("/d/f"), outcome);
  }
  EXPECT_EQ(seen.size(), 4u);
}

TEST(MemoryFileSystem, TornCrashDropsFileNotInDurableEntries) {
  MemoryFileSystem fs;
  ASSERT_TRUE(fs.create_directories("/d").ok());
  FileHandle file = create(fs, "/d/new");
  ASSERT_TRUE(fs.write(file, 0, bytes("abc")).ok());
  fs.crash(true, 7);
  EXPECT_FALSE(*fs.exists("/d/new"));
}

// ---- Injected faults ----

TEST(MemoryFileSystem, CapacityFailsWithNoSpaceAndChangesNothing) {
  MemoryFileSystem fs;
  fs.set_capacity(100);
  FileHandle a = create(fs, "/a");
  FileHandle b = create(fs, "/b");
  ASSERT_TRUE(fs.write(a, 0, bytes(std::string(60, 'a'))).ok());
  ASSERT_TRUE(fs.write(b, 0, bytes(std::string(30, 'b'))).ok());
  EXPECT_EQ(fs.used_bytes(), 90u);
  EXPECT_EQ(fs.write(b, 25, bytes(std::string(20, 'B'))).code(), Errc::no_space);
  EXPECT_EQ(fs.allocate(a, 0, 71).code(), Errc::no_space);
  EXPECT_EQ(*fs.contents("/b"), std::string(30, 'b'));
  EXPECT_EQ(*fs.size(a), 60u);
  EXPECT_EQ(fs.used_bytes(), 90u);
  // Overwriting in place and growing up to the capacity still work.
  ASSERT_TRUE(fs.write(b, 0, bytes(std::string(30, 'c'))).ok());
  ASSERT_TRUE(fs.allocate(a, 0, 70).ok());
  EXPECT_EQ(fs.used_bytes(), 100u);
  EXPECT_EQ(fs.write(a, 70, bytes("z")).code(), Errc::no_space);
  // Asynchronous writes hit the same limit.
  std::vector<Completion> log;
  auto ops = make_ops(1, &log);
  fs.write_async(a, 70, bytes("z"), ops[0]->op);
  fs.poll(std::chrono::microseconds(0));
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].code, Errc::no_space);
  // Room again: after raising the capacity, or after freeing a file.
  fs.set_capacity(200);
  ASSERT_TRUE(fs.write(a, 70, bytes("z")).ok());
  fs.set_capacity(101);
  ASSERT_TRUE(fs.close(b).ok());
  ASSERT_TRUE(fs.remove_file("/b").ok());
  EXPECT_EQ(fs.used_bytes(), 71u);
  ASSERT_TRUE(fs.write(a, 71, bytes(std::string(30, 'q'))).ok());
  fs.set_capacity(0);  // unlimited
  ASSERT_TRUE(fs.write(a, 1000, bytes("far")).ok());
}

TEST(MemoryFileSystem, FailWritesHonoursCountAndPathFilter) {
  MemoryFileSystem fs;
  FileHandle log_file = create(fs, "/0.log");
  FileHandle index = create(fs, "/0.index");
  fs.fail_writes(Errc::io_error, 2, ".index");
  ASSERT_TRUE(fs.write(log_file, 0, bytes("log")).ok());
  EXPECT_EQ(fs.write(index, 0, bytes("i1")).code(), Errc::io_error);
  EXPECT_EQ(fs.allocate(index, 0, 4096).code(), Errc::io_error);
  EXPECT_EQ(*fs.contents("/0.index"), "");
  ASSERT_TRUE(fs.write(index, 0, bytes("i3")).ok());  // the two faults are spent
  EXPECT_EQ(*fs.contents("/0.index"), "i3");
  EXPECT_EQ(*fs.contents("/0.log"), "log");

  // No filter: any file; asynchronous writes count too, and change nothing.
  fs.fail_writes(Errc::no_space, 1);
  std::vector<Completion> log;
  auto ops = make_ops(2, &log);
  fs.write_async(log_file, 3, bytes("A"), ops[0]->op);
  fs.write_async(log_file, 3, bytes("B"), ops[1]->op);
  EXPECT_EQ(fs.poll(std::chrono::microseconds(0)), 2u);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_FALSE(log[0].ok);
  EXPECT_EQ(log[0].code, Errc::no_space);
  EXPECT_TRUE(log[1].ok);
  EXPECT_EQ(*fs.contents("/0.log"), "logB");
}

TEST(MemoryFileSystem, FailWritesFollowsRenamedFiles) {
  MemoryFileSystem fs;
  FileHandle file = create(fs, "/segment.tmp");
  ASSERT_TRUE(fs.rename("/segment.tmp", "/segment.log").ok());
  fs.fail_writes(Errc::io_error, 1, ".log");
  EXPECT_EQ(fs.write(file, 0, bytes("x")).code(), Errc::io_error);
}

TEST(MemoryFileSystem, FailSyncsMakesNothingDurable) {
  MemoryFileSystem fs;
  FileHandle file = durable_file(fs, "one");
  ASSERT_TRUE(fs.write(file, 3, bytes(" two")).ok());
  fs.fail_syncs(2);
  EXPECT_EQ(fs.datasync(file).code(), Errc::io_error);
  std::vector<Completion> log;
  auto ops = make_ops(1, &log);
  fs.datasync_async(file, ops[0]->op);
  fs.poll(std::chrono::microseconds(0));
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].code, Errc::io_error);
  EXPECT_EQ(*fs.contents("/d/f"), "one two");  // readers still see the bytes
  fs.crash();
  EXPECT_EQ(*fs.contents("/d/f"), "one");

  Result<FileHandle> again = fs.open("/d/f", {.writable = true});
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE(fs.write(*again, 3, bytes(" three")).ok());
  ASSERT_TRUE(fs.datasync(*again).ok());  // the faults are spent
  fs.crash();
  EXPECT_EQ(*fs.contents("/d/f"), "one three");
}

TEST(MemoryFileSystem, FlipByteCorruptsCurrentAndDurableBytes) {
  MemoryFileSystem fs;
  FileHandle file = durable_file(fs, "abcd");
  ASSERT_TRUE(fs.flip_byte("/d/f", 1, 0x01).ok());
  EXPECT_EQ(*fs.contents("/d/f"), "accd");
  EXPECT_EQ(read_all(fs, file), "accd");
  fs.crash();
  EXPECT_EQ(*fs.contents("/d/f"), "accd");
  ASSERT_TRUE(fs.flip_byte("/d/f", 3).ok());  // default mask 0xff
  EXPECT_EQ(static_cast<uint8_t>((*fs.contents("/d/f"))[3]), static_cast<uint8_t>('d' ^ 0xff));
  EXPECT_EQ(fs.flip_byte("/d/f", 4).code(), Errc::invalid_argument);
  EXPECT_EQ(fs.flip_byte("/d/nothing", 0).code(), Errc::not_found);
}

TEST(MemoryFileSystem, DirectHandlesNeedAlignedOffsetLengthAndBuffer) {
  MemoryFileSystem fs;
  FileHandle file = create(fs, "/f", /*direct=*/true);
  AlignedBuffer buffer(3 * kDirectIoAlignment);
  ASSERT_TRUE(fs.write(file, 0, buffer.span(0, 2 * kDirectIoAlignment)).ok());
  EXPECT_EQ(fs.write(file, 512, buffer.span(0, kDirectIoAlignment)).code(), Errc::invalid_argument);
  EXPECT_EQ(fs.write(file, 0, buffer.span(0, 100)).code(), Errc::invalid_argument);
  EXPECT_EQ(fs.write(file, 0, buffer.span(8, kDirectIoAlignment)).code(), Errc::invalid_argument);
  EXPECT_EQ(*fs.size(file), 2 * kDirectIoAlignment);  // the refused writes changed nothing
  EXPECT_EQ(*fs.read(file, kDirectIoAlignment, buffer.span(0, 2 * kDirectIoAlignment)),
            kDirectIoAlignment);
  EXPECT_EQ(fs.read(file, 1, buffer.span(0, kDirectIoAlignment)).code(), Errc::invalid_argument);
  EXPECT_EQ(fs.read(file, 0, buffer.span(0, 10)).code(), Errc::invalid_argument);
  EXPECT_EQ(fs.read(file, 0, buffer.span(16, kDirectIoAlignment)).code(), Errc::invalid_argument);
  // Asynchronous calls are checked the same way.
  std::vector<Completion> log;
  auto ops = make_ops(2, &log);
  fs.write_async(file, 4, buffer.span(0, kDirectIoAlignment), ops[0]->op);
  fs.read_async(file, 0, buffer.span(0, kDirectIoAlignment), ops[1]->op);
  EXPECT_EQ(fs.poll(std::chrono::microseconds(0)), 2u);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].code, Errc::invalid_argument);
  EXPECT_TRUE(log[1].ok);
  // A buffered handle on the same file has no such rule.
  Result<FileHandle> buffered = fs.open("/f", {.writable = true});
  ASSERT_TRUE(buffered.ok());
  EXPECT_TRUE(fs.write(*buffered, 3, bytes("odd")).ok());
  // Asynchronous writes are counted, those through direct handles also apart.
  EXPECT_EQ(fs.async_writes(), 1u);
  EXPECT_EQ(fs.async_direct_writes(), 1u);
  auto more = make_ops(3, &log);
  fs.write_async(*buffered, 0, bytes("async"), more[0]->op);
  fs.write_then_datasync_async(file, 0, buffer.span(0, kDirectIoAlignment), more[1]->op,
                               more[2]->op);
  EXPECT_EQ(fs.async_writes(), 3u);
  EXPECT_EQ(fs.async_direct_writes(), 2u);
  EXPECT_EQ(fs.poll(std::chrono::microseconds(0)), 3u);
}

// ---- Asynchronous operations ----

TEST(MemoryFileSystem, AsyncOperationsTakeEffectInPollInSubmissionOrder) {
  MemoryFileSystem fs;
  FileHandle file = create(fs, "/f");
  EXPECT_EQ(fs.poll(std::chrono::microseconds(1000000)), 0u);  // nothing queued: at once
  std::vector<Completion> log;
  auto ops = make_ops(4, &log);
  std::string out(8, '\0');
  fs.write_async(file, 0, bytes("abcd"), ops[0]->op);
  fs.write_async(file, 2, bytes("XYZW"), ops[1]->op);
  fs.read_async(file, 1, std::as_writable_bytes(std::span(out.data(), out.size())), ops[2]->op);
  fs.datasync_async(file, ops[3]->op);
  EXPECT_EQ(fs.in_flight(), 4u);
  EXPECT_EQ(*fs.contents("/f"), "");  // nothing happens before poll
  EXPECT_EQ(fs.poll(std::chrono::microseconds(0)), 4u);
  EXPECT_EQ(fs.in_flight(), 0u);
  ASSERT_EQ(log.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(log[i].tag, i);
    EXPECT_TRUE(log[i].ok);
  }
  EXPECT_EQ(log[0].value, 4u);
  EXPECT_EQ(log[1].value, 4u);
  EXPECT_EQ(log[2].value, 5u);  // short only at end of file
  EXPECT_EQ(log[3].value, 0u);
  EXPECT_EQ(out.substr(0, 5), "bXYZW");
  fs.crash();  // the entry was never synced in "/"
  EXPECT_FALSE(*fs.exists("/f"));
}

// Submits six plain writes (tags 0..5) and three linked write+datasync pairs ((6, 7), (8, 9),
// (10, 11)) with completions shuffled by `seed`, polls once and returns the completion order.
std::vector<int> shuffled_order(uint64_t seed) {
  MemoryFileSystem fs;
  FileHandle file = create(fs, "/f");
  fs.shuffle_completions(true, seed);
  std::vector<Completion> log;
  auto ops = make_ops(12, &log);
  for (int i = 0; i < 6; ++i)
    fs.write_async(file, i, bytes("x"), ops[i]->op);
  for (int i = 6; i < 12; i += 2) {
    fs.write_then_datasync_async(file, 10 + i, bytes("y"), ops[i]->op, ops[i + 1]->op);
  }
  EXPECT_EQ(fs.poll(std::chrono::microseconds(0)), 12u);
  std::vector<int> order;
  for (const Completion& c : log) {
    EXPECT_TRUE(c.ok);
    order.push_back(c.tag);
  }
  return order;
}

TEST(MemoryFileSystem, ShuffledCompletionsKeepLinkedSyncAfterItsWrite) {
  bool reordered = false;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const std::vector<int> order = shuffled_order(seed);
    ASSERT_EQ(order.size(), 12u);
    for (int i = 6; i < 12; i += 2) {
      auto write_at = std::find(order.begin(), order.end(), i);
      auto sync_at = std::find(order.begin(), order.end(), i + 1);
      EXPECT_LT(write_at, sync_at) << "seed " << seed;
    }
    std::vector<int> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
    reordered |= !std::is_sorted(order.begin(), order.end());
    EXPECT_EQ(order, shuffled_order(seed)) << "a seed must reproduce its order";
  }
  EXPECT_TRUE(reordered);
}

TEST(MemoryFileSystem, ShuffledWritesApplyInCompletionOrder) {
  // Two writes to the same bytes: the one that completes last wins, as on a real device.
  std::set<std::string> seen;
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    MemoryFileSystem fs;
    FileHandle file = create(fs, "/f");
    fs.shuffle_completions(true, seed);
    std::vector<Completion> log;
    auto ops = make_ops(2, &log);
    fs.write_async(file, 0, bytes("A"), ops[0]->op);
    fs.write_async(file, 0, bytes("B"), ops[1]->op);
    fs.poll(std::chrono::microseconds(0));
    ASSERT_EQ(log.size(), 2u);
    const std::string expected = log[1].tag == 0 ? "A" : "B";
    EXPECT_EQ(*fs.contents("/f"), expected);
    seen.insert(expected);
  }
  EXPECT_EQ(seen.size(), 2u);
}

TEST(MemoryFileSystem, LinkedWriteThenDatasyncMakesTheWriteDurable) {
  MemoryFileSystem fs;
  FileHandle file = durable_file(fs, "");
  std::vector<Completion> log;
  auto ops = make_ops(2, &log);
  fs.write_then_datasync_async(file, 0, bytes("record"), ops[0]->op, ops[1]->op);
  EXPECT_EQ(fs.in_flight(), 2u);
  EXPECT_EQ(fs.poll(std::chrono::microseconds(0)), 2u);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].tag, 0);
  EXPECT_EQ(log[0].value, 6u);
  EXPECT_EQ(log[1].tag, 1);
  EXPECT_TRUE(log[1].ok);
  fs.crash();
  EXPECT_EQ(*fs.contents("/d/f"), "record");
}

TEST(MemoryFileSystem, LinkedSyncFailsWithItsWrite) {
  MemoryFileSystem fs;
  FileHandle file = durable_file(fs, "old");
  ASSERT_TRUE(fs.write(file, 3, bytes("+unsynced")).ok());
  fs.fail_writes(Errc::io_error, 1);
  std::vector<Completion> log;
  auto ops = make_ops(2, &log);
  fs.write_then_datasync_async(file, 0, bytes("new"), ops[0]->op, ops[1]->op);
  EXPECT_EQ(fs.poll(std::chrono::microseconds(0)), 2u);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_FALSE(log[0].ok);
  EXPECT_EQ(log[0].code, Errc::io_error);
  EXPECT_FALSE(log[1].ok);
  EXPECT_EQ(log[1].code, Errc::io_error);
  // The sync did not run: the earlier unsynced write is still not durable.
  fs.crash();
  EXPECT_EQ(*fs.contents("/d/f"), "old");
}

TEST(MemoryFileSystem, CrashDropsQueuedOperationsWithoutCallbacks) {
  MemoryFileSystem fs;
  FileHandle file = durable_file(fs, "base");
  std::vector<Completion> log;
  auto ops = make_ops(3, &log);
  fs.write_async(file, 0, bytes("XXXX"), ops[0]->op);
  fs.write_then_datasync_async(file, 4, bytes("YY"), ops[1]->op, ops[2]->op);
  fs.crash();
  EXPECT_EQ(fs.in_flight(), 0u);
  EXPECT_EQ(fs.poll(std::chrono::microseconds(0)), 0u);
  EXPECT_TRUE(log.empty());
  EXPECT_EQ(*fs.contents("/d/f"), "base");
}

struct Chain {
  MemoryFileSystem* fs = nullptr;
  FileHandle file;
  IoOp first;
  IoOp second;
  int second_runs = 0;
  bool crash_in_first = false;
};

void on_second(IoOp& op, Result<uint64_t> result) {
  EXPECT_TRUE(result.ok());
  static_cast<Chain*>(op.context)->second_runs++;
}

void on_first(IoOp& op, Result<uint64_t> result) {
  EXPECT_TRUE(result.ok());
  auto* chain = static_cast<Chain*>(op.context);
  if (chain->crash_in_first) {
    chain->fs->crash();  // the file system may be called from a callback: no lock is held
    return;
  }
  chain->fs->write_async(chain->file, 1, bytes("2"), chain->second);
}

TEST(MemoryFileSystem, OperationsQueuedByCallbacksRunInTheNextPoll) {
  MemoryFileSystem fs;
  Chain chain;
  chain.fs = &fs;
  chain.file = create(fs, "/f");
  chain.first = IoOp{&on_first, &chain, {}};
  chain.second = IoOp{&on_second, &chain, {}};
  fs.write_async(chain.file, 0, bytes("1"), chain.first);
  EXPECT_EQ(fs.poll(std::chrono::microseconds(0)), 1u);
  EXPECT_EQ(fs.in_flight(), 1u);
  EXPECT_EQ(chain.second_runs, 0);
  EXPECT_EQ(fs.poll(std::chrono::microseconds(0)), 1u);
  EXPECT_EQ(chain.second_runs, 1);
  EXPECT_EQ(*fs.contents("/f"), "12");
}

TEST(MemoryFileSystem, CrashInACallbackDropsTheRestOfThePoll) {
  MemoryFileSystem fs;
  Chain chain;
  chain.fs = &fs;
  chain.crash_in_first = true;
  chain.file = durable_file(fs, "ab");
  chain.first = IoOp{&on_first, &chain, {}};
  chain.second = IoOp{&on_second, &chain, {}};
  fs.write_async(chain.file, 0, bytes("X"), chain.first);
  fs.write_async(chain.file, 1, bytes("Y"), chain.second);
  EXPECT_EQ(fs.poll(std::chrono::microseconds(0)), 1u);
  EXPECT_EQ(chain.second_runs, 0);
  EXPECT_EQ(fs.in_flight(), 0u);
  EXPECT_EQ(*fs.contents("/d/f"), "ab");
}

TEST(MemoryFileSystem, CallsFromManyThreadsAreSafe) {
  MemoryFileSystem fs;
  ASSERT_TRUE(fs.create_directories("/t").ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&fs, t] {
      const std::string path = "/t/" + std::to_string(t);
      FileHandle file = create(fs, path);
      for (int i = 0; i < 200; ++i) {
        EXPECT_TRUE(fs.write(file, i, bytes(std::string(1, static_cast<char>('a' + t)))).ok());
        if (i % 50 == 0) {
          EXPECT_TRUE(fs.datasync(file).ok());
        }
        (void)fs.used_bytes();
      }
    });
  }
  for (std::thread& thread : threads)
    thread.join();
  for (int t = 0; t < 4; ++t) {
    EXPECT_EQ(*fs.contents("/t/" + std::to_string(t)), std::string(200, 'a' + t));
  }
  EXPECT_EQ(fs.used_bytes(), 800u);
}

TEST(MemoryFileSystemDeathTest, ClosingAFileWithOperationsInFlightIsAProgrammerError) {
  MemoryFileSystem fs;
  FileHandle file = create(fs, "/f");
  std::vector<Completion> log;
  auto ops = make_ops(1, &log);
  fs.write_async(file, 0, bytes("x"), ops[0]->op);
  EXPECT_DEATH((void)fs.close(file), "in flight");
}

// remove_directory: only an empty directory goes (unsynced removals of its files count as
// files still there); missing paths and files are refused.
TEST(MemoryFileSystem, RemoveDirectoryNeedsAnEmptyDirectory) {
  MemoryFileSystem fs;
  ASSERT_TRUE(fs.create_directories("/a/b").ok());
  auto file = fs.open("/a/b/f", OpenOptions{.create = true, .writable = true});
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(fs.close(*file).ok());
  ASSERT_TRUE(fs.sync_directory("/a/b").ok());
  EXPECT_EQ(fs.remove_directory("/a").code(), Errc::already_exists);
  ASSERT_TRUE(fs.remove_file("/a/b/f").ok());
  EXPECT_EQ(fs.remove_directory("/a/b").code(), Errc::already_exists);  // not synced yet
  ASSERT_TRUE(fs.sync_directory("/a/b").ok());
  ASSERT_TRUE(fs.remove_directory("/a/b").ok());
  EXPECT_FALSE(*fs.exists("/a/b"));
  EXPECT_EQ(*fs.list_directory("/a"), std::vector<std::string>{});
  EXPECT_EQ(fs.remove_directory("/a/b").code(), Errc::not_found);
  fs.crash();
  EXPECT_FALSE(*fs.exists("/a/b"));
}

}  // namespace
}  // namespace sluice::io
