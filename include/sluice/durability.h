// How far an append must get before its completion fires. Kafka acks 0, 1 and -1 map to
// none, written and synced.
#pragma once

#include <cstdint>
#include <string_view>

namespace sluice {

enum class Durability : uint8_t {
  none = 0,     // accepted: the bytes are in the partition's memory and visible to readers
  written = 1,  // handed to the kernel: a write of the bytes has completed
  synced = 2,   // on stable storage: an fdatasync that covers the bytes has completed
};

std::string_view durability_name(Durability durability);
// Parses "none", "written" or "synced"; returns false for anything else.
bool parse_durability(std::string_view text, Durability* out);

}  // namespace sluice
