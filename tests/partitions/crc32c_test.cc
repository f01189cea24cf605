#include "partitions/crc32c.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string_view>
#include <vector>

namespace sluice::partitions {
namespace {

std::span<const std::byte> bytes_of(std::string_view s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

// A bit-at-a-time reference, as simple as the definition, to check both fast paths against.
uint32_t reference_crc(std::span<const std::byte> data) {
  uint32_t crc = 0xffffffffu;
  for (std::byte b : data) {
    crc ^= static_cast<uint8_t>(b);
    for (int i = 0; i < 8; ++i)
      crc = (crc >> 1) ^ ((crc & 1) ? 0x82F63B78u : 0);
  }
  return ~crc;
}

std::vector<std::byte> random_bytes(std::mt19937_64& rng, size_t n) {
  std::vector<std::byte> out(n);
  for (auto& b : out)
    b = static_cast<std::byte>(rng());
  return out;
}

TEST(Crc32cTest, StandardCheckValue) {
  EXPECT_EQ(crc32c(bytes_of("123456789")), 0xE3069283u);
  EXPECT_EQ(crc32c_portable(0, bytes_of("123456789")), 0xE3069283u);
  if (crc32c_hardware_available()) {
    EXPECT_EQ(crc32c_hardware(0, bytes_of("123456789")), 0xE3069283u);
  }
}

TEST(Crc32cTest, EmptyInput) {
  EXPECT_EQ(crc32c({}), 0u);
  EXPECT_EQ(crc32c_extend(0x12345678u, {}), 0x12345678u);
}

// RFC 3720 (iSCSI) B.4 test patterns.
TEST(Crc32cTest, Rfc3720Vectors) {
  std::vector<std::byte> zeros(32, std::byte{0});
  std::vector<std::byte> ones(32, std::byte{0xff});
  std::vector<std::byte> ascending(32);
  std::vector<std::byte> descending(32);
  for (size_t i = 0; i < 32; ++i) {
    ascending[i] = static_cast<std::byte>(i);
    descending[i] = static_cast<std::byte>(31 - i);
  }
  EXPECT_EQ(crc32c(zeros), 0x8A9136AAu);
  EXPECT_EQ(crc32c(ones), 0x62A8AB43u);
  EXPECT_EQ(crc32c(ascending), 0x46DD794Eu);
  EXPECT_EQ(crc32c(descending), 0x113FDB5Cu);
}

TEST(Crc32cTest, ReportsHardwareOnX86) {
#if defined(__x86_64__)
  EXPECT_EQ(crc32c_hardware_available(), static_cast<bool>(__builtin_cpu_supports("sse4.2")));
#else
  EXPECT_FALSE(crc32c_hardware_available());
#endif
}

// Lengths around the interleaving thresholds (3 x 256 and 3 x 8192) and every alignment: the
// boundaries are where a fast path goes wrong.
TEST(Crc32cTest, ImplementationsAgreeWithReferenceAtBoundaries) {
  std::mt19937_64 rng(1);
  std::vector<std::byte> data = random_bytes(rng, 3 * 8192 * 2 + 64);
  std::vector<size_t> lengths;
  for (size_t n = 0; n <= 40; ++n)
    lengths.push_back(n);
  for (size_t base : {768u, 1536u, 24576u, 49152u}) {
    for (size_t d = base - 9; d <= base + 9; ++d)
      lengths.push_back(d);
  }
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t n : lengths) {
      std::span<const std::byte> s(data.data() + offset, n);
      uint32_t want = reference_crc(s);
      ASSERT_EQ(crc32c_portable(0, s), want) << "offset " << offset << " length " << n;
      ASSERT_EQ(crc32c(s), want) << "offset " << offset << " length " << n;
      if (crc32c_hardware_available()) {
        ASSERT_EQ(crc32c_hardware(0, s), want) << "offset " << offset << " length " << n;
      }
    }
  }
}

// Property: on random inputs of random lengths and alignments, both paths agree, and extending
// over any split point equals the CRC of the whole.
TEST(Crc32cTest, RandomInputsAgreeAndExtend) {
  std::mt19937_64 rng(42);
  std::vector<std::byte> data = random_bytes(rng, 200'000);
  for (int iter = 0; iter < 2000; ++iter) {
    size_t max_len = (iter % 10 == 0) ? 150'000 : 3000;
    size_t n = rng() % max_len;
    size_t offset = rng() % (data.size() - n);
    std::span<const std::byte> s(data.data() + offset, n);
    uint32_t portable = crc32c_portable(0, s);
    if (crc32c_hardware_available()) {
      ASSERT_EQ(crc32c_hardware(0, s), portable) << "offset " << offset << " length " << n;
    }
    ASSERT_EQ(crc32c(s), portable);
    size_t split = n == 0 ? 0 : rng() % (n + 1);
    uint32_t first = crc32c(s.first(split));
    ASSERT_EQ(crc32c_extend(first, s.subspan(split)), portable);
    // The two paths share the convention, so they can continue each other's CRCs.
    ASSERT_EQ(crc32c_portable(crc32c_portable(0, s.first(split)), s.subspan(split)), portable);
    if (crc32c_hardware_available()) {
      ASSERT_EQ(crc32c_hardware(crc32c_portable(0, s.first(split)), s.subspan(split)), portable);
    }
  }
}

TEST(Crc32cTest, DetectsEverySingleBitFlip) {
  std::mt19937_64 rng(7);
  std::vector<std::byte> data = random_bytes(rng, 1024);
  uint32_t good = crc32c(data);
  for (size_t bit = 0; bit < data.size() * 8; ++bit) {
    data[bit / 8] ^= static_cast<std::byte>(1u << (bit % 8));
    ASSERT_NE(crc32c(data), good) << "bit " << bit;
    data[bit / 8] ^= static_cast<std::byte>(1u << (bit % 8));
  }
}

}  // namespace
}  // namespace sluice::partitions
