#include "server/kafka/wire.h"

#include "server/kafka/api_keys.h"
#include "server/kafka/request_header.h"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace sluice::server::kafka {
namespace {

std::vector<std::byte> bytes_of(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values)
    out.push_back(static_cast<std::byte>(v));
  return out;
}

TEST(WireTest, IntegersRoundTripBigEndian) {
  Writer w;
  w.int8(-2);
  w.int16(0x1234);
  w.int32(-5);
  w.int64(0x0102030405060708);
  w.uint32(0xDEADBEEF);
  EXPECT_EQ(w.buffer()[1], std::byte{0x12});
  Reader r(w.buffer());
  EXPECT_EQ(r.int8(), -2);
  EXPECT_EQ(r.int16(), 0x1234);
  EXPECT_EQ(r.int32(), -5);
  EXPECT_EQ(r.int64(), 0x0102030405060708);
  EXPECT_EQ(r.uint32(), 0xDEADBEEFu);
  EXPECT_TRUE(r.at_end());
}

TEST(WireTest, VarintsRoundTrip) {
  Writer w;
  for (int32_t v : {0, -1, 1, 63, -64, 300, std::numeric_limits<int32_t>::max(),
                    std::numeric_limits<int32_t>::min()}) {
    w.varint(v);
  }
  w.varlong(std::numeric_limits<int64_t>::min());
  w.unsigned_varint(0);
  w.unsigned_varint(127);
  w.unsigned_varint(128);
  w.unsigned_varint(std::numeric_limits<uint32_t>::max());
  Reader r(w.buffer());
  for (int32_t v : {0, -1, 1, 63, -64, 300, std::numeric_limits<int32_t>::max(),
                    std::numeric_limits<int32_t>::min()}) {
    EXPECT_EQ(r.varint(), v);
  }
  EXPECT_EQ(r.varlong(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(r.unsigned_varint(), 0u);
  EXPECT_EQ(r.unsigned_varint(), 127u);
  EXPECT_EQ(r.unsigned_varint(), 128u);
  EXPECT_EQ(r.unsigned_varint(), std::numeric_limits<uint32_t>::max());
  EXPECT_TRUE(r.at_end());
}

TEST(WireTest, UnsignedVarintTooLongFails) {
  auto data = bytes_of({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01});
  Reader r(data);
  r.unsigned_varint();
  EXPECT_FALSE(r.ok());
}

TEST(WireTest, StringsClassicAndCompact) {
  Writer w;
  w.string("abc");
  w.nullable_string(std::nullopt);
  w.compact_string("hello");
  w.compact_nullable_string(std::nullopt);
  w.compact_nullable_string(std::string_view(""));
  Reader r(w.buffer());
  EXPECT_EQ(r.string(), "abc");
  EXPECT_FALSE(r.nullable_string().has_value());
  EXPECT_EQ(r.compact_string(), "hello");
  EXPECT_FALSE(r.compact_nullable_string().has_value());
  auto empty = r.compact_nullable_string();
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(*empty, "");
  EXPECT_TRUE(r.at_end());
}

TEST(WireTest, NullWhereNotAllowedFails) {
  Writer w;
  w.int16(-1);
  Reader r(w.buffer());
  r.string();
  EXPECT_FALSE(r.ok());
  EXPECT_STREQ(r.failure(), "null string");
}

TEST(WireTest, StringPastTheEndFailsAndStaysFailed) {
  Writer w;
  w.int16(10);
  w.raw(bytes_of({'a', 'b'}));
  Reader r(w.buffer());
  EXPECT_EQ(r.string(), "");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.int32(), 0);  // every later read is a zero value
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(WireTest, BytesNullAndEmpty) {
  Writer w;
  w.null_bytes();
  w.bytes({});
  w.compact_bytes(bytes_of({1, 2}));
  Reader r(w.buffer());
  bool is_null = false;
  EXPECT_TRUE(r.bytes(&is_null).empty());
  EXPECT_TRUE(is_null);
  EXPECT_TRUE(r.bytes(&is_null).empty());
  EXPECT_FALSE(is_null);
  EXPECT_EQ(r.compact_bytes(&is_null).size(), 2u);
  EXPECT_TRUE(r.at_end());
}

TEST(WireTest, HugeArrayLengthFailsWithoutAllocating) {
  Writer w;
  w.int32(std::numeric_limits<int32_t>::max());
  w.int32(1);
  Reader r(w.buffer());
  EXPECT_EQ(r.array_length(4), 0);
  EXPECT_FALSE(r.ok());

  Writer c;
  c.unsigned_varint(std::numeric_limits<uint32_t>::max());
  Reader rc(c.buffer());
  EXPECT_EQ(rc.compact_array_length(1), 0);
  EXPECT_FALSE(rc.ok());
}

TEST(WireTest, NullArrayReadsAsEmpty) {
  Writer w;
  w.array_length(-1);
  w.compact_array_length(-1);
  Reader r(w.buffer());
  bool is_null = false;
  EXPECT_EQ(r.array_length(1, &is_null), 0);
  EXPECT_TRUE(is_null);
  EXPECT_EQ(r.compact_array_length(1, &is_null), 0);
  EXPECT_TRUE(is_null);
  EXPECT_TRUE(r.ok());
}

TEST(WireTest, TaggedFieldsAreSkipped) {
  Writer w;
  w.unsigned_varint(2);
  w.unsigned_varint(0);
  w.unsigned_varint(3);
  w.raw(bytes_of({9, 9, 9}));
  w.unsigned_varint(5);
  w.unsigned_varint(0);
  w.int8(7);
  Reader r(w.buffer());
  r.skip_tagged_fields();
  EXPECT_EQ(r.int8(), 7);
  EXPECT_TRUE(r.at_end());
}

TEST(WireTest, TaggedFieldPastTheEndFails) {
  Writer w;
  w.unsigned_varint(1);
  w.unsigned_varint(0);
  w.unsigned_varint(100);
  Reader r(w.buffer());
  r.skip_tagged_fields();
  EXPECT_FALSE(r.ok());
}

TEST(WireTest, PatchedSize) {
  Writer w;
  size_t at = w.reserve_int32();
  w.string("xyz");
  w.patch_int32(at, static_cast<int32_t>(w.size() - 4));
  Reader r(w.buffer());
  EXPECT_EQ(r.int32(), 5);
}

TEST(RequestHeaderTest, ClassicHeader) {
  Writer w;
  w.int16(3);  // Metadata
  w.int16(4);
  w.int32(42);
  w.string("client");
  w.int8(1);  // the body
  Reader r(w.buffer());
  RequestHeader h = read_request_header(r);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(h.api_key, 3);
  EXPECT_EQ(h.api_version, 4);
  EXPECT_EQ(h.correlation_id, 42);
  EXPECT_EQ(h.client_id, "client");
  EXPECT_FALSE(h.flexible);
  EXPECT_EQ(r.int8(), 1);
}

TEST(RequestHeaderTest, FlexibleHeaderSkipsTags) {
  Writer w;
  w.int16(18);  // ApiVersions v3 is flexible
  w.int16(3);
  w.int32(7);
  w.nullable_string(std::nullopt);
  w.empty_tagged_fields();
  w.int8(9);
  Reader r(w.buffer());
  RequestHeader h = read_request_header(r);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(h.flexible);
  EXPECT_FALSE(h.client_id.has_value());
  EXPECT_EQ(r.int8(), 9);
}

TEST(RequestHeaderTest, UnknownApiLeavesTheBody) {
  Writer w;
  w.int16(999);
  w.int16(0);
  w.int32(1);
  w.string("c");
  Reader r(w.buffer());
  RequestHeader h = read_request_header(r);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(h.api_key, 999);
  EXPECT_FALSE(find_api(h.api_key).has_value());
}

TEST(RequestHeaderTest, TruncatedHeaderFails) {
  auto data = bytes_of({0, 3, 0});
  Reader r(data);
  read_request_header(r);
  EXPECT_FALSE(r.ok());
}

TEST(ApiKeysTest, RangesTheClientsNeed) {
  auto produce = find_api(0);
  ASSERT_TRUE(produce);
  EXPECT_LE(produce->min_version, 3);
  EXPECT_GE(produce->max_version, 7);
  auto fetch = find_api(1);
  ASSERT_TRUE(fetch);
  EXPECT_LE(fetch->min_version, 4);
  for (int16_t key : {10, 11, 12, 13, 14}) {
    auto api = find_api(key);
    ASSERT_TRUE(api) << key;
    EXPECT_EQ(api->min_version, 0) << key;
  }
  EXPECT_TRUE(is_flexible(ApiKey::api_versions, 3));
  EXPECT_FALSE(is_flexible(ApiKey::metadata, 6));
  EXPECT_TRUE(is_flexible(ApiKey::init_producer_id, 2));
  EXPECT_STREQ(api_name(0), "Produce");
  EXPECT_STREQ(api_name(77), "Unknown");
}

}  // namespace
}  // namespace sluice::server::kafka
