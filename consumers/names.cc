#include "consumers/names.h"

#include <algorithm>

namespace sluice::consumers {

bool valid_group_id(std::string_view group) {
  return !group.empty() && group.size() <= kGroupIdBytesMax;
}

bool valid_topic_name(std::string_view topic) {
  if (topic.empty() || topic.size() > kTopicNameBytesMax) return false;
  if (topic == "." || topic == "..") return false;
  return std::all_of(topic.begin(), topic.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

}  // namespace sluice::consumers
