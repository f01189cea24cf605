#include "partitions/varint.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace sluice::partitions {
namespace {

using Bytes = std::vector<std::byte>;

Bytes bytes(std::initializer_list<int> values) {
  Bytes out;
  for (int v : values)
    out.push_back(static_cast<std::byte>(v));
  return out;
}

Bytes encode32(int32_t v) {
  Bytes out;
  put_varint(out, v);
  return out;
}

Bytes encode64(int64_t v) {
  Bytes out;
  put_varlong(out, v);
  return out;
}

// Encodings as Kafka's ByteUtils (and protobuf's sint32/sint64) produce them.
TEST(VarintTest, KnownEncodings) {
  EXPECT_EQ(encode32(0), bytes({0x00}));
  EXPECT_EQ(encode32(-1), bytes({0x01}));
  EXPECT_EQ(encode32(1), bytes({0x02}));
  EXPECT_EQ(encode32(-2), bytes({0x03}));
  EXPECT_EQ(encode32(63), bytes({0x7e}));
  EXPECT_EQ(encode32(-64), bytes({0x7f}));
  EXPECT_EQ(encode32(64), bytes({0x80, 0x01}));
  EXPECT_EQ(encode32(300), bytes({0xd8, 0x04}));
  EXPECT_EQ(encode32(std::numeric_limits<int32_t>::max()), bytes({0xfe, 0xff, 0xff, 0xff, 0x0f}));
  EXPECT_EQ(encode32(std::numeric_limits<int32_t>::min()), bytes({0xff, 0xff, 0xff, 0xff, 0x0f}));
  EXPECT_EQ(encode64(std::numeric_limits<int64_t>::min()),
            bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
  EXPECT_EQ(encode64(std::numeric_limits<int64_t>::max()),
            bytes({0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
  EXPECT_EQ(encode64(-1), bytes({0x01}));
}

TEST(VarintTest, Sizes) {
  EXPECT_EQ(varint_size(0), 1u);
  EXPECT_EQ(varint_size(-64), 1u);
  EXPECT_EQ(varint_size(64), 2u);
  EXPECT_EQ(varint_size(std::numeric_limits<int32_t>::min()), kMaxVarintBytes);
  EXPECT_EQ(varlong_size(std::numeric_limits<int64_t>::min()), kMaxVarlongBytes);
  EXPECT_EQ(varlong_size(0), 1u);
}

int32_t random_int32(std::mt19937_64& rng) {
  // Spread over every magnitude, not only huge values.
  int shift = static_cast<int>(rng() % 32);
  return static_cast<int32_t>(static_cast<uint32_t>(rng()) >> shift);
}

int64_t random_int64(std::mt19937_64& rng) {
  int shift = static_cast<int>(rng() % 64);
  return static_cast<int64_t>(rng() >> shift);
}

// Property: decode(encode(v)) == v, the size matches, and pos lands after the encoding.
TEST(VarintTest, RandomRoundTrips) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 100'000; ++i) {
    int32_t v32 = random_int32(rng);
    int64_t v64 = random_int64(rng);
    Bytes out = {std::byte{0xaa}};  // decoding from a non-zero position
    put_varint(out, v32);
    put_varlong(out, v64);
    ASSERT_EQ(out.size(), 1 + varint_size(v32) + varlong_size(v64));
    size_t pos = 1;
    int32_t got32 = 0;
    int64_t got64 = 0;
    ASSERT_TRUE(get_varint(out, &pos, &got32));
    ASSERT_EQ(got32, v32);
    ASSERT_EQ(pos, 1 + varint_size(v32));
    ASSERT_TRUE(get_varlong(out, &pos, &got64));
    ASSERT_EQ(got64, v64);
    ASSERT_EQ(pos, out.size());
  }
}

// Property: every strict prefix of an encoding is rejected and leaves pos alone.
TEST(VarintTest, TruncationsRejected) {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 10'000; ++i) {
    Bytes full = encode64(random_int64(rng));
    for (size_t n = 0; n < full.size(); ++n) {
      std::span<const std::byte> cut(full.data(), n);
      size_t pos = 0;
      int64_t v = 7;
      ASSERT_FALSE(get_varlong(cut, &pos, &v));
      ASSERT_EQ(pos, 0u);
      ASSERT_EQ(v, 7);
    }
  }
  size_t pos = 0;
  int32_t v = 0;
  EXPECT_FALSE(get_varint({}, &pos, &v));
  pos = 3;
  Bytes one = bytes({0x02});
  EXPECT_FALSE(get_varint(one, &pos, &v));  // pos past the end
  EXPECT_EQ(pos, 3u);
}

TEST(VarintTest, OverLongEncodingsRejected) {
  size_t pos = 0;
  int32_t v32 = 0;
  int64_t v64 = 0;
  // Six bytes for a varint, eleven for a varlong: the continuation bit on the last allowed byte.
  Bytes six = bytes({0x80, 0x80, 0x80, 0x80, 0x80, 0x00});
  EXPECT_FALSE(get_varint(six, &pos, &v32));
  EXPECT_EQ(pos, 0u);
  Bytes eleven = bytes({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00});
  EXPECT_FALSE(get_varlong(eleven, &pos, &v64));
  // Bits beyond the type on the last byte: no int32 or int64 has this encoding.
  Bytes wide32 = bytes({0xff, 0xff, 0xff, 0xff, 0x1f});
  EXPECT_FALSE(get_varint(wide32, &pos, &v32));
  Bytes wide64 = bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x03});
  EXPECT_FALSE(get_varlong(wide64, &pos, &v64));
  EXPECT_EQ(pos, 0u);
}

// Zero-padded encodings within the maximum are accepted, as Kafka accepts them.
TEST(VarintTest, PaddedEncodingsAccepted) {
  size_t pos = 0;
  int32_t v = -5;
  Bytes padded = bytes({0x82, 0x80, 0x80, 0x80, 0x00});
  ASSERT_TRUE(get_varint(padded, &pos, &v));
  EXPECT_EQ(v, 1);
  EXPECT_EQ(pos, 5u);
}

// Random garbage never reads past the span, and success always consumes 1..max bytes.
TEST(VarintTest, RandomBytesStayInBounds) {
  std::mt19937_64 rng(9);
  for (int i = 0; i < 100'000; ++i) {
    size_t n = rng() % 12;
    Bytes b(n);
    for (auto& x : b)
      x = static_cast<std::byte>(rng() | ((rng() & 1) ? 0x80 : 0));
    size_t pos = 0;
    int64_t v = 0;
    if (get_varlong(b, &pos, &v)) {
      ASSERT_GE(pos, 1u);
      ASSERT_LE(pos, std::min(n, kMaxVarlongBytes));
      Bytes again;
      put_varlong(again, v);
      ASSERT_LE(again.size(), pos);  // the canonical form is never longer
    } else {
      ASSERT_EQ(pos, 0u);
    }
  }
}

}  // namespace
}  // namespace sluice::partitions
