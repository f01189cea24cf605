// Group: beginning and completing rebalances, removing members, and the answers to joins
// (the native ones; group_kafka.cc has the Kafka-mode steps).
#include "consumers/group.h"

#include "consumers/protocol_choice.h"
#include "io/assert.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <vector>

namespace sluice::consumers {

GroupResult<void> Group::check_strategy(const JoinRequest& request) const {
  if (mode() == GroupMode::kafka) {
    return {GroupError::inconsistent_protocol,
            "group '" + name_ + "' has Kafka clients as members: a sluice consumer cannot join it"};
  }
  for (const auto& [id, member] : members_) {
    if (id == request.member_id || member.strategy == request.strategy) continue;
    return {GroupError::inconsistent_protocol,
            "group '" + name_ + "' uses strategy " +
                (member.strategy == AssignmentStrategy::range ? "range" : "round_robin") +
                "; a member may not ask for another one"};
  }
  return {};
}

void Group::begin_rebalance(const GroupContext& context) {
  SLUICE_ASSERT(state_ != GroupState::rebalancing);
  SLUICE_ASSERT(!members_.empty());
  const bool from_empty = state_ == GroupState::empty;
  state_ = GroupState::rebalancing;
  rebalance_begin_ms_ = context.now_ms;
  join_not_before_ms_ = context.now_ms;
  if (from_empty && mode() == GroupMode::kafka) {
    join_not_before_ms_ =
        context.now_ms + std::min(context.initial_rebalance_delay_ms, rebalance_timeout_ms_max());
  }
  for (auto& [id, member] : members_)
    member.joined = false;
}

// A member that rejoins gives up its partitions: from here on it reads nothing until the new
// generation's assignment comes.
void Group::mark_joined(Member& member, int64_t now_ms) {
  SLUICE_ASSERT(state_ == GroupState::rebalancing);
  if (!member.joined) member.join_order = ++joins_;
  member.joined = true;
  member.assignment.clear();
  member.assignment_bytes.clear();
  member.synced = false;
  member.last_heard_ms = now_ms;
}

void Group::remove_member(std::string member_id, const GroupContext& context) {
  const size_t erased = members_.erase(member_id);
  SLUICE_ASSERT(erased == 1);
  // Its partitions must move: the others rejoin. A rebalance under way simply stops waiting
  // for it. The last member's going completes at once: the group is empty, at the next
  // generation (which fences the old one's commits).
  if (members_.empty()) {
    state_ = GroupState::rebalancing;
    finish_join();
    protocol_name_.clear();
    return;
  }
  if (state_ == GroupState::stable || state_ == GroupState::completing_rebalance) {
    begin_rebalance(context);
  }
}

size_t Group::remove_silent(const GroupContext& context) {
  std::vector<std::string> silent;
  for (const auto& [id, member] : members_) {
    if (member.silent_at(context.now_ms)) silent.push_back(id);
  }
  for (auto& id : silent)
    remove_member(std::move(id), context);
  return silent.size();
}

size_t Group::remove_unjoined() {
  SLUICE_ASSERT(state_ == GroupState::rebalancing);
  return std::erase_if(members_, [](const auto& entry) { return !entry.second.joined; });
}

// Kafka's rule: the rebalance waits for the largest rebalance timeout among the members.
int64_t Group::rebalance_timeout_ms_max() const {
  int64_t timeout_ms = 0;
  for (const auto& [id, member] : members_) {
    timeout_ms = std::max(timeout_ms, member.rebalance_timeout_ms);
  }
  return timeout_ms;
}

int64_t Group::rebalance_deadline_ms() const {
  return rebalance_begin_ms_ + rebalance_timeout_ms_max();
}

bool Group::all_joined() const {
  return std::all_of(members_.begin(), members_.end(),
                     [](const auto& entry) { return entry.second.joined; });
}

void Group::complete_if_ready(const GroupContext& context) {
  if (state_ != GroupState::rebalancing || !all_joined()) return;
  if (!members_.empty() && context.now_ms < join_not_before_ms_) return;
  finish_join();
  if (members_.empty()) {
    protocol_name_.clear();
    return;
  }
  if (mode() == GroupMode::kafka) {
    begin_sync(context.now_ms);
    return;
  }
  // Server-side assignment: only the topics some member subscribes to, with their counts.
  std::map<std::string, int32_t> counts;
  std::vector<MemberSubscription> subscriptions;
  for (const auto& [id, member] : members_) {
    subscriptions.push_back({id, member.topics});
    for (const auto& topic : member.topics) {
      auto found = context.partitions.find(topic);
      if (found != context.partitions.end()) counts.emplace(topic, found->second);
    }
  }
  install(assign(strategy_, std::move(subscriptions), counts), context.partitions);
}

// The first step of completing a rebalance: the next generation and its leader (the previous
// leader when it is still a member, else the member that rejoined first).
void Group::finish_join() {
  SLUICE_ASSERT(state_ == GroupState::rebalancing);
  SLUICE_ASSERT(all_joined());
  SLUICE_ASSERT(generation_ < INT32_MAX);
  generation_ += 1;
  if (!members_.contains(leader_id_)) {
    leader_id_.clear();
    uint64_t first = UINT64_MAX;
    for (const auto& [id, member] : members_) {
      if (member.join_order < first) {
        first = member.join_order;
        leader_id_ = id;
      }
    }
  }
  if (members_.empty()) state_ = GroupState::empty;
}

// The second step: the assignment of the new generation. Every partition of every subscribed
// topic goes to exactly one member that subscribes to it.
void Group::install(const Assignment& assignment, const PartitionCounts& partitions) {
  SLUICE_ASSERT(state_ == GroupState::rebalancing);
  SLUICE_ASSERT(assignment.size() == members_.size());
  std::set<TopicPartition> owned;
  std::set<std::string> topics;
  for (auto& [id, member] : members_) {
    auto found = assignment.find(id);
    SLUICE_ASSERT(found != assignment.end());
    for (const TopicPartition& tp : found->second) {
      SLUICE_ASSERT(member.subscribes(tp.topic));
      auto count = partitions.find(tp.topic);
      SLUICE_ASSERT(count != partitions.end());
      SLUICE_ASSERT(tp.partition >= 0 && tp.partition < count->second);
      SLUICE_ASSERT_MSG(owned.insert(tp).second, "a partition owned twice in one generation");
    }
    member.assignment = found->second;
    topics.insert(member.topics.begin(), member.topics.end());
  }
  size_t expected = 0;
  for (const auto& topic : topics) {
    auto count = partitions.find(topic);
    if (count != partitions.end()) expected += static_cast<size_t>(count->second);
  }
  SLUICE_ASSERT_MSG(owned.size() == expected, "a partition without an owner");
  state_ = GroupState::stable;
}

JoinResult Group::answer(const Member& member) const {
  JoinResult result;
  result.member_id = member.id;
  result.strategy = strategy_;
  if (state_ != GroupState::stable) return result;
  SLUICE_ASSERT(member.joined);
  SLUICE_ASSERT(!member.kafka());
  result.status = JoinStatus::stable;
  result.generation = generation_;
  result.assignment = member.assignment;
  result.leader_id = leader_id_;
  return result;
}

GroupDescription Group::describe() const {
  GroupDescription out;
  out.group = name_;
  out.state = state_;
  out.generation = generation_;
  out.mode = mode();
  out.strategy = strategy_;
  if (state_ == GroupState::stable || state_ == GroupState::completing_rebalance) {
    out.leader_id = leader_id_;
  }
  if (out.mode == GroupMode::kafka) {
    out.protocol_type = members_.begin()->second.protocol_type;
    out.protocol_name = protocol_name_;
  }
  for (const auto& [id, member] : members_) {
    MemberDescription& described = out.members.emplace_back();
    described.member_id = member.id;
    described.client_id = member.client_id;
    described.client_host = member.client_host;
    described.group_instance_id = member.group_instance_id;
    described.topics = member.topics;
    described.strategy = member.strategy;
    described.session_timeout_ms = member.session_timeout_ms;
    described.rebalance_timeout_ms = member.rebalance_timeout_ms;
    described.protocol_metadata =
        member.kafka() ? metadata_for(member.protocols, protocol_name_) : member.protocol_metadata;
    described.last_heard_ms = member.last_heard_ms;
    described.joined = member.joined;
    described.assignment = member.assignment;
    described.assignment_bytes = member.assignment_bytes;
  }
  return out;
}

}  // namespace sluice::consumers
