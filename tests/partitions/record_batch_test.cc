#include "partitions/record_batch.h"

#include "partitions/crc32c.h"
#include "partitions/endian.h"
#include "partitions/varint.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace sluice::partitions {
namespace {

using Bytes = std::vector<std::byte>;

std::span<const std::byte> bytes_of(std::string_view s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

template <typename T>
void push_be(Bytes& out, T value) {
  size_t at = out.size();
  out.resize(at + sizeof(T));
  store_be<T>(out.data() + at, value);
}

void push_text(Bytes& out, std::string_view s) {
  auto b = bytes_of(s);
  out.insert(out.end(), b.begin(), b.end());
}

// Recomputes the CRC after a test edits CRC-covered bytes, so that the record parser itself
// sees the damage instead of the CRC check.
void fix_crc(Bytes& batch) {
  store_be<uint32_t>(batch.data() + kBatchCrcOffset, compute_batch_crc(batch));
}

// Every byte written out by hand from the layout in record_batch.h, independently of the
// builder: base offset 5, one record with key "k1", value "hello" and header h=v at time 1000.
Bytes hand_made_batch() {
  Bytes record;
  push_text(record, "\x22");       // length 17, zigzag 34
  record.push_back(std::byte{0});  // attributes
  record.push_back(std::byte{0});  // timestamp_delta 0
  record.push_back(std::byte{0});  // offset_delta 0
  record.push_back(std::byte{4});  // key length 2
  push_text(record, "k1");
  record.push_back(std::byte{10});  // value length 5
  push_text(record, "hello");
  record.push_back(std::byte{2});  // one header
  record.push_back(std::byte{2});  // header key length 1
  push_text(record, "h");
  record.push_back(std::byte{2});  // header value length 1
  push_text(record, "v");
  EXPECT_EQ(record.size(), 18u);

  Bytes b;
  push_be<int64_t>(b, 5);             // base_offset
  push_be<int32_t>(b, 61 - 12 + 18);  // batch_length
  push_be<int32_t>(b, -1);            // partition_leader_epoch
  push_be<int8_t>(b, 2);              // magic
  push_be<uint32_t>(b, 0);            // crc, below
  push_be<int16_t>(b, 0);             // attributes
  push_be<int32_t>(b, 0);             // last_offset_delta
  push_be<int64_t>(b, 1000);          // base_timestamp
  push_be<int64_t>(b, 1000);          // max_timestamp
  push_be<int64_t>(b, -1);            // producer_id
  push_be<int16_t>(b, -1);            // producer_epoch
  push_be<int32_t>(b, -1);            // base_sequence
  push_be<int32_t>(b, 1);             // record_count
  EXPECT_EQ(b.size(), kBatchHeaderBytes);
  b.insert(b.end(), record.begin(), record.end());
  // The CRC from a bit-at-a-time reference, not from crc32c().
  uint32_t crc = 0xffffffffu;
  for (size_t i = kBatchCrcStart; i < b.size(); ++i) {
    crc ^= static_cast<uint8_t>(b[i]);
    for (int k = 0; k < 8; ++k)
      crc = (crc >> 1) ^ ((crc & 1) ? 0x82F63B78u : 0);
  }
  store_be<uint32_t>(b.data() + kBatchCrcOffset, ~crc);
  return b;
}

TEST(RecordBatchTest, BuilderMatchesHandMadeBytes) {
  BatchBuilder builder(BatchBuilder::Options{.base_offset = 5});
  std::vector<RecordHeader> headers(1);
  headers[0].key = "h";
  headers[0].value = Bytes{std::byte{'v'}};
  builder.add(bytes_of("k1"), bytes_of("hello"), 1000, headers);
  EXPECT_EQ(builder.size_bytes(), 79u);
  auto batch = builder.finish();
  Bytes want = hand_made_batch();
  ASSERT_EQ(batch.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(batch[i], want[i]) << "byte " << i;
  }
}

TEST(RecordBatchTest, DecodesHandMadeBatch) {
  Bytes b = hand_made_batch();
  auto header = validate_batch(b);
  ASSERT_TRUE(header.ok()) << header.error().to_string();
  EXPECT_EQ(header->base_offset, 5);
  EXPECT_EQ(header->batch_length, 67);
  EXPECT_EQ(header->record_count, 1);
  EXPECT_EQ(header->total_bytes(), 79u);
  EXPECT_EQ(header->compression(), Compression::none);
  auto records = decode_records(b);
  ASSERT_TRUE(records.ok()) << records.error().to_string();
  ASSERT_EQ(records->size(), 1u);
  const RecordView& r = (*records)[0];
  EXPECT_EQ(r.offset, 5);
  EXPECT_EQ(r.timestamp, 1000);
  ASSERT_TRUE(r.key && r.value);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(r.key->data()), r.key->size()), "k1");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(r.value->data()), r.value->size()), "hello");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].key, "h");
  ASSERT_TRUE(r.headers[0].value);
  EXPECT_EQ(r.headers[0].value->size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// Randomized round trips

struct ModelRecord {
  std::optional<Bytes> key;
  std::optional<Bytes> value;
  int64_t timestamp = 0;
  std::vector<RecordHeader> headers;
};

std::optional<Bytes> random_field(std::mt19937_64& rng) {
  switch (rng() % 8) {
    case 0:
      return std::nullopt;
    case 1:
      return Bytes{};
    case 2: {
      Bytes big(1000 + rng() % 70'000);  // above the 2-byte varint lengths
      for (auto& b : big)
        b = static_cast<std::byte>(rng());
      return big;
    }
    default: {
      Bytes small(rng() % 200);
      for (auto& b : small)
        b = static_cast<std::byte>(rng());
      return small;
    }
  }
}

ModelRecord random_record(std::mt19937_64& rng, int64_t around_ms) {
  ModelRecord r;
  r.key = random_field(rng);
  r.value = random_field(rng);
  // Negative deltas too: producers do not promise ordered timestamps.
  r.timestamp = around_ms + static_cast<int64_t>(rng() % 2'000'001) - 1'000'000;
  size_t header_count = (rng() % 3 == 0) ? rng() % 5 : 0;
  for (size_t i = 0; i < header_count; ++i) {
    RecordHeader h;
    h.key = std::string(rng() % 20, 'a' + static_cast<char>(rng() % 26));
    h.value = random_field(rng);
    r.headers.push_back(std::move(h));
  }
  return r;
}

std::optional<std::span<const std::byte>> view(const std::optional<Bytes>& b) {
  if (!b) return std::nullopt;
  return std::span<const std::byte>(*b);
}

bool same(const std::optional<std::span<const std::byte>>& got, const std::optional<Bytes>& want) {
  if (got.has_value() != want.has_value()) return false;
  return !got || std::equal(got->begin(), got->end(), want->begin(), want->end());
}

void expect_matches(const RecordView& got, const ModelRecord& want, int64_t offset) {
  EXPECT_EQ(got.offset, offset);
  EXPECT_EQ(got.timestamp, want.timestamp);
  EXPECT_EQ(got.attributes, 0);
  EXPECT_TRUE(same(got.key, want.key));
  EXPECT_TRUE(same(got.value, want.value));
  ASSERT_EQ(got.headers.size(), want.headers.size());
  for (size_t i = 0; i < want.headers.size(); ++i) {
    EXPECT_EQ(got.headers[i].key, want.headers[i].key);
    EXPECT_TRUE(same(got.headers[i].value, want.headers[i].value));
  }
}

TEST(RecordBatchTest, RandomBatchesRoundTrip) {
  std::mt19937_64 rng(11);
  BatchBuilder builder(BatchBuilder::Options{
      .producer_id = 77, .producer_epoch = 3, .base_sequence = 12, .partition_leader_epoch = 9});
  for (int iter = 0; iter < 300; ++iter) {
    int64_t base_offset = static_cast<int64_t>(rng() % (int64_t{1} << 40));
    builder.reset(base_offset);
    int64_t now = static_cast<int64_t>(rng() % (int64_t{1} << 41));
    size_t count = 1 + ((iter % 10 == 0) ? rng() % 500 : rng() % 20);
    std::vector<ModelRecord> model;
    for (size_t i = 0; i < count; ++i) {
      model.push_back(random_record(rng, now));
      const ModelRecord& r = model.back();
      builder.add(view(r.key), view(r.value), r.timestamp, r.headers);
    }
    ASSERT_EQ(builder.record_count(), static_cast<int32_t>(count));
    size_t expected_size = builder.size_bytes();
    auto batch = builder.finish();
    ASSERT_EQ(batch.size(), expected_size);

    auto header = validate_batch(batch);
    ASSERT_TRUE(header.ok()) << header.error().to_string();
    EXPECT_EQ(header->base_offset, base_offset);
    EXPECT_EQ(header->record_count, static_cast<int32_t>(count));
    EXPECT_EQ(header->last_offset_delta, static_cast<int32_t>(count - 1));
    EXPECT_EQ(header->last_offset(), base_offset + static_cast<int64_t>(count) - 1);
    EXPECT_EQ(header->base_timestamp, model.front().timestamp);
    int64_t max_ts = model.front().timestamp;
    for (const auto& r : model)
      max_ts = std::max(max_ts, r.timestamp);
    EXPECT_EQ(header->max_timestamp, max_ts);
    EXPECT_EQ(header->producer_id, 77);
    EXPECT_EQ(header->producer_epoch, 3);
    EXPECT_EQ(header->base_sequence, 12);
    EXPECT_EQ(header->partition_leader_epoch, 9);
    EXPECT_EQ(header->attributes, 0);

    auto records = decode_records(batch);
    ASSERT_TRUE(records.ok()) << records.error().to_string();
    ASSERT_EQ(records->size(), count);
    for (size_t i = 0; i < count; ++i) {
      expect_matches((*records)[i], model[i], base_offset + static_cast<int64_t>(i));
    }
  }
}

// visit_records from any offset gives exactly the records decode_records gives from there, and
// stops when asked; records before from_offset are passed over by their lengths.
TEST(RecordBatchTest, VisitRecordsFromAnOffsetMatchesTheFullDecode) {
  std::mt19937_64 rng(12);
  BatchBuilder builder;
  std::vector<std::byte> scratch;
  for (int iter = 0; iter < 100; ++iter) {
    const int64_t base_offset = static_cast<int64_t>(rng() % 1000);
    builder.reset(base_offset);
    const size_t count = 1 + rng() % 60;
    std::vector<ModelRecord> model;
    for (size_t i = 0; i < count; ++i) {
      model.push_back(random_record(rng, 1'700'000'000'000));
      builder.add(view(model.back().key), view(model.back().value), model.back().timestamp,
                  model.back().headers);
    }
    const auto batch = builder.finish();
    const int64_t from = base_offset - 2 + static_cast<int64_t>(rng() % (count + 4));
    const size_t limit = 1 + rng() % count;
    std::vector<int64_t> seen;
    Result<void> walked = visit_records(batch, scratch, from, [&](const RecordView& record) {
      const auto i = static_cast<size_t>(record.offset - base_offset);
      EXPECT_LT(i, count);
      if (i < count) expect_matches(record, model[i], record.offset);
      seen.push_back(record.offset);
      return seen.size() < limit;
    });
    ASSERT_TRUE(walked.ok()) << walked.error().to_string();
    std::vector<int64_t> expected;
    for (int64_t o = std::max(from, base_offset);
         o < base_offset + static_cast<int64_t>(count) && expected.size() < limit; ++o) {
      expected.push_back(o);
    }
    EXPECT_EQ(seen, expected) << "from " << from << " in [" << base_offset << ", "
                              << base_offset + static_cast<int64_t>(count) << ")";
  }
}

TEST(RecordBatchTest, VisitRecordsRejectsALengthThatRunsPastTheBatch) {
  Bytes b = hand_made_batch();
  std::vector<std::byte> scratch;
  b[61] = std::byte{0x24};  // the record's length: 18, one past the batch's end
  fix_crc(b);
  auto header = validate_batch(b);
  ASSERT_TRUE(header.ok());
  // Passed over by its length (from_offset past it) or decoded, it is corruption either way.
  for (int64_t from : {header->base_offset, header->base_offset + 1}) {
    Result<void> walked = visit_records(b, scratch, from, [](const RecordView&) { return true; });
    EXPECT_EQ(walked.code(), Errc::corruption) << "from " << from;
  }
}

// Steady state: a builder reset to build a batch of the same size allocates nothing.
TEST(RecordBatchTest, BuilderReusesItsBuffer) {
  BatchBuilder builder;
  Bytes value(100, std::byte{1});
  const std::byte* first = nullptr;
  for (int iter = 0; iter < 5; ++iter) {
    builder.reset(iter * 100);
    for (int i = 0; i < 100; ++i)
      builder.add(std::nullopt, std::span<const std::byte>(value), i);
    auto batch = builder.finish();
    if (iter == 0) first = batch.data();
    EXPECT_EQ(batch.data(), first);
    EXPECT_TRUE(validate_batch(batch).ok());
  }
}

TEST(RecordBatchTest, FinishTwiceGivesTheSameBatch) {
  BatchBuilder builder;
  builder.add("a", "b", 5);
  Bytes once(builder.finish().begin(), builder.finish().end());
  builder.add("c", "d", 3);
  auto twice = builder.finish();
  auto records = decode_records(twice);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[1].timestamp, 3);
  EXPECT_EQ((*records)[1].offset, 1);
  EXPECT_GT(twice.size(), once.size());
}

// ---------------------------------------------------------------------------------------------
// Rejections

Bytes sample_batch(int records = 3) {
  BatchBuilder builder(BatchBuilder::Options{.base_offset = 100});
  std::vector<RecordHeader> headers(2);
  headers[0].key = "trace";
  headers[0].value = Bytes(8, std::byte{7});
  headers[1].key = "none";
  for (int i = 0; i < records; ++i) {
    builder.add(bytes_of("key-" + std::to_string(i)), bytes_of("value value value"), 1000 - i,
                headers);
  }
  auto b = builder.finish();
  return Bytes(b.begin(), b.end());
}

TEST(RecordBatchTest, EveryTruncationIsRejected) {
  Bytes b = sample_batch();
  for (size_t n = 0; n < b.size(); ++n) {
    auto r = validate_batch(std::span<const std::byte>(b.data(), n));
    ASSERT_FALSE(r.ok()) << "length " << n;
    EXPECT_EQ(r.code(), Errc::invalid_argument) << "length " << n;
  }
  // And a batch with bytes after it.
  b.push_back(std::byte{0});
  EXPECT_EQ(validate_batch(b).code(), Errc::invalid_argument);
}

TEST(RecordBatchTest, SizeMismatchMessageNamesBothSizes) {
  Bytes b = sample_batch();
  auto r = validate_batch(std::span<const std::byte>(b.data(), 100));
  ASSERT_FALSE(r.ok());
  std::string want =
      "batch_length " + std::to_string(b.size() - 12) + " does not match 100 bytes given";
  EXPECT_NE(r.error().message().find(want), std::string::npos) << r.error().message();
}

TEST(RecordBatchTest, ByteFlipsUnderTheCrcAreCaught) {
  std::mt19937_64 rng(13);
  Bytes good = sample_batch();
  for (int iter = 0; iter < 5000; ++iter) {
    Bytes b = good;
    size_t at = kBatchCrcStart + rng() % (b.size() - kBatchCrcStart);
    b[at] ^= static_cast<std::byte>(1 + rng() % 255);
    auto r = validate_batch(b);
    ASSERT_FALSE(r.ok()) << "byte " << at;
    // Only fields that decode_batch_header judges before the CRC may fail otherwise.
    if (r.code() != Errc::corruption) {
      ASSERT_EQ(r.code(), Errc::invalid_argument);
      ASSERT_TRUE((at >= 23 && at < 27) || (at >= 57 && at < 61)) << "byte " << at;
    }
  }
  // The stored CRC itself.
  for (size_t at = kBatchCrcOffset; at < kBatchCrcStart; ++at) {
    Bytes b = good;
    b[at] ^= std::byte{0x10};
    EXPECT_EQ(validate_batch(b).code(), Errc::corruption);
  }
}

TEST(RecordBatchTest, HeaderChecks) {
  Bytes good = sample_batch();
  {
    Bytes b = good;
    b[16] = std::byte{1};  // magic 1
    auto r = validate_batch(b);
    EXPECT_EQ(r.code(), Errc::invalid_argument);
    EXPECT_EQ(decode_batch_header(b).code(), Errc::invalid_argument);
  }
  {
    Bytes b = good;
    store_be<int32_t>(b.data() + 8, 48);  // below the header
    EXPECT_EQ(decode_batch_header(b).code(), Errc::invalid_argument);
    store_be<int32_t>(b.data() + 8, -5);
    EXPECT_EQ(decode_batch_header(b).code(), Errc::invalid_argument);
  }
  {
    Bytes b = good;
    store_be<int32_t>(b.data() + 57, -1);  // record_count
    EXPECT_EQ(decode_batch_header(b).code(), Errc::invalid_argument);
  }
  {
    Bytes b = good;
    store_be<int32_t>(b.data() + 23, -1);  // last_offset_delta
    EXPECT_EQ(decode_batch_header(b).code(), Errc::invalid_argument);
  }
  {
    Bytes b = good;
    store_be<int32_t>(b.data() + 23, 1);  // below record_count - 1 = 2
    fix_crc(b);
    EXPECT_EQ(validate_batch(b).code(), Errc::invalid_argument);
    store_be<int32_t>(b.data() + 23, 5);  // above is fine: compaction leaves gaps
    fix_crc(b);
    EXPECT_TRUE(validate_batch(b).ok());
  }
  EXPECT_EQ(decode_batch_header(std::span<const std::byte>(good.data(), 60)).code(),
            Errc::invalid_argument);
  EXPECT_TRUE(decode_batch_header(std::span<const std::byte>(good.data(), 61)).ok());
}

// base_offset is outside the CRC: a huge one must not overflow last_offset() (or the next
// offset after it). Found by tests/fuzz/record_batch_fuzz.
TEST(RecordBatchTest, LastOffsetPastInt64IsRejected) {
  Bytes b = sample_batch();
  auto h = decode_batch_header(b);
  ASSERT_TRUE(h.ok());
  ASSERT_GT(h->last_offset_delta, 0);
  const int64_t max = std::numeric_limits<int64_t>::max();
  store_be<int64_t>(b.data(), max - h->last_offset_delta);  // last offset = max: no next one
  auto too_far = decode_batch_header(b);
  EXPECT_EQ(too_far.code(), Errc::invalid_argument);
  EXPECT_EQ(validate_batch(b).code(), Errc::invalid_argument);  // the CRC does not cover it
  store_be<int64_t>(b.data(), max - 1 - h->last_offset_delta);  // last offset = max - 1
  auto last = decode_batch_header(b);
  ASSERT_TRUE(last.ok()) << last.error().to_string();
  EXPECT_EQ(last->last_offset(), max - 1);
  store_be<int64_t>(b.data(), std::numeric_limits<int64_t>::min());  // negative: no overflow
  EXPECT_TRUE(decode_batch_header(b).ok());
}

TEST(RecordBatchTest, EmptyBatchIsItsOwnError) {
  Bytes b = hand_made_batch();
  b.resize(kBatchHeaderBytes);
  store_be<int32_t>(b.data() + 8, 49);
  store_be<int32_t>(b.data() + 57, 0);
  fix_crc(b);
  auto r = validate_batch(b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), Errc::empty_batch);
}

