#include "consumers/lock_token.h"

#include <array>

namespace sluice::consumers {
namespace {

constexpr std::string_view kAlphabet = "0123456789abcdefghjkmnpqrstvwxyz";

constexpr std::array<int8_t, 256> make_values() {
  std::array<int8_t, 256> values{};
  for (auto& v : values)
    v = -1;
  for (size_t i = 0; i < kAlphabet.size(); ++i)
    values[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  return values;
}
constexpr std::array<int8_t, 256> kValues = make_values();

}  // namespace

std::string lock_token_text(uint64_t token) {
  std::string out(kLockTokenChars, '0');
  for (size_t i = kLockTokenChars; i-- > 0;) {
    out[i] = kAlphabet[token & 31];
    token >>= 5;
  }
  return out;
}

std::optional<uint64_t> parse_lock_token(std::string_view text) {
  if (text.size() != kLockTokenChars) return std::nullopt;
  // 13 digits of 5 bits are 65 bits: the first digit carries four bits only.
  if (kValues[static_cast<unsigned char>(text[0])] > 15) return std::nullopt;
  uint64_t token = 0;
  for (char c : text) {
    const int8_t v = kValues[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    token = (token << 5) | static_cast<uint64_t>(v);
  }
  return token;
}

}  // namespace sluice::consumers
