#include "partitions/segment_files.h"

#include "io/assert.h"

#include <cinttypes>
#include <cstdio>
#include <limits>

namespace sluice::partitions {

namespace {

// 20 digits hold every non-negative int64 (at most 19 digits) with a leading zero to spare,
// and a fixed width makes the names sort in offset order as plain strings.
constexpr size_t kOffsetDigits = 20;

}  // namespace

std::string segment_file_name(int64_t base_offset, std::string_view extension) {
  SLUICE_ASSERT(base_offset >= 0);
  char digits[kOffsetDigits + 1];
  const int written = std::snprintf(digits, sizeof(digits), "%020" PRId64, base_offset);
  SLUICE_ASSERT(written == static_cast<int>(kOffsetDigits));
  std::string name(digits, kOffsetDigits);
  name.append(extension);
  return name;
}

std::optional<int64_t> parse_segment_file_name(std::string_view name, std::string_view extension) {
  if (name.size() != kOffsetDigits + extension.size()) return std::nullopt;
  if (name.substr(kOffsetDigits) != extension) return std::nullopt;
  // Parse by hand: strtoll and from_chars accept signs or stop early, and a stray file such as
  // "+0000000000000000042.log" must not pass for a segment.
  uint64_t value = 0;
  for (size_t i = 0; i < kOffsetDigits; ++i) {
    const char c = name[i];
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<uint64_t>(c - '0');
    constexpr auto kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    if (value > (kMax - digit) / 10) return std::nullopt;  // past int64: not an offset
    value = value * 10 + digit;
  }
  return static_cast<int64_t>(value);
}

}  // namespace sluice::partitions
