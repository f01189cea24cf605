// Test helpers for partition logs on the real file system: the bytes of a file, the batches at
// the start of a segment file, every record of a log read back with its offset, and an append
// that polls until its durability is reached.
#pragma once

#include "io/file_system.h"
#include "partitions/partition_log.h"

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace sluice::testing {

// The whole file (empty when it cannot be read).
std::vector<std::byte> read_file_bytes(const std::string& path);
// Writes `data` at `position` of an existing file, keeping the rest of it.
bool write_file_bytes(const std::string& path, uint64_t position, std::span<const std::byte> data);

struct BatchSpan {
  uint64_t position = 0;
  uint64_t bytes = 0;
  int64_t base_offset = 0;
  int64_t last_offset = 0;
  uint64_t end() const { return position + bytes; }
};

// The whole batches at the start of a segment file, up to the first that does not decode, does
// not fit or fails its CRC (the zero fill after the data of an active segment ends the list).
std::vector<BatchSpan> find_batches(std::span<const std::byte> file);

struct Record {
  int64_t offset = 0;
  std::string value;
  friend bool operator==(const Record&, const Record&) = default;
};

// Every record of `log` from `from` up to its next_offset. Each batch read is checked: a good
// CRC, records that decode, offsets that follow with no gap. A failed check fails the test
// (and the records read so far are returned).
std::vector<Record> read_records(const partitions::PartitionLog& log, int64_t from);

// Appends and polls `fs` until `durability` is reached (at most `timeout`); the append's
// result, or its callback's.
Result<partitions::AppendInfo> append_wait(
    io::FileSystem& fs, partitions::PartitionLog& log, std::span<const std::byte> batch,
    Durability durability, std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace sluice::testing
