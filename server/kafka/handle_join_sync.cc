// JoinGroup and SyncGroup: the two group requests Kafka holds until the group is ready. The
// coordinator never blocks (consumers/README.md, "How the Kafka server drives a Kafka-mode
// group"): it answers a join "rebalancing" and a follower's sync "waiting", and the reply's
// step asks it again (every kGroupPollIntervalMs) until it answers for real. Each of those
// calls counts as the member being heard from, as Kafka counts a member waiting in its join.
// A reply whose connection closes is dropped with its step, and the coordinator removes the
// silent member after its session timeout.
#include "consumers/group_coordinator.h"
#include "engine/engine_impl.h"
#include "server/kafka/group_handler_support.h"
#include "server/kafka/handlers.h"
#include "server/kafka/join_group.h"
#include "server/kafka/opaque_bytes.h"
#include "server/kafka/sync_group.h"
#include "server/shard_context.h"

#include <algorithm>
#include <string>
#include <utility>

namespace sluice::server::kafka {
namespace {

// A follower's sync waits for its leader, which the coordinator removes at the sync deadline (a
// rebalance timeout at most) if it never assigns; past this bound something is wrong, and the
// member is told to join again rather than wait for ever.
constexpr int64_t kSyncWaitMaxMs = 30 * 60 * 1000;

consumers::GroupCoordinator& coordinator(ShardContext& context) {
  return *context.engine().impl().groups;
}

// One JoinGroup, from its first call to its answer.
struct JoinCall {
  consumers::KafkaJoinRequest request;
  int16_t version = 0;
  int64_t deadline_ms = 0;   // then REBALANCE_IN_PROGRESS (the coordinator should answer first)
  int64_t next_call_ms = 0;  // the next coordinator call, when waiting
};

void answer_join(Reply& reply, const JoinGroupResponse& response, int16_t version) {
  reply.error =
      response.error != ErrorCode::none && response.error != ErrorCode::member_id_required;
  Writer out = reply.writer();
  encode_join_group_response(out, response, version);
  reply.complete();
}

// Asks the coordinator once. True when the reply is answered; false while the group rebalances
// (the member id to join with next is kept in the call).
bool try_join(consumers::GroupCoordinator& groups, JoinCall& call, Reply& reply) {
  consumers::GroupResult<consumers::KafkaJoinResult> joined = groups.join(call.request);
  JoinGroupResponse response;
  response.member_id = call.request.member_id;
  if (!joined.ok()) {
    response.error = group_error_code(joined.error());
    answer_join(reply, response, call.version);
    return true;
  }
  consumers::KafkaJoinResult& result = joined.value();
  switch (result.status) {
    case consumers::KafkaJoinStatus::rebalancing:
      call.request.member_id = std::move(result.member_id);
      return false;
    case consumers::KafkaJoinStatus::member_id_required:
      response.error = ErrorCode::member_id_required;
      response.member_id = std::move(result.member_id);
      answer_join(reply, response, call.version);
      return true;
    case consumers::KafkaJoinStatus::complete:
      break;
  }
  response.generation_id = result.generation;
  response.protocol_name = std::move(result.protocol_name);
  response.leader = std::move(result.leader_id);
  response.member_id = std::move(result.member_id);
  response.members.reserve(result.members.size());  // only the leader's answer has them
  for (consumers::KafkaMember& member : result.members) {
    JoinGroupMember& out = response.members.emplace_back();
    out.member_id = std::move(member.member_id);
    if (!member.group_instance_id.empty())
      out.group_instance_id = std::move(member.group_instance_id);
    out.metadata = std::move(member.metadata);
  }
  answer_join(reply, response, call.version);
  return true;
}

consumers::KafkaJoinRequest join_request(KafkaSession& session, const RequestHeader& header,
                                         const JoinGroupRequest& request) {
  consumers::KafkaJoinRequest out;
  out.group = std::string(request.group_id);
  out.member_id = std::string(request.member_id);
  out.group_instance_id = std::string(request.group_instance_id.value_or(""));
  out.client_id = header.client_id ? std::string(*header.client_id) : session.client_id();
  out.client_host = kafka_client_host(session.peer());
  out.session_timeout_ms = request.session_timeout_ms;
  // v0 has no rebalance timeout: the session timeout stands in for it, as in Kafka.
  out.rebalance_timeout_ms =
      header.api_version >= 1 ? request.rebalance_timeout_ms : request.session_timeout_ms;
  out.protocol_type = std::string(request.protocol_type);
  out.protocols.reserve(request.protocols.size());
  for (const JoinGroupProtocol& protocol : request.protocols) {
    out.protocols.push_back({std::string(protocol.name), to_byte_string(protocol.metadata)});
  }
  // v4+: a new member gets its id with MEMBER_ID_REQUIRED first, and joins when it sends it back.
  out.require_known_member_id = header.api_version >= 4;
  return out;
}

// One SyncGroup, from its first call to its answer.
struct SyncCall {
  consumers::SyncRequest request;
  int16_t version = 0;
  int64_t deadline_ms = 0;
  int64_t next_call_ms = 0;
};

void answer_sync(Reply& reply, const SyncGroupResponse& response, int16_t version) {
  reply.error = response.error != ErrorCode::none;
  Writer out = reply.writer();
  encode_sync_group_response(out, response, version);
  reply.complete();
}

// Asks the coordinator once. True when the reply is answered; false while the member waits for
// its leader's assignment.
bool try_sync(consumers::GroupCoordinator& groups, SyncCall& call, Reply& reply) {
  consumers::GroupResult<consumers::SyncResult> synced = groups.sync(call.request);
  SyncGroupResponse response;
  if (!synced.ok()) {
    response.error = group_error_code(synced.error());
    answer_sync(reply, response, call.version);
    return true;
  }
  if (synced->status == consumers::SyncStatus::waiting) {
    // Only a leader's assignments are read, and a leader never waits: no need to keep them.
    call.request.assignments.clear();
    call.request.assignments.shrink_to_fit();
    return false;
  }
  response.assignment = std::move(synced->assignment);
  answer_sync(reply, response, call.version);
  return true;
}

}  // namespace

Result<void> handle_join_group(KafkaSession& session, const RequestHeader& header, Reader& body,
                               const std::shared_ptr<Reply>& reply) {
  Result<JoinGroupRequest> decoded = decode_join_group_request(body, header.api_version);
  if (!decoded.ok()) return decoded.error();
  ShardContext& context = session.context();
  auto call = std::make_shared<JoinCall>();
  call->request = join_request(session, header, *decoded);
  call->version = header.api_version;
  const int64_t now_ms = context.now_ms();
  call->deadline_ms = now_ms + std::max<int64_t>(call->request.rebalance_timeout_ms, 0);
  if (try_join(coordinator(context), *call, *reply)) return {};
  // The group rebalances: hold the answer until it forms the generation (Kafka's long join).
  call->next_call_ms = now_ms + kGroupPollIntervalMs;
  Reply* raw = reply.get();  // the step lives in the reply: it must not own it
  reply->step = [&context, call, raw](int64_t step_now_ms) {
    if (step_now_ms < call->next_call_ms) return false;
    if (try_join(coordinator(context), *call, *raw)) return true;
    if (step_now_ms >= call->deadline_ms) {
      // The coordinator completes a rebalance by its deadline, so this is a safety net: the
      // client joins again, with its member id.
      JoinGroupResponse response;
      response.error = ErrorCode::rebalance_in_progress;
      response.member_id = call->request.member_id;
      answer_join(*raw, response, call->version);
      return true;
    }
    call->next_call_ms = step_now_ms + kGroupPollIntervalMs;
    return false;
  };
  return {};
}

Result<void> handle_sync_group(KafkaSession& session, const RequestHeader& header, Reader& body,
                               const std::shared_ptr<Reply>& reply) {
  Result<SyncGroupRequest> decoded = decode_sync_group_request(body, header.api_version);
  if (!decoded.ok()) return decoded.error();
  ShardContext& context = session.context();
  auto call = std::make_shared<SyncCall>();
  call->version = header.api_version;
  consumers::SyncRequest& request = call->request;
  request.group = std::string(decoded->group_id);
  request.member_id = std::string(decoded->member_id);
  request.generation = decoded->generation_id;
  request.group_instance_id = std::string(decoded->group_instance_id.value_or(""));
  request.assignments.reserve(decoded->assignments.size());
  for (const SyncGroupAssignment& assignment : decoded->assignments) {
    request.assignments.push_back(
        {std::string(assignment.member_id), to_byte_string(assignment.assignment)});
  }
  const int64_t now_ms = context.now_ms();
  if (try_sync(coordinator(context), *call, *reply)) return {};
  // A follower before its leader's assignment: wait for it.
  call->deadline_ms = now_ms + kSyncWaitMaxMs;
  call->next_call_ms = now_ms + kGroupPollIntervalMs;
  Reply* raw = reply.get();
  reply->step = [&context, call, raw](int64_t step_now_ms) {
    if (step_now_ms < call->next_call_ms) return false;
    if (try_sync(coordinator(context), *call, *raw)) return true;
    if (step_now_ms >= call->deadline_ms) {
      SyncGroupResponse response;
      response.error = ErrorCode::rebalance_in_progress;
      answer_sync(*raw, response, call->version);
      return true;
    }
    call->next_call_ms = step_now_ms + kGroupPollIntervalMs;
    return false;
  };
  return {};
}

}  // namespace sluice::server::kafka
