// Helpers shared by the data-path codecs' tests (ApiVersions, Metadata, Produce, Fetch,
// ListOffsets, CreateTopics, DeleteTopics, InitProducerId): byte spellings, encoding into a
// fresh buffer, and the attacks every decoder must survive (every truncation, a trailing byte,
// random and mutated frames).
//
// Thread-safety: test code; one thread.
#pragma once

#include "server/kafka/wire.h"

#include <gtest/gtest.h>
#include <sluice/result.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::server::kafka::codec_testing {

// "00 03 61 62 63": bytes spelled as the protocol guide's tables would.
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

inline std::vector<std::byte> bytes_of(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values)
    out.push_back(static_cast<std::byte>(v));
  return out;
}

inline std::span<const std::byte> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// What `encode(writer)` writes, in a fresh buffer.
template <typename Encode>
std::vector<std::byte> encoded(Encode encode) {
  std::vector<std::byte> out;
  Writer w(&out);
  encode(w);
  return out;
}

// Decodes `data` in place: a decoded request's views point into it.
template <typename Decode>
auto decode_in(const std::vector<std::byte>& data, Decode decode) {
  Reader in(data);
  return decode(in);
}

// Decodes `data` from an exact-size heap copy (so that ASan sees any read past its end). The
// copy is gone when this returns: only for outcomes and owning values, never for views.
template <typename Decode>
auto decode_copy(std::span<const std::byte> data, Decode decode) {
  std::vector<std::byte> copy(data.begin(), data.end());
  Reader in(copy);
  return decode(in);
}

// Every strict prefix of a valid encoding fails with invalid_argument and a message, and so
// does the encoding with one byte appended.
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

// Random frames and valid frames with a few bytes overwritten: the decoder fails cleanly or
// succeeds, never crashes or reads out of bounds (run under ASan). Deterministic per seed.
template <typename Decode>
void expect_garbage_survives(const std::vector<std::byte>& valid, Decode decode,
                             uint32_t seed = 1) {
  std::mt19937 random(seed);
  for (int i = 0; i < 300; ++i) {
    std::vector<std::byte> frame(random() % 64);
    for (std::byte& b : frame)
      b = static_cast<std::byte>(random());
    (void)decode_copy(frame, decode).ok();
  }
  if (valid.empty()) return;
  for (int i = 0; i < 1000; ++i) {
    std::vector<std::byte> frame = valid;
    int flips = 1 + static_cast<int>(random() % 3);
    for (int k = 0; k < flips; ++k) {
      // Biased towards the bytes that turn lengths and counts into -1, 0 and huge values.
      static constexpr uint8_t kNasty[] = {0xff, 0x7f, 0x80, 0x00, 0x01};
      uint8_t value = random() % 2 ? kNasty[random() % 5] : static_cast<uint8_t>(random());
      frame[random() % frame.size()] = static_cast<std::byte>(value);
    }
    (void)decode_copy(frame, decode).ok();
  }
}

// Decoding an encoding and encoding the result again gives the same bytes.
template <typename Decode, typename Encode>
void expect_reencodes(const std::vector<std::byte>& bytes, Decode decode, Encode encode) {
  auto decoded = decode_in(bytes, decode);
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  std::vector<std::byte> again = encoded([&](Writer& w) { encode(w, *decoded); });
  EXPECT_EQ(hex(again), hex(bytes));
}

}  // namespace sluice::server::kafka::codec_testing
