// Group: the Kafka-mode steps (client-side assignment): joins with protocols, pending member
// ids, the choice of the protocol, the leader's sync and the sync deadline. consumers/group.h
// states the rules.
#include "consumers/group.h"

#include "consumers/protocol_choice.h"
#include "io/assert.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace sluice::consumers {
namespace {

// What the leader reads in its join answer: a change of it needs a new generation.
bool same_protocols(const Member& member, const KafkaJoinRequest& request) {
  return member.protocol_type == request.protocol_type && member.protocols == request.protocols;
}

void update_member(Member& member, const KafkaJoinRequest& request) {
  member.client_id = request.client_id;
  member.client_host = request.client_host;
  member.group_instance_id = request.group_instance_id;
  member.session_timeout_ms = request.session_timeout_ms;
  member.rebalance_timeout_ms = request.rebalance_timeout_ms;
  member.protocol_type = request.protocol_type;
  member.protocols = request.protocols;
}

}  // namespace

// The joining member is compared with every other member: the one it is (a rejoin) and the
// static member it replaces (same instance id) do not count.
GroupResult<void> Group::check_protocol(const KafkaJoinRequest& request) const {
  SLUICE_ASSERT(!request.protocol_type.empty());
  std::vector<const std::vector<KafkaProtocol>*> others;
  for (const auto& [id, member] : members_) {
    if (id == request.member_id) continue;
    if (!request.group_instance_id.empty() &&
        member.group_instance_id == request.group_instance_id) {
      continue;
    }
    if (!member.kafka()) {
      return {
          GroupError::inconsistent_protocol,
          "group '" + name_ + "' has sluice consumers as members: a Kafka client cannot join it"};
    }
    if (member.protocol_type != request.protocol_type) {
      return {GroupError::inconsistent_protocol, "group '" + name_ + "' has protocol type '" +
                                                     member.protocol_type + "', not '" +
                                                     request.protocol_type + "'"};
    }
    others.push_back(&member.protocols);
  }
  if (!shares_protocol(others, request.protocols)) {
    return {GroupError::inconsistent_protocol,
            "the member lists no protocol that every member of group '" + name_ + "' supports"};
  }
  return {};
}

GroupResult<KafkaJoinResult> Group::join_new(const KafkaJoinRequest& request, std::string member_id,
                                             const GroupContext& context) {
  SLUICE_ASSERT(request.member_id.empty());
  SLUICE_ASSERT(!member_id.empty());
  SLUICE_ASSERT(!members_.contains(member_id) && !pending_.contains(member_id));
  if (auto checked = check_protocol(request); !checked) return checked.failure();
  // A static member is known by its instance id: it needs no round trip for its member id.
  if (!request.require_known_member_id || !request.group_instance_id.empty()) {
    return admit(request, std::move(member_id), context);
  }
  if (members_.size() + pending_.size() >= context.limits.members_per_group_max) {
    return GroupFailure{GroupError::group_max_size_reached,
                        "group '" + name_ + "' already has " +
                            std::to_string(members_.size() + pending_.size()) +
                            " members, its maximum"};
  }
  KafkaJoinResult out;
  out.status = KafkaJoinStatus::member_id_required;
  out.member_id = member_id;
  out.protocol_type = request.protocol_type;
  pending_.emplace(std::move(member_id), context.now_ms + request.session_timeout_ms);
  return out;
}

GroupResult<KafkaJoinResult> Group::rejoin(const KafkaJoinRequest& request,
                                           const GroupContext& context) {
  SLUICE_ASSERT(!request.member_id.empty());
  if (auto pending = pending_.find(request.member_id); pending != pending_.end()) {
    if (auto checked = check_protocol(request); !checked) return checked.failure();
    pending_.erase(pending);
    return admit(request, request.member_id, context);
  }
  auto found = members_.find(request.member_id);
  if (found == members_.end()) {
    return GroupFailure{GroupError::unknown_member, "member '" + request.member_id +
                                                        "' is not in group '" + name_ +
                                                        "': join again without a member id"};
  }
  Member& member = found->second;
  if (!member.kafka()) {
    return GroupFailure{GroupError::inconsistent_protocol,
                        "member '" + member.id + "' joined group '" + name_ +
                            "' as a sluice consumer: it cannot join as a Kafka client"};
  }
  if (member.group_instance_id != request.group_instance_id) {
    return GroupFailure{GroupError::fenced_instance_id,
                        "member '" + member.id + "' of group '" + name_ +
                            "' does not hold instance id '" + request.group_instance_id + "'"};
  }
  if (auto checked = check_protocol(request); !checked) return checked.failure();
  return join_member(member, request, context);
}

