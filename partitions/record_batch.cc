#include "partitions/record_batch.h"

#include "io/assert.h"
#include "partitions/crc32c.h"
#include "partitions/endian.h"
#include "partitions/varint.h"

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <limits>

namespace sluice::partitions {
namespace {

// Field offsets within the 61-byte header (see the table in record_batch.h).
constexpr size_t kBaseOffsetAt = 0;
constexpr size_t kBatchLengthAt = 8;
constexpr size_t kLeaderEpochAt = 12;
constexpr size_t kMagicAt = 16;
constexpr size_t kAttributesAt = 21;
constexpr size_t kLastOffsetDeltaAt = 23;
constexpr size_t kBaseTimestampAt = 27;
constexpr size_t kMaxTimestampAt = 35;
constexpr size_t kProducerIdAt = 43;
constexpr size_t kProducerEpochAt = 51;
constexpr size_t kBaseSequenceAt = 53;
constexpr size_t kRecordCountAt = 57;
static_assert(kRecordCountAt + 4 == kBatchHeaderBytes);
static_assert(kMagicAt + 1 == kBatchCrcOffset && kBatchCrcOffset + 4 == kBatchCrcStart);
static_assert(kAttributesAt == kBatchCrcStart);

// batch_length counts everything after itself, so the header alone needs 61 - 12 bytes.
constexpr int32_t kMinBatchLength = kBatchHeaderBytes - kBatchLogOverhead;
constexpr int16_t kTimestampTypeBit = 0x8;
// The smallest record: length, attributes, timestamp delta, offset delta, key length, value
// length and header count, one byte each. Bounds record_count before trusting it to reserve.
constexpr size_t kMinRecordBytes = 7;

__attribute__((format(printf, 1, 2))) std::string format(const char* fmt, ...) {
  char buf[256];
  va_list args;
  va_start(args, fmt);
  int n = std::vsnprintf(buf, sizeof(buf), fmt, args);
  va_end(args);
  SLUICE_ASSERT(n >= 0);
  return std::string(buf, std::min(static_cast<size_t>(n), sizeof(buf) - 1));
}

}  // namespace

Result<BatchHeader> decode_batch_header(std::span<const std::byte> bytes) {
  if (bytes.size() < kBatchHeaderBytes) {
    return Error(Errc::invalid_argument, format("batch header needs %zu bytes, %zu given",
                                                kBatchHeaderBytes, bytes.size()));
  }
  const std::byte* p = bytes.data();
  BatchHeader h;
  h.base_offset = load_be<int64_t>(p + kBaseOffsetAt);
  h.batch_length = load_be<int32_t>(p + kBatchLengthAt);
  h.partition_leader_epoch = load_be<int32_t>(p + kLeaderEpochAt);
  h.magic = load_be<int8_t>(p + kMagicAt);
  h.crc = load_be<uint32_t>(p + kBatchCrcOffset);
  h.attributes = load_be<int16_t>(p + kAttributesAt);
  h.last_offset_delta = load_be<int32_t>(p + kLastOffsetDeltaAt);
  h.base_timestamp = load_be<int64_t>(p + kBaseTimestampAt);
  h.max_timestamp = load_be<int64_t>(p + kMaxTimestampAt);
  h.producer_id = load_be<int64_t>(p + kProducerIdAt);
  h.producer_epoch = load_be<int16_t>(p + kProducerEpochAt);
  h.base_sequence = load_be<int32_t>(p + kBaseSequenceAt);
  h.record_count = load_be<int32_t>(p + kRecordCountAt);
  if (h.magic != kMagicV2) {
    return Error(Errc::invalid_argument, format("batch magic %d is not 2", int{h.magic}));
  }
  if (h.batch_length < kMinBatchLength) {
    return Error(Errc::invalid_argument,
                 format("batch_length %" PRId32 " is below the %" PRId32 " bytes of the header",
                        h.batch_length, kMinBatchLength));
  }
  if (h.record_count < 0) {
    return Error(Errc::invalid_argument,
                 format("batch record_count %" PRId32 " is negative", h.record_count));
  }
  if (h.last_offset_delta < 0) {
    return Error(Errc::invalid_argument,
                 format("batch last_offset_delta %" PRId32 " is negative", h.last_offset_delta));
  }
  // The last offset and the one after it must be offsets: base_offset is outside the CRC, so a
  // flipped bit there must not make last_offset() + 1 overflow (found by record_batch_fuzz).
  if (h.base_offset > std::numeric_limits<int64_t>::max() - 1 - h.last_offset_delta) {
    return Error(Errc::invalid_argument,
                 format("batch base_offset %" PRId64 " + last_offset_delta %" PRId32
                        " runs past the largest offset",
                        h.base_offset, h.last_offset_delta));
  }
  return h;
}

namespace {

// total_bytes from the raw header; the caller has checked that the header is there.
size_t raw_total_bytes(std::span<const std::byte> batch) {
  SLUICE_ASSERT(batch.size() >= kBatchHeaderBytes);
  auto length = load_be<int32_t>(batch.data() + kBatchLengthAt);
  SLUICE_ASSERT_MSG(length >= kMinBatchLength, "batch_length below the header size");
  size_t total = kBatchLogOverhead + static_cast<size_t>(length);
  SLUICE_ASSERT_MSG(total <= batch.size(), "batch shorter than its batch_length");
  return total;
}

}  // namespace

uint32_t compute_batch_crc(std::span<const std::byte> batch) {
  size_t total = raw_total_bytes(batch);
  return crc32c(batch.subspan(kBatchCrcStart, total - kBatchCrcStart));
}

bool batch_crc_ok(std::span<const std::byte> batch) {
  return load_be<uint32_t>(batch.data() + kBatchCrcOffset) == compute_batch_crc(batch);
}

void set_base_offset(std::span<std::byte> batch, int64_t base_offset) {
  SLUICE_ASSERT(batch.size() >= kBatchHeaderBytes);
  store_be<int64_t>(batch.data() + kBaseOffsetAt, base_offset);
}

void set_log_append_time(std::span<std::byte> batch, int64_t timestamp_ms) {
  SLUICE_ASSERT(batch.size() >= kBatchHeaderBytes);
  std::byte* p = batch.data();
  auto attributes = load_be<int16_t>(p + kAttributesAt);
  store_be<int16_t>(p + kAttributesAt, static_cast<int16_t>(attributes | kTimestampTypeBit));
  store_be<int64_t>(p + kMaxTimestampAt, timestamp_ms);
  store_be<uint32_t>(p + kBatchCrcOffset, compute_batch_crc(batch));
}

Result<BatchHeader> validate_batch(std::span<const std::byte> batch) {
  auto header = decode_batch_header(batch);
  if (!header.ok()) return header;
  const BatchHeader& h = *header;
  if (h.total_bytes() != batch.size()) {
    return Error(
        Errc::invalid_argument,
        format("batch_length %" PRId32 " does not match %zu bytes given (%" PRIu64 " expected)",
               h.batch_length, batch.size(), h.total_bytes()));
  }
  // The CRC before the fields it covers: a flipped bit there is corruption, not a bad value.
  uint32_t computed = compute_batch_crc(batch);
  if (computed != h.crc) {
    return Error(Errc::corruption,
                 format("batch at offset %" PRId64 " fails its CRC: stored 0x%08" PRIx32
                        ", computed 0x%08" PRIx32,
                        h.base_offset, h.crc, computed));
  }
  if (h.record_count == 0) {
    return Error(Errc::empty_batch,
                 format("batch at offset %" PRId64 " has no records", h.base_offset));
  }
  if (h.last_offset_delta < h.record_count - 1) {
    return Error(Errc::invalid_argument,
                 format("batch last_offset_delta %" PRId32 " is below record_count %" PRId32 " - 1",
                        h.last_offset_delta, h.record_count));
  }
  return header;
}

namespace {

// Reads the records section of one batch, checking every step against its end: the bytes
// from `start` to the end of `data` (the batch itself from byte 61, or a decompressed records
// section from byte 0).
class RecordReader {
 public:
  RecordReader(std::span<const std::byte> data, size_t start, const BatchHeader& header)
      : data_(data), pos_(start), header_(header) {}

