// Kafka RecordBatch v2 (magic 2), byte for byte: the format of produce requests, of fetch
// responses and of sluice's segment files. partitions/FORMAT.md documents every byte.
//
//   offset  size  field                  (all integers big-endian)
//        0     8  base_offset
//        8     4  batch_length           bytes after this field
//       12     4  partition_leader_epoch
//       16     1  magic                  2
//       17     4  crc                    CRC-32C of bytes [21, end)
//       21     2  attributes             bits 0-2 compression, 3 timestamp type,
//                                        4 transactional, 5 control
//       23     4  last_offset_delta
//       27     8  base_timestamp
//       35     8  max_timestamp
//       43     8  producer_id
//       51     2  producer_epoch
//       53     4  base_sequence
//       57     4  record_count
//       61        records (compressed as a whole when compression != none)
//
// Each record: length (varint), attributes (int8), timestamp_delta (varlong), offset_delta
// (varint), key_length (varint, -1 = null), key, value_length (varint, -1 = null), value,
// header_count (varint), then per header: key_length (varint), key, value_length (varint,
// -1 = null), value. Varints are zigzag-encoded LEB128, as in protobuf.
//
// The log carries compressed batches without decoding them (they are stored and served to Kafka
// clients byte for byte). Readers that need the records decode them with the decode_records
// overload that takes a scratch buffer: it decompresses the records section
// (partitions/compression.h) and walks it as it walks an uncompressed batch.
//
// Thread-safety: pure functions and plain values.
#pragma once

#include "partitions/compression.h"

#include <sluice/result.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace sluice::partitions {

inline constexpr size_t kBatchHeaderBytes = 61;
// base_offset and batch_length: the part of the header before batch_length counts.
inline constexpr size_t kBatchLogOverhead = 12;
inline constexpr size_t kBatchCrcOffset = 17;
inline constexpr size_t kBatchCrcStart = 21;  // the CRC covers [21, end)
inline constexpr int8_t kMagicV2 = 2;

struct BatchHeader {
  int64_t base_offset = 0;
  int32_t batch_length = 0;
  int32_t partition_leader_epoch = -1;
  int8_t magic = kMagicV2;
  uint32_t crc = 0;
  int16_t attributes = 0;
  int32_t last_offset_delta = 0;
  int64_t base_timestamp = 0;
  int64_t max_timestamp = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  int32_t record_count = 0;

  Compression compression() const { return static_cast<Compression>(attributes & 0x7); }
  bool log_append_time() const { return (attributes & 0x8) != 0; }
  bool transactional() const { return (attributes & 0x10) != 0; }
  bool control() const { return (attributes & 0x20) != 0; }
  int64_t last_offset() const { return base_offset + last_offset_delta; }
  // The whole batch on disk: base_offset, batch_length and the batch_length bytes after it.
  uint64_t total_bytes() const { return kBatchLogOverhead + static_cast<uint32_t>(batch_length); }
};

// Decodes the 61-byte header at the start of `bytes`. Checks that there are 61 bytes, that
// magic is 2, that batch_length covers the header (>= 49), that record_count and
// last_offset_delta are not negative and that last_offset() + 1 fits an int64. Does not check
// the CRC or that the whole batch is there.
Result<BatchHeader> decode_batch_header(std::span<const std::byte> bytes);

// The CRC stored in the batch against the CRC-32C of bytes [21, total_bytes). `batch` holds at
// least the whole batch.
uint32_t compute_batch_crc(std::span<const std::byte> batch);
bool batch_crc_ok(std::span<const std::byte> batch);

// Rewrites base_offset (not covered by the CRC) in place.
void set_base_offset(std::span<std::byte> batch, int64_t base_offset);
// Rewrites the max timestamp and sets the log-append-time attribute, then recomputes the CRC.
void set_log_append_time(std::span<std::byte> batch, int64_t timestamp_ms);

// Checks a whole batch as the log accepts it: the header decodes, batch_length matches the
// span's size exactly, record_count > 0 (else Errc::empty_batch), last_offset_delta >=
// record_count - 1, and the CRC holds (else Errc::corruption).
Result<BatchHeader> validate_batch(std::span<const std::byte> batch);

