// ProducerIds: the producer ids that InitProducerId hands to idempotent Kafka producers. An id
// is never handed out twice by one data directory, across restarts and crashes: each partition
// remembers producers by id (partitions/producer_state.h), so a reused id would make a new
// producer's batches look like an old one's retries.
//
// Ids are reserved in blocks of kProducerIdBlock: before the first id of a block is handed out,
// <data_dir>/producer_ids records that every id below the block's end may be in use, written
// whole under a temporary name, synced, renamed into place and the folder synced (the rename
// is the commit point). A restart continues after the last reserved block, so the ids of a
// block cut short by a restart are skipped, never reused. Every new id starts at epoch 0.
//
// The file is text, like topic.conf:
//   sluice-producer-ids 1          magic and format version
//   next 3000                      ids below this may have been handed out
//   crc32c 5b0f2a1c                CRC-32C of every byte before this line, 8 hex digits
// A file that fails its checksum or does not parse is refused (Errc::corruption): no id can be
// handed out safely without it.
//
// Thread-safety: allocate() from any thread (one mutex). The file is read at the first
// allocate(); that call, and one in every kProducerIdBlock, blocks on a file write and two
// syncs.
#pragma once

#include "io/file_system.h"

#include <sluice/result.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

namespace sluice::engine {

inline constexpr int64_t kProducerIdBlock = 1000;

struct ProducerIdAndEpoch {
  int64_t producer_id = -1;
  int16_t epoch = -1;
};

// The file's bytes for `next`, and back (Errc::corruption naming `path` when it does not parse
// or fails its checksum; Errc::unsupported for another format version).
std::string encode_producer_ids_file(int64_t next);
Result<int64_t> decode_producer_ids_file(std::string_view text, const std::string& path);

class ProducerIds {
 public:
  // `fs`: synchronous calls only; it must outlive this object.
  ProducerIds(io::FileSystem& fs, std::string data_dir, int64_t block = kProducerIdBlock);
  ProducerIds(const ProducerIds&) = delete;
  ProducerIds& operator=(const ProducerIds&) = delete;

  // A new producer id at epoch 0. Errors: corruption (a damaged file), the I/O errors of
  // reading or writing it (nothing is handed out then; a later call tries again).
  Result<ProducerIdAndEpoch> allocate();

  // For tests: the end of the reserved block (-1 before the first allocate()).
  int64_t reserved_end() const;

 private:
  Result<void> load();
  Result<void> reserve(int64_t end);

  io::FileSystem& fs_;
  const std::string data_dir_;
  const int64_t block_;
  mutable std::mutex mutex_;
  bool loaded_ = false;        // guarded by mutex_
  int64_t next_ = 0;           // guarded by mutex_: the next id to hand out
  int64_t reserved_end_ = -1;  // guarded by mutex_: ids below it are reserved in the file
};

}  // namespace sluice::engine