// A new member (or a pending id sent back) becomes a member and joins the rebalance. A static
// member's new incarnation takes the place of the member that held its instance id.
GroupResult<KafkaJoinResult> Group::admit(const KafkaJoinRequest& request, std::string member_id,
                                          const GroupContext& context) {
  Member* replaced =
      request.group_instance_id.empty() ? nullptr : find_instance(request.group_instance_id);
  if (replaced == nullptr &&
      members_.size() + pending_.size() >= context.limits.members_per_group_max) {
    return GroupFailure{GroupError::group_max_size_reached,
                        "group '" + name_ + "' already has " +
                            std::to_string(members_.size() + pending_.size()) +
                            " members, its maximum"};
  }
  if (replaced != nullptr) remove_member(replaced->id, context);
  Member member;
  member.id = member_id;
  update_member(member, request);
  Member& added = members_.emplace(std::move(member_id), std::move(member)).first->second;
  if (state_ != GroupState::rebalancing) {
    begin_rebalance(context);
  } else if (context.now_ms < join_not_before_ms_) {
    // Within the initial delay each new member extends it, up to the rebalance timeout.
    join_not_before_ms_ = std::min(context.now_ms + context.initial_rebalance_delay_ms,
                                   rebalance_begin_ms_ + rebalance_timeout_ms_max());
  }
  mark_joined(added, context.now_ms);
  complete_if_ready(context);
  return kafka_answer(added);
}

// A member's join again. Between rebalances it only repeats the answer, unless its protocols
// changed or it leads a stable group (a leader joins again to ask for a rebalance).
GroupResult<KafkaJoinResult> Group::join_member(Member& member, const KafkaJoinRequest& request,
                                                const GroupContext& context) {
  const bool changed = !same_protocols(member, request);
  update_member(member, request);
  const bool formed = state_ == GroupState::completing_rebalance || state_ == GroupState::stable;
  const bool leader_asks = state_ == GroupState::stable && member.id == leader_id_;
  if (formed && !changed && !leader_asks) {
    member.last_heard_ms = context.now_ms;
    return kafka_answer(member);
  }
  if (state_ != GroupState::rebalancing) begin_rebalance(context);
  mark_joined(member, context.now_ms);
  complete_if_ready(context);
  return kafka_answer(member);
}

Member* Group::find_instance(std::string_view group_instance_id) {
  SLUICE_ASSERT(!group_instance_id.empty());
  for (auto& [id, member] : members_) {
    if (member.group_instance_id == group_instance_id) return &member;
  }
  return nullptr;
}

// The generation is formed (finish_join ran): choose the protocol, then wait for the leader.
void Group::begin_sync(int64_t now_ms) {
  SLUICE_ASSERT(state_ == GroupState::rebalancing);
  SLUICE_ASSERT(mode() == GroupMode::kafka);
  auto leader = members_.find(leader_id_);
  SLUICE_ASSERT(leader != members_.end());
  std::vector<const std::vector<KafkaProtocol>*> preferences{&leader->second.protocols};
  for (auto& [id, member] : members_) {
    SLUICE_ASSERT(member.joined);
    member.synced = false;
    member.assignment_bytes.clear();
    if (id != leader_id_) preferences.push_back(&member.protocols);
  }
  protocol_name_ = choose_protocol(preferences);
  // Every join was checked to share a protocol with all the other members.
  SLUICE_ASSERT_MSG(!protocol_name_.empty(), "a Kafka-mode group without a common protocol");
  state_ = GroupState::completing_rebalance;
  sync_deadline_ms_ = now_ms + rebalance_timeout_ms_max();
}

