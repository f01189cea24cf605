#include "partitions/varint.h"

// Zigzag maps signed values to unsigned ones so that small magnitudes of either sign take few
// bytes: 0 -> 0, -1 -> 1, 1 -> 2, -2 -> 3, ... Then LEB128: seven bits per byte, low first, the
// high bit set on every byte but the last.
//
// Decoding accepts what Kafka's ByteUtils accepts (including zero-padded, non-minimal
// encodings) except that it also rejects a last byte whose bits fall outside the type: such an
// encoding has no value, and silently dropping the bits would hide corruption.

namespace sluice::partitions {
namespace {

uint32_t zigzag32(int32_t v) {
  return (static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31);
}
uint64_t zigzag64(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int32_t unzigzag32(uint32_t u) {
  return static_cast<int32_t>((u >> 1) ^ (0u - (u & 1)));
}
int64_t unzigzag64(uint64_t u) {
  return static_cast<int64_t>((u >> 1) ^ (0ull - (u & 1)));
}

void put_unsigned(std::vector<std::byte>& out, uint64_t u) {
  while (u >= 0x80) {
    out.push_back(static_cast<std::byte>(u | 0x80));
    u >>= 7;
  }
  out.push_back(static_cast<std::byte>(u));
}

size_t unsigned_size(uint64_t u) {
  // One byte per started group of seven significant bits; zero still takes one byte.
  int bits = 64 - __builtin_clzll(u | 1);
  return static_cast<size_t>((bits + 6) / 7);
}

// Decodes at most max_bytes bytes; the last permitted byte may only carry `last_byte_max`.
bool get_unsigned(std::span<const std::byte> data, size_t* pos, size_t max_bytes,
                  uint8_t last_byte_max, uint64_t* value) {
  size_t p = *pos;
  if (p >= data.size()) return false;
  auto first = static_cast<uint8_t>(data[p]);
  if (first < 0x80) {  // the common case: one byte
    *value = first;
    *pos = p + 1;
    return true;
  }
  uint64_t result = 0;
  for (size_t i = 0; i < max_bytes; ++i, ++p) {
    if (p >= data.size()) return false;
    auto b = static_cast<uint8_t>(data[p]);
    if (i == max_bytes - 1 && b > last_byte_max) return false;
    result |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if (b < 0x80) {
      *value = result;
      *pos = p + 1;
      return true;
    }
  }
  return false;
}

}  // namespace

void put_varint(std::vector<std::byte>& out, int32_t value) {
  put_unsigned(out, zigzag32(value));
}

void put_varlong(std::vector<std::byte>& out, int64_t value) {
  put_unsigned(out, zigzag64(value));
}

size_t varint_size(int32_t value) {
  return unsigned_size(zigzag32(value));
}
size_t varlong_size(int64_t value) {
  return unsigned_size(zigzag64(value));
}

bool get_varint(std::span<const std::byte> data, size_t* pos, int32_t* value) {
  uint64_t u = 0;
  // 4 x 7 = 28 bits before the fifth byte, which may carry the top 4.
  if (!get_unsigned(data, pos, kMaxVarintBytes, 0x0f, &u)) return false;
  *value = unzigzag32(static_cast<uint32_t>(u));
  return true;
}

bool get_varlong(std::span<const std::byte> data, size_t* pos, int64_t* value) {
  uint64_t u = 0;
  // 9 x 7 = 63 bits before the tenth byte, which may carry the top 1.
  if (!get_unsigned(data, pos, kMaxVarlongBytes, 0x01, &u)) return false;
  *value = unzigzag64(u);
  return true;
}

}  // namespace sluice::partitions
