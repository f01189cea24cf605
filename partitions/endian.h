// Big-endian loads and stores: the byte order of every fixed-width integer in sluice's files
// and in the Kafka protocol.
//
// Thread-safety: pure functions.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace sluice::partitions {

namespace detail {
inline uint8_t byteswap(uint8_t v) {
  return v;
}
inline uint16_t byteswap(uint16_t v) {
  return __builtin_bswap16(v);
}
inline uint32_t byteswap(uint32_t v) {
  return __builtin_bswap32(v);
}
inline uint64_t byteswap(uint64_t v) {
  return __builtin_bswap64(v);
}
}  // namespace detail

template <typename T>
inline T load_be(const std::byte* p) {
  static_assert(std::is_integral_v<T>);
  std::make_unsigned_t<T> raw;
  std::memcpy(&raw, p, sizeof(raw));
  if constexpr (std::endian::native == std::endian::little) raw = detail::byteswap(raw);
  return static_cast<T>(raw);
}

template <typename T>
inline void store_be(std::byte* p, T value) {
  static_assert(std::is_integral_v<T>);
  auto raw = static_cast<std::make_unsigned_t<T>>(value);
  if constexpr (std::endian::native == std::endian::little) raw = detail::byteswap(raw);
  std::memcpy(p, &raw, sizeof(raw));
}

}  // namespace sluice::partitions
