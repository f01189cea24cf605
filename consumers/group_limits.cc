#include "consumers/group_limits.h"

#include "consumers/names.h"

#include <initializer_list>
#include <set>
#include <string>
#include <string_view>

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

GroupResult<void> check_group_id(std::string_view group) {
  if (valid_group_id(group)) return {};
  return {GroupError::invalid_group_id, "a group id is 1 to " + std::to_string(kGroupIdBytesMax) +
                                            " bytes, not " + std::to_string(group.size())};
}

GroupResult<void> check_timeouts(int64_t session_timeout_ms, int64_t rebalance_timeout_ms,
                                 const GroupLimits& limits) {
  if (session_timeout_ms < limits.session_timeout_ms_min ||
      session_timeout_ms > limits.session_timeout_ms_max) {
    return {GroupError::invalid_session_timeout,
            "session timeout " + std::to_string(session_timeout_ms) + " ms is outside [" +
                std::to_string(limits.session_timeout_ms_min) + ", " +
                std::to_string(limits.session_timeout_ms_max) + "] ms"};
  }
  if (rebalance_timeout_ms < 1 || rebalance_timeout_ms > limits.rebalance_timeout_ms_max) {
    return {GroupError::invalid_argument,
            "rebalance timeout " + std::to_string(rebalance_timeout_ms) + " ms is outside [1, " +
                std::to_string(limits.rebalance_timeout_ms_max) + "] ms"};
  }
  return {};
}

GroupResult<void> check_length(std::string_view what, std::string_view value, size_t bytes_max) {
  if (value.size() <= bytes_max) return {};
  return {GroupError::invalid_argument, std::string(what) + " of " + std::to_string(value.size()) +
                                            " bytes, more than " + std::to_string(bytes_max)};
}

struct Field {
  std::string_view what;
  std::string_view value;
  size_t bytes_max;
};

GroupResult<void> check_lengths(std::initializer_list<Field> fields) {
  for (const Field& field : fields) {
    if (auto checked = check_length(field.what, field.value, field.bytes_max); !checked) {
      return checked;
    }
  }
  return {};
}

GroupResult<void> check_protocols(const std::vector<KafkaProtocol>& protocols,
                                  const GroupLimits& limits) {
  if (protocols.size() > limits.protocols_per_member_max) {
    return {GroupError::invalid_argument, "a member lists " + std::to_string(protocols.size()) +
                                              " protocols, more than " +
                                              std::to_string(limits.protocols_per_member_max)};
  }
  size_t metadata_bytes = 0;
  std::set<std::string_view> names;
  for (const KafkaProtocol& protocol : protocols) {
    if (protocol.name.empty()) return {GroupError::invalid_argument, "a protocol without a name"};
    if (auto checked = check_length("protocol name", protocol.name, limits.protocol_name_bytes_max);
        !checked) {
      return checked;
    }
    if (!names.insert(protocol.name).second) {
      return {GroupError::invalid_argument, "protocol '" + protocol.name + "' listed twice"};
    }
    metadata_bytes += protocol.metadata.size();
  }
  if (metadata_bytes > limits.protocol_metadata_bytes_max) {
    return {GroupError::invalid_argument, "protocol metadata of " + std::to_string(metadata_bytes) +
                                              " bytes, more than " +
                                              std::to_string(limits.protocol_metadata_bytes_max)};
  }
  return {};
}

}  // namespace

GroupResult<void> check_join_request(const JoinRequest& request, const GroupLimits& limits) {
  if (auto checked = check_group_id(request.group); !checked) return checked;
  if (auto checked =
          check_timeouts(request.session_timeout_ms, request.rebalance_timeout_ms, limits);
      !checked) {
    return checked;
  }
  if (auto checked = check_lengths({
          {"client id", request.client_id, limits.client_id_bytes_max},
          {"protocol metadata", request.protocol_metadata, limits.protocol_metadata_bytes_max},
      });
      !checked) {
    return checked;
  }
  return check_topics(request.topics, limits);
}

GroupResult<void> check_join_request(const KafkaJoinRequest& request, const GroupLimits& limits) {
  if (auto checked = check_group_id(request.group); !checked) return checked;
  if (auto checked =
          check_timeouts(request.session_timeout_ms, request.rebalance_timeout_ms, limits);
      !checked) {
    return checked;
  }
  // Kafka answers a join without a protocol type or protocols this way, not as malformed.
  if (request.protocol_type.empty() || request.protocols.empty()) {
    return {GroupError::inconsistent_protocol,
            "a join needs a protocol type and at least one protocol"};
  }
  if (auto checked = check_lengths({
          {"client id", request.client_id, limits.client_id_bytes_max},
          {"client host", request.client_host, limits.client_host_bytes_max},
          {"member id", request.member_id, limits.member_id_bytes_max},
          {"group instance id", request.group_instance_id, limits.group_instance_id_bytes_max},
          {"protocol type", request.protocol_type, limits.protocol_name_bytes_max},
      });
      !checked) {
    return checked;
  }
  return check_protocols(request.protocols, limits);
}

GroupResult<void> check_sync_request(const SyncRequest& request, const GroupLimits& limits) {
  if (auto checked = check_group_id(request.group); !checked) return checked;
  if (auto checked = check_lengths({
          {"member id", request.member_id, limits.member_id_bytes_max},
          {"group instance id", request.group_instance_id, limits.group_instance_id_bytes_max},
          {"protocol type", request.protocol_type, limits.protocol_name_bytes_max},
          {"protocol name", request.protocol_name, limits.protocol_name_bytes_max},
      });
      !checked) {
    return checked;
  }
  if (request.assignments.size() > limits.members_per_group_max) {
    return {GroupError::invalid_argument,
            std::to_string(request.assignments.size()) + " assignments, more than the " +
                std::to_string(limits.members_per_group_max) + " members a group may have"};
  }
  std::set<std::string_view> members;
  for (const KafkaAssignment& entry : request.assignments) {
    if (auto checked = check_length("assignment", entry.assignment, limits.assignment_bytes_max);
        !checked) {
      return checked;
    }
    if (!members.insert(entry.member_id).second) {
      return {GroupError::invalid_argument, "member '" + entry.member_id + "' has two assignments"};
    }
  }
  return {};
}

}  // namespace sluice::consumers
