#include "consumers/group.h"

#include "io/assert.h"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

namespace sluice::consumers {
namespace {

std::vector<std::string> sorted_unique(std::vector<std::string> topics) {
  std::sort(topics.begin(), topics.end());
  topics.erase(std::unique(topics.begin(), topics.end()), topics.end());
  return topics;
}

// Copies what a join asks for into the member. Returns whether the subscription (what the
// assignment depends on, or what a Kafka leader reads in the metadata) changed.
bool update_member(Member& member, const JoinRequest& request) {
  std::vector<std::string> topics = sorted_unique(request.topics);
  const bool changed = topics != member.topics || request.strategy != member.strategy ||
                       request.protocol_metadata != member.protocol_metadata;
  member.topics = std::move(topics);
  member.strategy = request.strategy;
  member.protocol_metadata = request.protocol_metadata;
  member.client_id = request.client_id;
  member.session_timeout_ms = request.session_timeout_ms;
  member.rebalance_timeout_ms = request.rebalance_timeout_ms;
  return changed;
}

}  // namespace

Group::Group(std::string name) : name_(std::move(name)) {
  SLUICE_ASSERT(!name_.empty());
}

GroupResult<JoinResult> Group::join_new(const JoinRequest& request, std::string member_id,
                                        const GroupContext& context) {
  SLUICE_ASSERT(!member_id.empty());
  SLUICE_ASSERT(!members_.contains(member_id));
  if (members_.size() + pending_.size() >= context.limits.members_per_group_max) {
    return GroupFailure{GroupError::group_max_size_reached,
                        "group '" + name_ + "' already has " +
                            std::to_string(members_.size() + pending_.size()) +
                            " members, its maximum"};
  }
  if (auto checked = check_strategy(request); !checked) return checked.failure();
  Member member;
  member.id = member_id;
  update_member(member, request);
  Member& added = members_.emplace(std::move(member_id), std::move(member)).first->second;
  strategy_ = request.strategy;
  if (state_ != GroupState::rebalancing) begin_rebalance(context);
  mark_joined(added, context.now_ms);
  complete_if_ready(context);
  return answer(added);
}

GroupResult<JoinResult> Group::rejoin(const JoinRequest& request, const GroupContext& context) {
  auto found = members_.find(request.member_id);
  if (found == members_.end()) {
    return GroupFailure{GroupError::unknown_member, "member '" + request.member_id +
                                                        "' is not in group '" + name_ +
                                                        "': join again without a member id"};
  }
  if (auto checked = check_strategy(request); !checked) return checked.failure();
  Member& member = found->second;  // native: check_strategy refuses a Kafka-mode group
  const bool changed = update_member(member, request);
  strategy_ = request.strategy;
  if (state_ == GroupState::stable && !changed) {
    member.last_heard_ms = context.now_ms;
    return answer(member);
  }
  if (state_ != GroupState::rebalancing) begin_rebalance(context);
  mark_joined(member, context.now_ms);
  complete_if_ready(context);
  return answer(member);
}

GroupResult<void> Group::heartbeat(std::string_view member_id, int32_t generation,
                                   const GroupContext& context) {
  auto found = members_.find(member_id);
  if (found == members_.end()) return not_a_member(member_id);
  if (generation != generation_) {
    return {GroupError::illegal_generation, "generation " + std::to_string(generation) +
                                                " is not group '" + name_ + "''s generation " +
                                                std::to_string(generation_)};
  }
  found->second.last_heard_ms = context.now_ms;
  // A member waiting for the leader's assignment (completing_rebalance) is in good standing.
  if (state_ == GroupState::rebalancing) {
    return {GroupError::rebalance_in_progress,
            "group '" + name_ + "' is rebalancing: give the partitions up and join again"};
  }
  return {};
}

GroupResult<void> Group::leave(std::string_view member_id, const GroupContext& context) {
  const LeavingMember leaving{std::string(member_id), {}};
  return std::move(leave(std::span(&leaving, 1), context).front());
}

std::vector<GroupResult<void>> Group::leave(std::span<const LeavingMember> members,
                                            const GroupContext& context) {
  std::vector<GroupResult<void>> out;
  out.reserve(members.size());
  for (const LeavingMember& leaving : members) {
    if (!leaving.member_id.empty() && pending_.erase(leaving.member_id) == 1) {
      out.emplace_back();
      continue;
    }
    Member* member = nullptr;
    if (auto found = members_.find(leaving.member_id); found != members_.end()) {
      member = &found->second;
    } else if (leaving.member_id.empty() && !leaving.group_instance_id.empty()) {
      member = find_instance(leaving.group_instance_id);
    }
    if (member == nullptr) {
      out.emplace_back(
          not_a_member(leaving.member_id.empty() ? leaving.group_instance_id : leaving.member_id));
      continue;
    }
    if (!leaving.group_instance_id.empty() &&
        member->group_instance_id != leaving.group_instance_id) {
      out.emplace_back(GroupError::fenced_instance_id, "member '" + member->id + "' of group '" +
                                                           name_ + "' does not hold instance id '" +
                                                           leaving.group_instance_id + "'");
      continue;
    }
    remove_member(member->id, context);
    out.emplace_back();
  }
  // Once for all of them: several members leaving at once make one rebalance.
  complete_if_ready(context);
  return out;
}

GroupResult<void> Group::validate_commit(std::string_view member_id, int32_t generation,
                                         const GroupContext& context) {
  if (member_id.empty() && generation < 0) {
    if (members_.empty()) return {};
    return {GroupError::unknown_member, "group '" + name_ +
                                            "' has members: a commit without a member id and "
                                            "generation needs an empty group"};
  }
  auto found = members_.find(member_id);
  if (found == members_.end()) return not_a_member(member_id);
  if (generation != generation_) {
    return {GroupError::illegal_generation, "commit from generation " + std::to_string(generation) +
                                                " but group '" + name_ + "' is at generation " +
                                                std::to_string(generation_)};
  }
  found->second.last_heard_ms = context.now_ms;
  // Kafka refuses commits between the join and the leader's assignment: the generation's
  // owners are not known yet.
  if (state_ == GroupState::completing_rebalance) {
    return {GroupError::rebalance_in_progress,
            "group '" + name_ + "' waits for its leader's assignment"};
  }
  return {};
}

size_t Group::tick(const GroupContext& context) {
  remove_pending(context.now_ms);
  size_t removed = remove_silent(context);
  removed += remove_unsynced(context);
  if (state_ == GroupState::rebalancing && !all_joined() &&
      context.now_ms >= rebalance_deadline_ms()) {
    removed += remove_unjoined();
  }
  complete_if_ready(context);
  return removed;
}

// Kafka-mode members subscribe inside their opaque metadata: they watch partition counts and
// ask for a rebalance themselves (their topics here are empty).
void Group::on_topic_changed(std::string_view topic, const GroupContext& context) {
  if (state_ != GroupState::stable) return;  // a rebalance under way reads the new count
  const bool subscribed = std::any_of(members_.begin(), members_.end(), [&](const auto& entry) {
    return entry.second.subscribes(topic);
  });
  if (subscribed) begin_rebalance(context);
}

GroupMode Group::mode() const {
  if (members_.empty()) return GroupMode::none;
  return members_.begin()->second.kafka() ? GroupMode::kafka : GroupMode::native;
}

GroupFailure Group::not_a_member(std::string_view member_id) const {
  return {GroupError::unknown_member,
          "member '" + std::string(member_id) + "' is not in group '" + name_ + "'"};
}

}  // namespace sluice::consumers
