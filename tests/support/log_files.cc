#include "tests/support/log_files.h"

#include "partitions/record_batch.h"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <optional>

namespace sluice::testing {

std::vector<std::byte> read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return {};
  std::vector<std::byte> bytes(static_cast<size_t>(in.tellg()));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!in) return {};
  return bytes;
}

bool write_file_bytes(const std::string& path, uint64_t position, std::span<const std::byte> data) {
  std::fstream out(path, std::ios::binary | std::ios::in | std::ios::out);
  if (!out) return false;
  out.seekp(static_cast<std::streamoff>(position));
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  out.flush();
  return static_cast<bool>(out);
}

std::vector<BatchSpan> find_batches(std::span<const std::byte> file) {
  std::vector<BatchSpan> batches;
  uint64_t position = 0;
  while (file.size() - position >= partitions::kBatchHeaderBytes) {
    auto rest = file.subspan(position);
    auto header = partitions::decode_batch_header(rest);
    if (!header.ok() || header->total_bytes() > rest.size()) break;
    if (!partitions::batch_crc_ok(rest.first(header->total_bytes()))) break;
    batches.push_back(
        {position, header->total_bytes(), header->base_offset, header->last_offset()});
    position += header->total_bytes();
  }
  return batches;
}

std::vector<Record> read_records(const partitions::PartitionLog& log, int64_t from) {
  std::vector<Record> records;
  const int64_t end = log.next_offset();
  int64_t offset = from;
  while (offset < end) {
    auto read = log.read(offset, 64 * 1024);
    if (!read.ok()) {
      ADD_FAILURE() << "read at offset " << offset << " failed: " << read.error().to_string();
      return records;
    }
    std::span<const std::byte> rest(read->bytes);
    if (rest.empty()) {
      ADD_FAILURE() << "empty read at offset " << offset << " below next_offset " << end;
      return records;
    }
    while (!rest.empty()) {
      auto header = partitions::decode_batch_header(rest);
      if (!header.ok() || header->total_bytes() > rest.size()) {
        ADD_FAILURE() << "read returned a bad batch header near offset " << offset;
        return records;
      }
      auto batch = rest.first(header->total_bytes());
      if (!partitions::batch_crc_ok(batch)) {
        ADD_FAILURE() << "read returned a batch that fails its CRC, base offset "
                      << header->base_offset;
        return records;
      }
      // The first batch may start before `from` (reads return the batch holding it).
      if (header->base_offset > offset || header->last_offset() < offset) {
        ADD_FAILURE() << "batch " << header->base_offset << ".." << header->last_offset()
                      << " does not continue at offset " << offset;
        return records;
      }
      auto decoded = partitions::decode_records(batch);
      if (!decoded.ok()) {
        ADD_FAILURE() << "records of batch " << header->base_offset
                      << " do not decode: " << decoded.error().to_string();
        return records;
      }
      for (const auto& record : *decoded) {
        if (record.offset < offset) continue;
        if (record.offset != offset) {
          ADD_FAILURE() << "record offset " << record.offset << ", expected " << offset;
          return records;
        }
        auto value = record.value.value_or(std::span<const std::byte>{});
        records.push_back({record.offset,
                           std::string(reinterpret_cast<const char*>(value.data()), value.size())});
        ++offset;
      }
      rest = rest.subspan(header->total_bytes());
    }
    if (read->next_offset != offset) {
      ADD_FAILURE() << "read's next_offset " << read->next_offset << ", records end at " << offset;
      return records;
    }
  }
  return records;
}

Result<partitions::AppendInfo> append_wait(io::FileSystem& fs, partitions::PartitionLog& log,
                                           std::span<const std::byte> batch, Durability durability,
                                           std::chrono::milliseconds timeout) {
  // Shared with the callback, which may still run after a timeout.
  auto completed = std::make_shared<std::optional<Result<partitions::AppendInfo>>>();
  auto appended =
      log.append(batch, durability,
                 [completed](const Result<partitions::AppendInfo>& r) { completed->emplace(r); });
  if (!appended.ok() || durability == Durability::none) return appended;
  log.flush();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!*completed && std::chrono::steady_clock::now() < deadline)
    fs.poll(std::chrono::milliseconds(1));
  if (!*completed) return Result<partitions::AppendInfo>(Errc::timed_out, "never completed");
  return **completed;
}

}  // namespace sluice::testing
