#include "server/http/base64.h"

#include <array>
#include <cstdint>

namespace sluice::server::http {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr uint8_t kInvalid = 0xff;

constexpr std::array<uint8_t, 256> make_decode_table() {
  std::array<uint8_t, 256> table{};
  for (auto& entry : table)
    entry = kInvalid;
  for (uint8_t i = 0; i < 64; ++i)
    table[static_cast<uint8_t>(kAlphabet[i])] = i;
  return table;
}

constexpr std::array<uint8_t, 256> kDecode = make_decode_table();

}  // namespace

void base64_encode(std::string_view bytes, std::string& out) {
  const size_t start = out.size();
  out.resize(start + base64_encoded_size(bytes.size()));
  char* dst = out.data() + start;
  const auto* src = reinterpret_cast<const uint8_t*>(bytes.data());
  size_t n = bytes.size();
  for (; n >= 3; n -= 3, src += 3) {
    const uint32_t v = (uint32_t{src[0]} << 16) | (uint32_t{src[1]} << 8) | src[2];
    *dst++ = kAlphabet[(v >> 18) & 63];
    *dst++ = kAlphabet[(v >> 12) & 63];
    *dst++ = kAlphabet[(v >> 6) & 63];
    *dst++ = kAlphabet[v & 63];
  }
  if (n == 0) return;
  const uint32_t v = (uint32_t{src[0]} << 16) | (n == 2 ? uint32_t{src[1]} << 8 : 0);
  *dst++ = kAlphabet[(v >> 18) & 63];
  *dst++ = kAlphabet[(v >> 12) & 63];
  *dst++ = n == 2 ? kAlphabet[(v >> 6) & 63] : '=';
  *dst++ = '=';
}

bool base64_decode(std::string_view text, std::string& out) {
  // Strip the padding, then check that it was as long as the length calls for.
  size_t length = text.size();
  size_t padding = 0;
  while (length > 0 && text[length - 1] == '=' && padding < 2) {
    --length;
    ++padding;
  }
  const size_t tail = length % 4;
  if (tail == 1) return false;
  if (padding > 0 && (tail == 0 || tail + padding != 4)) return false;

  const size_t start = out.size();
  out.resize(start + length / 4 * 3 + (tail == 0 ? 0 : tail - 1));
  char* dst = out.data() + start;
  const auto* src = reinterpret_cast<const uint8_t*>(text.data());
  size_t i = 0;
  for (; i + 4 <= length; i += 4) {
    const uint8_t a = kDecode[src[i]], b = kDecode[src[i + 1]], c = kDecode[src[i + 2]],
                  d = kDecode[src[i + 3]];
    if (((a | b | c | d) & 0xc0) != 0) {  // kInvalid has the top bits; digits are < 64
      out.resize(start);
      return false;
    }
    const uint32_t v = (uint32_t{a} << 18) | (uint32_t{b} << 12) | (uint32_t{c} << 6) | d;
    *dst++ = static_cast<char>(v >> 16);
    *dst++ = static_cast<char>(v >> 8);
    *dst++ = static_cast<char>(v);
  }
  if (tail != 0) {
    uint32_t v = 0;
    for (size_t k = 0; k < tail; ++k) {
      const uint8_t digit = kDecode[src[i + k]];
      if (digit == kInvalid) {
        out.resize(start);
        return false;
      }
      v |= uint32_t{digit} << (18 - 6 * k);
    }
    // The bits below the last whole byte must be zero (one encoding per byte string).
    const uint32_t unused = tail == 2 ? (v & 0xffff) : (v & 0xff);
    if (unused != 0) {
      out.resize(start);
      return false;
    }
    *dst++ = static_cast<char>(v >> 16);
    if (tail == 3) *dst++ = static_cast<char>(v >> 8);
  }
  return true;
}

}  // namespace sluice::server::http