TEST(RecordBatchTest, SetBaseOffsetKeepsTheCrc) {
  Bytes b = sample_batch();
  set_base_offset(b, 123'456'789'012);
  EXPECT_TRUE(batch_crc_ok(b));
  auto header = validate_batch(b);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->base_offset, 123'456'789'012);
  auto records = decode_records(b);
  ASSERT_TRUE(records.ok());
  EXPECT_EQ((*records)[2].offset, 123'456'789'014);
}

TEST(RecordBatchTest, LogAppendTimeOverridesRecordTimestamps) {
  Bytes b = sample_batch();
  set_log_append_time(b, 555);
  auto header = validate_batch(b);
  ASSERT_TRUE(header.ok()) << header.error().to_string();
  EXPECT_TRUE(header->log_append_time());
  EXPECT_EQ(header->max_timestamp, 555);
  EXPECT_EQ(header->base_timestamp, 1000);  // left as the producer wrote it
  auto records = decode_records(b);
  ASSERT_TRUE(records.ok());
  for (const RecordView& r : *records)
    EXPECT_EQ(r.timestamp, 555);
}

TEST(RecordBatchTest, CompressedBatchesAreUnsupported) {
  for (int codec = 1; codec <= 4; ++codec) {
    Bytes b = sample_batch();
    store_be<int16_t>(b.data() + 21, static_cast<int16_t>(codec));
    fix_crc(b);
    auto header = validate_batch(b);  // the log accepts them as they are
    ASSERT_TRUE(header.ok());
    EXPECT_EQ(header->compression(), static_cast<Compression>(codec));
    EXPECT_EQ(decode_records(b).code(), Errc::unsupported);
  }
}

// One edit to the hand-made batch (record at byte 61), CRC fixed: decode_records must say
// corruption.
void expect_record_corruption(size_t at, std::initializer_list<int> replacement) {
  Bytes b = hand_made_batch();
  size_t i = at;
  for (int v : replacement)
    b[i++] = static_cast<std::byte>(v);
  fix_crc(b);
  ASSERT_TRUE(validate_batch(b).ok());
  auto r = decode_records(b);
  ASSERT_FALSE(r.ok()) << "edit at " << at;
  EXPECT_EQ(r.code(), Errc::corruption) << r.error().message();
}

TEST(RecordBatchTest, DecodeRejectsMalformedRecords) {
  expect_record_corruption(61, {0x24});  // record length 18 > the 17 bytes left
  expect_record_corruption(61, {0x20});  // record length 16 < its fields
  expect_record_corruption(61, {0x01});  // negative record length
  expect_record_corruption(61, {0xff, 0xff, 0xff, 0xff, 0xff});  // over-long varint
  expect_record_corruption(63, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  expect_record_corruption(65, {0x7e});  // key length 63: past the record
  expect_record_corruption(65, {0x03});  // key length -2
  expect_record_corruption(68, {0x0c});  // value length 6: one into the header count
  expect_record_corruption(74, {0x7e});  // 63 headers
  expect_record_corruption(74, {0x01});  // -1 headers
  expect_record_corruption(75, {0x01});  // a null header key
  expect_record_corruption(77, {0x04});  // header value length 2: past the record
}

TEST(RecordBatchTest, DecodeRejectsWrongRecordCount) {
  {
    Bytes b = hand_made_batch();  // says 2 records, holds 1
    store_be<int32_t>(b.data() + 57, 2);
    store_be<int32_t>(b.data() + 23, 1);
    fix_crc(b);
    ASSERT_TRUE(validate_batch(b).ok());
    EXPECT_EQ(decode_records(b).code(), Errc::corruption);
  }
  {
    Bytes b = sample_batch(3);  // says 2 records, holds 3
    store_be<int32_t>(b.data() + 57, 2);
    fix_crc(b);
    ASSERT_TRUE(validate_batch(b).ok());
    EXPECT_EQ(decode_records(b).code(), Errc::corruption);
  }
  {
    Bytes b = hand_made_batch();  // a huge count must not be trusted for allocation
    store_be<int32_t>(b.data() + 57, 0x7fffffff);
    store_be<int32_t>(b.data() + 23, 0x7fffffff);
    fix_crc(b);
    EXPECT_EQ(decode_records(b).code(), Errc::corruption);
  }
  {
    Bytes b = hand_made_batch();  // trailing bytes after the last record
    b.push_back(std::byte{0});
    store_be<int32_t>(b.data() + 8, static_cast<int32_t>(b.size() - 12));
    fix_crc(b);
    ASSERT_TRUE(validate_batch(b).ok());
    EXPECT_EQ(decode_records(b).code(), Errc::corruption);
  }
  {
    Bytes b = hand_made_batch();  // batch_length beyond the span
    EXPECT_EQ(decode_records(std::span<const std::byte>(b.data(), b.size() - 1)).code(),
              Errc::corruption);
  }
}

// Property: random damage to the records, with the CRC fixed so that the parser sees it, never
// reads out of bounds (ASan) and either fails with corruption or yields views inside the batch.
TEST(RecordBatchTest, RandomRecordDamageIsContained) {
  std::mt19937_64 rng(17);
  Bytes good = sample_batch(4);
  for (int iter = 0; iter < 20'000; ++iter) {
    Bytes b = good;
    int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      b[kBatchHeaderBytes + rng() % (b.size() - kBatchHeaderBytes)] = static_cast<std::byte>(rng());
    }
    fix_crc(b);
    auto r = decode_records(b);
    if (!r.ok()) {
      ASSERT_EQ(r.code(), Errc::corruption);
      continue;
    }
    ASSERT_EQ(r->size(), 4u);
    auto inside = [&](const std::optional<std::span<const std::byte>>& v) {
      return !v || (v->data() >= b.data() && v->data() + v->size() <= b.data() + b.size());
    };
    for (const RecordView& rec : *r) {
      ASSERT_TRUE(inside(rec.key) && inside(rec.value));
    }
  }
}

}  // namespace
}  // namespace sluice::partitions
