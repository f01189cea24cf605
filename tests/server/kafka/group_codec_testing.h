// Helpers shared by the group APIs' codec tests: byte spellings, and the attacks every decoder
// must survive (every truncation, a trailing byte, random and mutated frames).
//
// Thread-safety: test code; one thread.
#pragma once

#include "server/kafka/wire.h"

#include <gtest/gtest.h>
#include <sluice/result.h>

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::server::kafka::testing {

// "00 03 61 62 63": a frame spelled as the protocol guide's byte tables would.
inline std::string hex(std::span<const std::byte> data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::byte b : data) {
    if (!out.empty()) out += ' ';
    out += kDigits[std::to_integer<int>(b) >> 4];
    out += kDigits[std::to_integer<int>(b) & 0xF];
  }
  return out;
}

inline std::span<const std::byte> bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

inline std::string str(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Decodes `data` from an exact-size copy (so that ASan sees any read past its end).
template <typename Decode>
auto decode_copy(std::span<const std::byte> data, Decode decode) {
  std::vector<std::byte> copy(data.begin(), data.end());
  Reader in(copy);
  return decode(in);
}

// Every strict prefix of a valid encoding fails with invalid_argument, and so does the
// encoding with one byte appended (classic encodings have no room for trailing bytes).
template <typename Decode>
void expect_truncations_fail(const std::vector<std::byte>& full, Decode decode) {
  ASSERT_TRUE(decode_copy(full, decode).ok());
  for (size_t n = 0; n < full.size(); ++n) {
    auto result = decode_copy(std::span(full).first(n), decode);
    ASSERT_FALSE(result.ok()) << "a prefix of " << n << " of " << full.size() << " bytes decoded";
    EXPECT_EQ(result.code(), Errc::invalid_argument);
    EXPECT_FALSE(result.error().message().empty());
  }
  std::vector<std::byte> longer = full;
  longer.push_back(std::byte{0});
  auto result = decode_copy(longer, decode);
  ASSERT_FALSE(result.ok()) << "a trailing byte was accepted";
  EXPECT_NE(result.error().message().find("trailing"), std::string::npos)
      << result.error().message();
}

// Random frames and valid frames with bytes overwritten: the decoder must fail cleanly or
// succeed, never crash or read out of bounds (run under ASan). Deterministic per seed.
template <typename Decode>
void expect_garbage_survives(const std::vector<std::byte>& valid, Decode decode,
                             uint32_t seed = 1) {
  std::mt19937 random(seed);
  for (int i = 0; i < 500; ++i) {
    std::vector<std::byte> frame(random() % 64);
    for (std::byte& b : frame)
      b = static_cast<std::byte>(random());
    (void)decode_copy(frame, decode).ok();
  }
  if (valid.empty()) return;
  for (int i = 0; i < 2000; ++i) {
    std::vector<std::byte> frame = valid;
    int flips = 1 + static_cast<int>(random() % 3);
    for (int k = 0; k < flips; ++k) {
      // Bias towards 0xff and 0x7f: they turn lengths and counts into -1 and huge values.
      static constexpr uint8_t kNasty[] = {0xff, 0x7f, 0x80, 0x00, 0x01};
      uint8_t value = random() % 2 ? kNasty[random() % 5] : static_cast<uint8_t>(random());
      frame[random() % frame.size()] = static_cast<std::byte>(value);
    }
    (void)decode_copy(frame, decode).ok();
  }
}

}  // namespace sluice::server::kafka::testing
