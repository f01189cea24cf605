#include "partitions/record_batch.h"

#include "partitions/crc32c.h"
#include "partitions/endian.h"
#include "partitions/varint.h"

#include <gtest/gtest.h>

#include <algorithm>
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
[[maybe_unused]] void fix_crc(Bytes& batch) {
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

}  // namespace
}  // namespace sluice::partitions
