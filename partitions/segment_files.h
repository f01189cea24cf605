// Names of a partition's files: a segment is "<base offset, 20 digits>.log" with its sparse
// offset index "<same>.index" and its time index "<same>.timeindex".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::partitions {

inline constexpr std::string_view kLogExtension = ".log";
inline constexpr std::string_view kIndexExtension = ".index";
inline constexpr std::string_view kTimeIndexExtension = ".timeindex";

// "00000000000000000042.log" for (42, ".log").
std::string segment_file_name(int64_t base_offset, std::string_view extension);
// The base offset when `name` is exactly 20 decimal digits followed by `extension`.
std::optional<int64_t> parse_segment_file_name(std::string_view name, std::string_view extension);

}  // namespace sluice::partitions
