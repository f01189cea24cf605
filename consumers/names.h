// The names the consumers layer stores: group ids and topic names, and their limits. The same
// rules bind a join, a commit and the offset records of __consumer_offsets (FORMAT.md).
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string_view>

namespace sluice::consumers {

// A group id is 1 to 255 bytes, any bytes (Kafka sets no alphabet; sluice bounds the length).
inline constexpr size_t kGroupIdBytesMax = 255;
// A topic name is 1 to 249 characters from [A-Za-z0-9._-], not "." or ".." (Kafka's rule).
inline constexpr size_t kTopicNameBytesMax = 249;
// The optional metadata string of a committed offset (Kafka's offset.metadata.max.bytes).
inline constexpr size_t kOffsetMetadataBytesMax = 4096;

bool valid_group_id(std::string_view group);
bool valid_topic_name(std::string_view topic);

}  // namespace sluice::consumers