struct RecordHeaderView {
  std::string_view key;
  std::optional<std::span<const std::byte>> value;  // nullopt: a null value
};

// One decoded record; views point into the batch's bytes (or, for a compressed batch, into the
// scratch buffer it was decompressed into).
struct RecordView {
  int64_t offset = 0;     // base_offset + offset_delta
  int64_t timestamp = 0;  // base_timestamp + timestamp_delta (max_timestamp with log-append time)
  int8_t attributes = 0;
  std::optional<std::span<const std::byte>> key;    // nullopt: a null key
  std::optional<std::span<const std::byte>> value;  // nullopt: a null value (a tombstone)
  std::vector<RecordHeaderView> headers;
};

// Decodes every record of an uncompressed batch, checking each varint and length against the
// batch's end and that there are exactly record_count records. Errc::unsupported for a
// compressed batch (use the overload below); Errc::corruption for malformed records.
Result<std::vector<RecordView>> decode_records(std::span<const std::byte> batch);

// Decodes every record of any batch. An uncompressed batch is decoded in place, as above, and
// `scratch` is not touched. A compressed batch's records section is first decompressed into
// `scratch` (its earlier contents are dropped, its capacity reused), at most
// kMaxDecompressedBatchBytes, and the views point into it: they stay valid until scratch
// changes. Errors as above, plus those of decompress(): corruption for a malformed stream,
// too_large for one above the bound, corruption for a codec Kafka does not define (5-7).
Result<std::vector<RecordView>> decode_records(std::span<const std::byte> batch,
                                               std::vector<std::byte>& scratch);

// The same walk without a vector of views: calls `visit` with each record whose offset is >=
// from_offset, in order, until it returns false. A view is valid during its call only. The
// records visited get the checks of decode_records; those below from_offset are passed over
// by their lengths, and a walk that stops early leaves the rest unchecked (the batch's CRC
// covers them).
Result<void> visit_records(std::span<const std::byte> batch, std::vector<std::byte>& scratch,
                           int64_t from_offset,
                           const std::function<bool(const RecordView&)>& visit);

struct RecordHeader {
  std::string key;
  std::optional<std::vector<std::byte>> value;
};

// Builds an uncompressed batch, record by record; finish() writes the header and CRC.
// The builder reuses its buffer across batches (reset()), so steady-state building allocates
// nothing.
class BatchBuilder {
 public:
  struct Options {
    int64_t base_offset = 0;
    int64_t producer_id = -1;
    int16_t producer_epoch = -1;
    int32_t base_sequence = -1;
    int32_t partition_leader_epoch = -1;
  };

  BatchBuilder() : BatchBuilder(Options{}) {}
  explicit BatchBuilder(const Options& options);

  // Appends a record. The first record's timestamp becomes base_timestamp.
  void add(std::optional<std::span<const std::byte>> key,
           std::optional<std::span<const std::byte>> value, int64_t timestamp_ms,
           std::span<const RecordHeader> headers = {});
  // Convenience for text keys and values.
  void add(std::string_view key, std::string_view value, int64_t timestamp_ms);

  int32_t record_count() const { return record_count_; }
  // Bytes the finished batch will have.
  size_t size_bytes() const { return buffer_.size(); }
  // Writes the header and CRC; the span stays valid until the next add() or reset().
  std::span<const std::byte> finish();
  // Starts a new batch with the same options (and a new base offset).
  void reset(int64_t base_offset = 0);
  // The idempotence fields the next finish() writes (an idempotent producer knows a batch's
  // base sequence only when it hands the batch over); they stay across reset().
  void set_producer(int64_t producer_id, int16_t producer_epoch, int32_t base_sequence) {
    options_.producer_id = producer_id;
    options_.producer_epoch = producer_epoch;
    options_.base_sequence = base_sequence;
  }

 private:
  Options options_;
  std::vector<std::byte> buffer_;  // header space, then the records
  int32_t record_count_ = 0;
  int64_t base_timestamp_ = 0;
  int64_t max_timestamp_ = 0;
};

}  // namespace sluice::partitions
