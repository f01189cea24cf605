// Zigzag LEB128 varints (int32) and varlongs (int64), as Kafka records use them.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace sluice::partitions {

inline constexpr size_t kMaxVarintBytes = 5;
inline constexpr size_t kMaxVarlongBytes = 10;

// Appends the encoding of `value` to out.
void put_varint(std::vector<std::byte>& out, int32_t value);
void put_varlong(std::vector<std::byte>& out, int64_t value);
// Bytes the encoding of value takes.
size_t varint_size(int32_t value);
size_t varlong_size(int64_t value);

// Decodes at `*pos` within data and advances *pos. Returns false (and leaves *pos alone) when
// the encoding runs past the end of data or is longer than the maximum.
bool get_varint(std::span<const std::byte> data, size_t* pos, int32_t* value);
bool get_varlong(std::span<const std::byte> data, size_t* pos, int64_t* value);

}  // namespace sluice::partitions
