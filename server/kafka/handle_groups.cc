// The group requests answered at once: FindCoordinator (this broker coordinates every group),
// Heartbeat, LeaveGroup, DescribeGroups and ListGroups. Each maps onto one GroupCoordinator call
// (consumers/README.md, "How the Kafka server drives a Kafka-mode group"); the coordinator
// takes its own mutex and never waits, so these run on the shard thread.
//
// Groups of sluice's own Consumer API (native groups, assigned by the coordinator) are shown to
// Kafka tools as consumer groups too: their members' topics and partitions are encoded in the
// consumer protocol's formats, so that admin tools describe them like any other.
#include "consumers/group_coordinator.h"
#include "consumers/names.h"
#include "engine/engine_impl.h"
#include "engine/groups_state.h"
#include "server/kafka/consumer_protocol.h"
#include "server/kafka/describe_groups.h"
#include "server/kafka/find_coordinator.h"
#include "server/kafka/group_handler_support.h"
#include "server/kafka/handlers.h"
#include "server/kafka/heartbeat.h"
#include "server/kafka/leave_group.h"
#include "server/kafka/list_groups.h"
#include "server/kafka/opaque_bytes.h"
#include "server/shard_context.h"

#include <string>
#include <vector>

namespace sluice::server::kafka {
namespace {

// The consumer protocol's type, which Kafka's consumers (and admin tools) look for.
constexpr std::string_view kConsumerProtocolType = "consumer";

// DescribeGroups v3+'s authorized_operations when asked for: sluiced has no ACLs, so every
// operation on a group is allowed: READ (3), DELETE (6) and DESCRIBE (8), one bit each.
constexpr int32_t kGroupOperationsAllowed = (1 << 3) | (1 << 6) | (1 << 8);

consumers::GroupCoordinator& coordinator(ShardContext& context) {
  return *context.engine().impl().groups;
}

bool has_committed_offsets(ShardContext& context, std::string_view group) {
  return !context.engine().impl().groups_state->offsets.committed(group).empty();
}

template <typename Response>
void answer(Reply& reply, const Response& response, int16_t version, bool error,
            void (*encode)(Writer&, const Response&, int16_t)) {
  reply.error = error;
  Writer out = reply.writer();
  encode(out, response, version);
  reply.complete();
}

// The protocol type a group shows: its members' for a Kafka-mode group; "consumer" for a native
// one, whose members are shown in the consumer protocol's formats; for a group without members,
// "consumer" when it has committed offsets (Kafka keeps a consumer group's type while it is
// empty; sluice keeps only the offsets), else none.
std::string protocol_type_of(ShardContext& context, const consumers::GroupDescription& group) {
  switch (group.mode) {
    case consumers::GroupMode::kafka:
      return group.protocol_type;
    case consumers::GroupMode::native:
      return std::string(kConsumerProtocolType);
    case consumers::GroupMode::none:
      break;
  }
  return has_committed_offsets(context, group.group) ? std::string(kConsumerProtocolType) : "";
}

std::string_view strategy_name(AssignmentStrategy strategy) {
  return strategy == AssignmentStrategy::round_robin ? "roundrobin" : "range";
}

// A native member's subscription and assignment in the consumer protocol's formats (v0).
void describe_native_member(const consumers::MemberDescription& member, DescribedGroupMember& out) {
  ConsumerSubscription subscription;
  subscription.topics = member.topics;
  std::vector<std::byte> bytes;
  Writer metadata(&bytes);
  encode_consumer_subscription(metadata, subscription);
  out.member_metadata = to_byte_string(bytes);

  ConsumerAssignment assignment;
  for (const TopicPartition& tp : member.assignment) {  // sorted: a topic's partitions adjoin
    if (assignment.assigned_partitions.empty() ||
        assignment.assigned_partitions.back().topic != tp.topic) {
      assignment.assigned_partitions.push_back({tp.topic, {}});
    }
    assignment.assigned_partitions.back().partitions.push_back(tp.partition);
  }
  bytes.clear();
  Writer assigned(&bytes);
  encode_consumer_assignment(assigned, assignment);
  out.member_assignment = to_byte_string(bytes);
}

DescribedGroup describe_group(ShardContext& context, std::string_view name) {
  DescribedGroup out;
  out.group_id = std::string(name);
  consumers::GroupResult<consumers::GroupDescription> described =
      coordinator(context).describe(name);
  if (!described.ok()) {
    if (described.error() != consumers::GroupError::group_not_found) {
      out.error = group_error_code(described.error());
      return out;
    }
    // Kafka shows a group it does not know as Dead. One known only by its committed offsets
    // (the coordinator keeps no state across restarts) is an empty consumer group.
    if (consumers::valid_group_id(name) && has_committed_offsets(context, name)) {
      out.group_state = std::string(consumers::kafka_state_name(consumers::GroupState::empty));
      out.protocol_type = std::string(kConsumerProtocolType);
    } else {
      out.group_state = std::string(consumers::kafka_state_name(consumers::GroupState::dead));
    }
    return out;
  }
  consumers::GroupDescription& group = *described;
  out.group_state = std::string(consumers::kafka_state_name(group.state));
  out.protocol_type = protocol_type_of(context, group);
  // As Kafka does, the protocol and each member's metadata and assignment are shown only while
  // the group is stable; otherwise they are in flux.
  const bool stable = group.state == consumers::GroupState::stable;
  if (stable) {
    out.protocol_data = group.mode == consumers::GroupMode::native
                            ? std::string(strategy_name(group.strategy))
                            : group.protocol_name;
  }
  out.members.reserve(group.members.size());
  for (consumers::MemberDescription& member : group.members) {
    DescribedGroupMember& described_member = out.members.emplace_back();
    described_member.member_id = std::move(member.member_id);
    if (!member.group_instance_id.empty()) {
      described_member.group_instance_id = std::move(member.group_instance_id);
    }
    described_member.client_id = std::move(member.client_id);
    described_member.client_host = std::move(member.client_host);
    if (!stable) continue;
    if (group.mode == consumers::GroupMode::native) {
      describe_native_member(member, described_member);
    } else {
      described_member.member_metadata = std::move(member.protocol_metadata);
      described_member.member_assignment = std::move(member.assignment_bytes);
    }
  }
  return out;
}

}  // namespace

Result<void> handle_find_coordinator(KafkaSession& session, const RequestHeader& header,
                                     Reader& body, const std::shared_ptr<Reply>& reply) {
  Result<FindCoordinatorRequest> request =
      decode_find_coordinator_request(body, header.api_version);
  if (!request.ok()) return request.error();
  ShardContext& context = session.context();
  FindCoordinatorResponse response;
  switch (request->key_type) {
    case static_cast<int8_t>(CoordinatorKeyType::group):
      // A single node coordinates every group.
      response.node_id = 0;
      response.host = context.broker_host();
      response.port = context.broker_port();
      break;
    case static_cast<int8_t>(CoordinatorKeyType::transaction):
      // Retriable for the client; sluiced has no transactions (a transactional producer keeps
      // asking, an idempotent one never does).
      response.error = ErrorCode::coordinator_not_available;
      response.error_message = "sluiced has no transaction coordinator";
      break;
    default:
      response.error = ErrorCode::invalid_request;
      response.error_message = "unknown coordinator key type " + std::to_string(request->key_type);
      break;
  }
  if (response.error != ErrorCode::none) {
    response.host = "";
    response.port = -1;
  }
  answer(*reply, response, header.api_version, response.error != ErrorCode::none,
         &encode_find_coordinator_response);
  return {};
}

Result<void> handle_heartbeat(KafkaSession& session, const RequestHeader& header, Reader& body,
                              const std::shared_ptr<Reply>& reply) {
  Result<HeartbeatRequest> request = decode_heartbeat_request(body, header.api_version);
  if (!request.ok()) return request.error();
  consumers::GroupResult<void> beat =
      coordinator(session.context())
          .heartbeat(request->group_id, request->member_id, request->generation_id);
  HeartbeatResponse response;
  response.error = group_error_code(beat.error());
  answer(*reply, response, header.api_version, !beat.ok(), &encode_heartbeat_response);
  return {};
}

Result<void> handle_leave_group(KafkaSession& session, const RequestHeader& header, Reader& body,
                                const std::shared_ptr<Reply>& reply) {
  Result<LeaveGroupRequest> request = decode_leave_group_request(body, header.api_version);
  if (!request.ok()) return request.error();
  consumers::GroupCoordinator& groups = coordinator(session.context());
  LeaveGroupResponse response;
  if (header.api_version < 3) {
    // v0-2: one member, and its error is the response's.
    consumers::GroupResult<void> left =
        groups.leave(request->group_id, request->members.front().member_id);
    response.error = group_error_code(left.error());
    answer(*reply, response, header.api_version, !left.ok(), &encode_leave_group_response);
    return {};
  }
  std::vector<consumers::LeavingMember> leaving;
  leaving.reserve(request->members.size());
  for (const LeaveGroupMember& member : request->members) {
    leaving.push_back(
        {std::string(member.member_id), std::string(member.group_instance_id.value_or(""))});
  }
  auto left = groups.leave_members(request->group_id, leaving);
  if (!left.ok()) {
    // Refused as a whole (an invalid group id, too many members): no member answers.
    response.error = group_error_code(left.error());
    answer(*reply, response, header.api_version, true, &encode_leave_group_response);
    return {};
  }
  bool failed = false;
  response.members.reserve(request->members.size());
  for (size_t i = 0; i < request->members.size(); ++i) {
    LeaveGroupMemberResponse& member = response.members.emplace_back();
    member.member_id = std::string(request->members[i].member_id);
    if (request->members[i].group_instance_id) {
      member.group_instance_id = std::string(*request->members[i].group_instance_id);
    }
    member.error = group_error_code(left->at(i).error());
    failed = failed || member.error != ErrorCode::none;
  }
  answer(*reply, response, header.api_version, failed, &encode_leave_group_response);
  return {};
}

Result<void> handle_describe_groups(KafkaSession& session, const RequestHeader& header,
                                    Reader& body, const std::shared_ptr<Reply>& reply) {
  Result<DescribeGroupsRequest> request = decode_describe_groups_request(body, header.api_version);
  if (!request.ok()) return request.error();
  ShardContext& context = session.context();
  DescribeGroupsResponse response;
  response.groups.reserve(request->groups.size());
  for (std::string_view name : request->groups) {
    DescribedGroup& group = response.groups.emplace_back(describe_group(context, name));
    if (request->include_authorized_operations)
      group.authorized_operations = kGroupOperationsAllowed;
  }
  answer(*reply, response, header.api_version, false, &encode_describe_groups_response);
  return {};
}

Result<void> handle_list_groups(KafkaSession& session, const RequestHeader& header, Reader& body,
                                const std::shared_ptr<Reply>& reply) {
  Result<ListGroupsRequest> request = decode_list_groups_request(body, header.api_version);
  if (!request.ok()) return request.error();
  ShardContext& context = session.context();
  ListGroupsResponse response;
  // The coordinator's groups and those known only by their committed offsets.
  for (std::string& name : context.engine().list_groups()) {
    consumers::GroupResult<consumers::GroupDescription> described =
        coordinator(context).describe(name);
    std::string type;
    if (described.ok()) {
      type = protocol_type_of(context, *described);
    } else if (described.error() == consumers::GroupError::group_not_found) {
      // Forgotten since it was listed, or known only by offsets.
      if (!has_committed_offsets(context, name)) continue;
      type = std::string(kConsumerProtocolType);
    } else {
      continue;
    }
    response.groups.push_back({std::move(name), std::move(type)});
  }
  answer(*reply, response, header.api_version, false, &encode_list_groups_response);
  return {};
}

}  // namespace sluice::server::kafka