  Result<RecordView> next();
  // Passes over the next record when its offset is below `offset`, reading only its length and
  // the fields before its offset delta; true when it did. The record's other fields are not
  // checked (the batch's CRC covered them).
  Result<bool> skip_below(int64_t offset);
  bool at_end() const { return pos_ == data_.size(); }
  size_t remaining() const { return data_.size() - pos_; }

 private:
  Error fail(const char* what) const {
    return Error(Errc::corruption, format("batch at offset %" PRId64 ": %s at byte %zu",
                                          header_.base_offset, what, pos_));
  }
  bool bytes(int32_t length, std::optional<std::span<const std::byte>>* out);
  bool header(RecordHeaderView* out);

  std::span<const std::byte> data_;
  size_t pos_;
  const BatchHeader& header_;
};

// A length-prefixed byte string; -1 is null. Advances only on success.
bool RecordReader::bytes(int32_t length, std::optional<std::span<const std::byte>>* out) {
  if (length == -1) {
    *out = std::nullopt;
    return true;
  }
  if (length < 0 || static_cast<size_t>(length) > remaining()) return false;
  *out = data_.subspan(pos_, static_cast<size_t>(length));
  pos_ += static_cast<size_t>(length);
  return true;
}

bool RecordReader::header(RecordHeaderView* out) {
  int32_t key_length = 0;
  // A header key is never null.
  if (!get_varint(data_, &pos_, &key_length) || key_length < 0) return false;
  std::optional<std::span<const std::byte>> key;
  if (!bytes(key_length, &key)) return false;
  out->key = std::string_view(reinterpret_cast<const char*>(key->data()), key->size());
  int32_t value_length = 0;
  if (!get_varint(data_, &pos_, &value_length)) return false;
  return bytes(value_length, &out->value);
}

Result<bool> RecordReader::skip_below(int64_t offset) {
  const size_t start = pos_;
  int32_t length = 0;
  if (!get_varint(data_, &pos_, &length)) return fail("bad record length varint");
  if (length < 0 || static_cast<size_t>(length) > remaining()) {
    return fail("record length past the batch end");
  }
  const size_t record_end = pos_ + static_cast<size_t>(length);
  const std::span<const std::byte> record = data_.first(record_end);
  size_t at = pos_ + 1;  // past the attributes
  int64_t timestamp_delta = 0;
  int32_t offset_delta = 0;
  if (pos_ >= record_end || !get_varlong(record, &at, &timestamp_delta) ||
      !get_varint(record, &at, &offset_delta)) {
    return fail("malformed record");
  }
  const auto record_offset = static_cast<int64_t>(static_cast<uint64_t>(header_.base_offset) +
                                                  static_cast<uint64_t>(int64_t{offset_delta}));
  if (record_offset >= offset) {
    pos_ = start;
    return false;
  }
  pos_ = record_end;
  return true;
}

Result<RecordView> RecordReader::next() {
  int32_t length = 0;
  if (!get_varint(data_, &pos_, &length)) return fail("bad record length varint");
  if (length < 0 || static_cast<size_t>(length) > remaining()) {
    return fail("record length past the batch end");
  }
  // Parse within the record's own bytes so that a field cannot run into the next record.
  std::span<const std::byte> whole = data_;
  size_t record_end = pos_ + static_cast<size_t>(length);
  data_ = data_.first(record_end);
  RecordView r;
  int64_t timestamp_delta = 0;
  int32_t offset_delta = 0;
  int32_t key_length = 0;
  int32_t value_length = 0;
  int32_t header_count = 0;
  bool ok = pos_ < data_.size();
  if (ok) r.attributes = static_cast<int8_t>(data_[pos_++]);
  ok = ok && get_varlong(data_, &pos_, &timestamp_delta) &&
       get_varint(data_, &pos_, &offset_delta) && get_varint(data_, &pos_, &key_length) &&
       bytes(key_length, &r.key) && get_varint(data_, &pos_, &value_length) &&
       bytes(value_length, &r.value) && get_varint(data_, &pos_, &header_count) &&
       header_count >= 0 && static_cast<size_t>(header_count) <= remaining() / 2;
  if (ok) r.headers.resize(static_cast<size_t>(header_count));
  for (size_t i = 0; ok && i < r.headers.size(); ++i)
    ok = header(&r.headers[i]);
  if (!ok) {
    data_ = whole;
    return fail("malformed record");
  }
  if (pos_ != record_end) {
    data_ = whole;
    return fail("record length does not match its fields");
  }
  data_ = whole;
  // Wrapping arithmetic: hostile deltas must not be undefined behaviour.
  r.offset = static_cast<int64_t>(static_cast<uint64_t>(header_.base_offset) +
                                  static_cast<uint64_t>(int64_t{offset_delta}));
  r.timestamp = header_.log_append_time()
                    ? header_.max_timestamp
                    : static_cast<int64_t>(static_cast<uint64_t>(header_.base_timestamp) +
                                           static_cast<uint64_t>(timestamp_delta));
  return r;
}

}  // namespace

namespace {

// The header of a batch to decode, checked to fit in the bytes given.
Result<BatchHeader> records_header(std::span<const std::byte> batch) {
  auto header = decode_batch_header(batch);
  if (!header.ok()) return Error(Errc::corruption, header.error().message());
  if (header->total_bytes() > batch.size()) {
    return Error(Errc::corruption, format("batch_length %" PRId32 " runs past the %zu bytes given",
                                          header->batch_length, batch.size()));
  }
  return header;
}

// Walks the records section `data` from `start` (see RecordReader): exactly record_count
// records that end where the section ends. Records below from_offset are passed over by their
// lengths; `visit` gets the others, in order, until it returns false (the rest then goes
// unchecked: the batch's CRC covers it).
Result<void> walk_records(const BatchHeader& h, std::span<const std::byte> data, size_t start,
                          int64_t from_offset,
                          const std::function<bool(const RecordView&)>& visit) {
  SLUICE_ASSERT(start <= data.size());
  const size_t records_bytes = data.size() - start;
  if (static_cast<size_t>(h.record_count) > records_bytes / kMinRecordBytes) {
    return Error(Errc::corruption, format("record_count %" PRId32 " cannot fit in %zu bytes",
                                          h.record_count, records_bytes));
  }
  RecordReader reader(data, start, h);
  bool skipping = from_offset > h.base_offset;
  for (int32_t i = 0; i < h.record_count; ++i) {
    if (skipping) {
      Result<bool> skipped = reader.skip_below(from_offset);
      if (!skipped.ok()) return std::move(skipped).error();
      if (*skipped) continue;
      skipping = false;
    }
    auto record = reader.next();
    if (!record.ok()) return std::move(record).error();
    if (record->offset < from_offset) continue;  // offsets out of order: still not wanted
    if (!visit(*record)) return {};
  }
  if (!reader.at_end()) {
    return Error(Errc::corruption,
                 format("batch at offset %" PRId64 ": %zu bytes after record %" PRId32,
                        h.base_offset, reader.remaining(), h.record_count));
  }
  return {};
}

// Every record of the section, as views.
Result<std::vector<RecordView>> all_records(const BatchHeader& h, std::span<const std::byte> data,
                                            size_t start) {
  std::vector<RecordView> records;
  // Not trusted for the allocation before walk_records checks it: bounded by the bytes.
  records.reserve(std::min(static_cast<size_t>(std::max(h.record_count, 0)),
                           (data.size() - start) / kMinRecordBytes));
  Result<void> walked =
      walk_records(h, data, start, std::numeric_limits<int64_t>::min(), [&](const RecordView& r) {
        records.push_back(r);
        return true;
      });
  if (!walked.ok()) return std::move(walked).error();
  return records;
}

}  // namespace

Result<std::vector<RecordView>> decode_records(std::span<const std::byte> batch) {
  auto header = records_header(batch);
  if (!header.ok()) return std::move(header).error();
  const BatchHeader& h = *header;
  if (h.compression() != Compression::none) {
    return Error(Errc::unsupported,
                 format("batch at offset %" PRId64 " is compressed (%s): decode it with a "
                        "scratch buffer",
                        h.base_offset, std::string(compression_name(h.compression())).c_str()));
  }
  return all_records(h, batch.first(static_cast<size_t>(h.total_bytes())), kBatchHeaderBytes);
}

namespace {

// The records section of any batch and where its first record starts: in place for an
// uncompressed batch, decompressed into `scratch` for a compressed one.
struct RecordsSection {
  BatchHeader header;
  std::span<const std::byte> data;
  size_t start = 0;
};

Result<RecordsSection> records_section(std::span<const std::byte> batch,
                                       std::vector<std::byte>& scratch) {
  auto header = records_header(batch);
  if (!header.ok()) return std::move(header).error();
  const BatchHeader& h = *header;
  const auto whole = batch.first(static_cast<size_t>(h.total_bytes()));
  if (h.compression() == Compression::none) return RecordsSection{h, whole, kBatchHeaderBytes};
  Result<size_t> size = decompress(h.compression(), whole.subspan(kBatchHeaderBytes),
                                   kMaxDecompressedBatchBytes, scratch);
  if (!size.ok()) {
    // A codec Kafka does not define is a malformed batch, like any other bad attribute.
    const Errc code = size.code() == Errc::too_large ? Errc::too_large : Errc::corruption;
    return Error(code, format("batch at offset %" PRId64 ": %s", h.base_offset,
                              size.error().message().c_str()));
  }
  return RecordsSection{h, std::span<const std::byte>(scratch), 0};
}

}  // namespace

Result<std::vector<RecordView>> decode_records(std::span<const std::byte> batch,
                                               std::vector<std::byte>& scratch) {
  Result<RecordsSection> section = records_section(batch, scratch);
  if (!section.ok()) return std::move(section).error();
  return all_records(section->header, section->data, section->start);
}

Result<void> visit_records(std::span<const std::byte> batch, std::vector<std::byte>& scratch,
                           int64_t from_offset,
                           const std::function<bool(const RecordView&)>& visit) {
  Result<RecordsSection> section = records_section(batch, scratch);
  if (!section.ok()) return std::move(section).error();
  return walk_records(section->header, section->data, section->start, from_offset, visit);
}

// ---------------------------------------------------------------------------------------------
// BatchBuilder

namespace {

// Writes the zigzag LEB128 encoding at p, returning the byte after it. The builder sizes its
// buffer first and then writes in place, so it needs a pointer writer rather than put_varint.
std::byte* write_unsigned(std::byte* p, uint64_t u) {
  while (u >= 0x80) {
    *p++ = static_cast<std::byte>(u | 0x80);
    u >>= 7;
  }
  *p++ = static_cast<std::byte>(u);
  return p;
}

std::byte* write_varint(std::byte* p, int32_t v) {
  return write_unsigned(p, (static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31));
}

std::byte* write_varlong(std::byte* p, int64_t v) {
  return write_unsigned(p, (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}

// Key and value lengths are int32 on the wire; a larger one is a caller's bug.
int32_t wire_length(const std::optional<std::span<const std::byte>>& bytes) {
  if (!bytes) return -1;
  SLUICE_ASSERT_MSG(bytes->size() <= size_t{std::numeric_limits<int32_t>::max()},
                    "record field above 2 GiB");
  return static_cast<int32_t>(bytes->size());
}

size_t field_size(const std::optional<std::span<const std::byte>>& bytes) {
  return varint_size(wire_length(bytes)) + (bytes ? bytes->size() : 0);
}

std::byte* write_field(std::byte* p, const std::optional<std::span<const std::byte>>& bytes) {
  p = write_varint(p, wire_length(bytes));
  if (bytes && !bytes->empty()) {
    std::memcpy(p, bytes->data(), bytes->size());
    p += bytes->size();
  }
  return p;
}

std::optional<std::span<const std::byte>> as_field(const RecordHeader& h, bool key) {
  if (key) return std::as_bytes(std::span(h.key.data(), h.key.size()));
  if (!h.value) return std::nullopt;
  return std::span<const std::byte>(*h.value);
}

}  // namespace

BatchBuilder::BatchBuilder(const Options& options) : options_(options) {
  reset(options.base_offset);
}

void BatchBuilder::reset(int64_t base_offset) {
  options_.base_offset = base_offset;
  // resize keeps the capacity: later batches reuse the memory of earlier ones.
  buffer_.resize(kBatchHeaderBytes);
  record_count_ = 0;
  base_timestamp_ = 0;
  max_timestamp_ = 0;
}

void BatchBuilder::add(std::optional<std::span<const std::byte>> key,
                       std::optional<std::span<const std::byte>> value, int64_t timestamp_ms,
                       std::span<const RecordHeader> headers) {
  SLUICE_ASSERT(record_count_ < std::numeric_limits<int32_t>::max());
  if (record_count_ == 0) {
    base_timestamp_ = timestamp_ms;
    max_timestamp_ = timestamp_ms;
  }
  max_timestamp_ = std::max(max_timestamp_, timestamp_ms);
  int64_t timestamp_delta = static_cast<int64_t>(static_cast<uint64_t>(timestamp_ms) -
                                                 static_cast<uint64_t>(base_timestamp_));
  int32_t offset_delta = record_count_;
  SLUICE_ASSERT(headers.size() <= size_t{std::numeric_limits<int32_t>::max()});
  auto header_count = static_cast<int32_t>(headers.size());

  // Size the record first: its length prefix comes before the fields it counts.
  size_t body = 1 + varlong_size(timestamp_delta) + varint_size(offset_delta) + field_size(key) +
                field_size(value) + varint_size(header_count);
  for (const RecordHeader& h : headers)
    body += field_size(as_field(h, true)) + field_size(as_field(h, false));
  SLUICE_ASSERT_MSG(body <= size_t{std::numeric_limits<int32_t>::max()}, "record above 2 GiB");
  auto body32 = static_cast<int32_t>(body);
  size_t start = buffer_.size();
  buffer_.resize(start + varint_size(body32) + body);

  std::byte* p = buffer_.data() + start;
  p = write_varint(p, body32);
  std::byte* body_start = p;
  *p++ = std::byte{0};  // record attributes: unused in v2
  p = write_varlong(p, timestamp_delta);
  p = write_varint(p, offset_delta);
  p = write_field(p, key);
  p = write_field(p, value);
  p = write_varint(p, header_count);
  for (const RecordHeader& h : headers) {
    p = write_field(p, as_field(h, true));
    p = write_field(p, as_field(h, false));
  }
  SLUICE_ASSERT(p == body_start + body && p == buffer_.data() + buffer_.size());
  ++record_count_;
}

void BatchBuilder::add(std::string_view key, std::string_view value, int64_t timestamp_ms) {
  add(std::as_bytes(std::span(key.data(), key.size())),
      std::as_bytes(std::span(value.data(), value.size())), timestamp_ms);
}

std::span<const std::byte> BatchBuilder::finish() {
  SLUICE_ASSERT_MSG(record_count_ > 0, "a batch needs at least one record");
  SLUICE_ASSERT(buffer_.size() - kBatchLogOverhead <= size_t{std::numeric_limits<int32_t>::max()});
  std::byte* p = buffer_.data();
  store_be<int64_t>(p + kBaseOffsetAt, options_.base_offset);
  store_be<int32_t>(p + kBatchLengthAt, static_cast<int32_t>(buffer_.size() - kBatchLogOverhead));
  store_be<int32_t>(p + kLeaderEpochAt, options_.partition_leader_epoch);
  store_be<int8_t>(p + kMagicAt, kMagicV2);
  store_be<int16_t>(p + kAttributesAt, 0);  // uncompressed, create time
  store_be<int32_t>(p + kLastOffsetDeltaAt, record_count_ - 1);
  store_be<int64_t>(p + kBaseTimestampAt, base_timestamp_);
  store_be<int64_t>(p + kMaxTimestampAt, max_timestamp_);
  store_be<int64_t>(p + kProducerIdAt, options_.producer_id);
  store_be<int16_t>(p + kProducerEpochAt, options_.producer_epoch);
  store_be<int32_t>(p + kBaseSequenceAt, options_.base_sequence);
  store_be<int32_t>(p + kRecordCountAt, record_count_);
  std::span<const std::byte> batch(buffer_);
  store_be<uint32_t>(p + kBatchCrcOffset, compute_batch_crc(batch));
  return batch;
}

}  // namespace sluice::partitions
