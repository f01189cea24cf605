#include "consumers/group_limits.h"

#include "consumers/names.h"

#include <string>

namespace sluice::consumers {
namespace {

GroupResult<void> check_topics(const std::vector<std::string>& topics, const GroupLimits& limits) {
  if (topics.empty()) {
    return {GroupError::invalid_argument, "a member must subscribe to at least one topic"};
  }
  if (topics.size() > limits.topics_per_member_max) {
    return {GroupError::invalid_argument,
            "a member subscribes to " + std::to_string(topics.size()) + " topics, more than " +
                std::to_string(limits.topics_per_member_max)};
  }
  for (const auto& topic : topics) {
    if (!valid_topic_name(topic)) {
      return {GroupError::invalid_argument, "invalid topic name '" + topic + "'"};
    }
  }
  return {};
}

}  // namespace

GroupResult<void> check_join_request(const JoinRequest& request, const GroupLimits& limits) {
  if (!valid_group_id(request.group)) {
    return {GroupError::invalid_group_id, "a group id is 1 to " + std::to_string(kGroupIdBytesMax) +
                                              " bytes, not " +
                                              std::to_string(request.group.size())};
  }
  if (request.session_timeout_ms < limits.session_timeout_ms_min ||
      request.session_timeout_ms > limits.session_timeout_ms_max) {
    return {GroupError::invalid_session_timeout,
            "session timeout " + std::to_string(request.session_timeout_ms) + " ms is outside [" +
                std::to_string(limits.session_timeout_ms_min) + ", " +
                std::to_string(limits.session_timeout_ms_max) + "] ms"};
  }
  if (request.rebalance_timeout_ms < 1 ||
      request.rebalance_timeout_ms > limits.rebalance_timeout_ms_max) {
    return {GroupError::invalid_argument,
            "rebalance timeout " + std::to_string(request.rebalance_timeout_ms) +
                " ms is outside [1, " + std::to_string(limits.rebalance_timeout_ms_max) + "] ms"};
  }
  if (request.client_id.size() > limits.client_id_bytes_max) {
    return {GroupError::invalid_argument,
            "client id of " + std::to_string(request.client_id.size()) + " bytes, more than " +
                std::to_string(limits.client_id_bytes_max)};
  }
  if (request.protocol_metadata.size() > limits.protocol_metadata_bytes_max) {
    return {GroupError::invalid_argument,
            "protocol metadata of " + std::to_string(request.protocol_metadata.size()) +
                " bytes, more than " + std::to_string(limits.protocol_metadata_bytes_max)};
  }
  return check_topics(request.topics, limits);
}

}  // namespace sluice::consumers