GroupResult<SyncResult> Group::sync(const SyncRequest& request, const GroupContext& context) {
  auto found = members_.find(request.member_id);
  if (found == members_.end()) return not_a_member(request.member_id);
  Member& member = found->second;
  if (!member.kafka()) {
    return GroupFailure{GroupError::inconsistent_protocol,
                        "group '" + name_ + "' is a sluice consumers' group: it has no sync"};
  }
  if (!request.group_instance_id.empty() && request.group_instance_id != member.group_instance_id) {
    return GroupFailure{GroupError::fenced_instance_id,
                        "member '" + member.id + "' of group '" + name_ +
                            "' does not hold instance id '" + request.group_instance_id + "'"};
  }
  if (request.generation != generation_) {
    return GroupFailure{GroupError::illegal_generation,
                        "sync for generation " + std::to_string(request.generation) +
                            " but group '" + name_ + "' is at generation " +
                            std::to_string(generation_)};
  }
  if ((!request.protocol_type.empty() && request.protocol_type != member.protocol_type) ||
      (!request.protocol_name.empty() && request.protocol_name != protocol_name_)) {
    return GroupFailure{GroupError::inconsistent_protocol,
                        "group '" + name_ + "' uses protocol '" + member.protocol_type + "/" +
                            protocol_name_ + "', not '" + request.protocol_type + "/" +
                            request.protocol_name + "'"};
  }
  member.last_heard_ms = context.now_ms;
  if (state_ == GroupState::rebalancing) {
    return GroupFailure{GroupError::rebalance_in_progress,
                        "group '" + name_ + "' is rebalancing again: join again"};
  }
  SLUICE_ASSERT(state_ == GroupState::completing_rebalance || state_ == GroupState::stable);
  member.synced = true;
  if (state_ == GroupState::completing_rebalance && member.id == leader_id_) {
    install_sync(request.assignments);
  }
  SyncResult out;
  out.protocol_type = member.protocol_type;
  out.protocol_name = protocol_name_;
  if (state_ == GroupState::completing_rebalance) return out;  // the leader has not synced
  out.status = SyncStatus::complete;
  out.assignment = member.assignment_bytes;
  return out;
}

// The leader's assignment. Entries naming no member are ignored, as Kafka does; members without
// an entry keep empty bytes.
void Group::install_sync(const std::vector<KafkaAssignment>& assignments) {
  SLUICE_ASSERT(state_ == GroupState::completing_rebalance);
  for (const KafkaAssignment& entry : assignments) {
    auto found = members_.find(entry.member_id);
    if (found != members_.end()) found->second.assignment_bytes = entry.assignment;
  }
  state_ = GroupState::stable;
}

size_t Group::remove_pending(int64_t now_ms) {
  return std::erase_if(pending_, [now_ms](const auto& entry) { return entry.second <= now_ms; });
}

// Members that have not sent sync() by the sync deadline are removed (Kafka's pending sync):
// without it a leader that joined and then never assigned would hold the group until its
// session ran out, and one that keeps heartbeating would hold it for ever.
size_t Group::remove_unsynced(const GroupContext& context) {
  if (state_ != GroupState::completing_rebalance && state_ != GroupState::stable) return 0;
  if (mode() != GroupMode::kafka || context.now_ms < sync_deadline_ms_) return 0;
  std::vector<std::string> unsynced;
  for (const auto& [id, member] : members_) {
    if (!member.synced) unsynced.push_back(id);
  }
  for (auto& id : unsynced)
    remove_member(std::move(id), context);
  return unsynced.size();
}

KafkaJoinResult Group::kafka_answer(const Member& member) const {
  SLUICE_ASSERT(member.kafka());
  KafkaJoinResult out;
  out.member_id = member.id;
  out.protocol_type = member.protocol_type;
  if (state_ != GroupState::completing_rebalance && state_ != GroupState::stable) return out;
  SLUICE_ASSERT(member.joined);
  out.status = KafkaJoinStatus::complete;
  out.generation = generation_;
  out.protocol_name = protocol_name_;
  out.leader_id = leader_id_;
  if (member.id != leader_id_) return out;
  out.members.reserve(members_.size());
  for (const auto& [id, other] : members_) {
    out.members.push_back(
        {id, other.group_instance_id, metadata_for(other.protocols, protocol_name_)});
  }
  return out;
}

}  // namespace sluice::consumers
