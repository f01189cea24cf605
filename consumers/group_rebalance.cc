// Group: beginning and completing rebalances, removing members, and the answers to joins.
#include "consumers/group.h"

#include "io/assert.h"

#include <algorithm>
#include <set>
#include <vector>

namespace sluice::consumers {

GroupResult<void> Group::check_strategy(const JoinRequest& request) const {
  for (const auto& [id, member] : members_) {
    if (id == request.member_id || member.strategy == request.strategy) continue;
    return {GroupError::inconsistent_protocol,
            "group '" + name_ + "' uses strategy " +
                (member.strategy == AssignmentStrategy::range ? "range" : "round_robin") +
                "; a member may not ask for another one"};
  }
  return {};
}

void Group::begin_rebalance(int64_t now_ms) {
  SLUICE_ASSERT(state_ != GroupState::rebalancing);
  state_ = GroupState::rebalancing;
  rebalance_begin_ms_ = now_ms;
  for (auto& [id, member] : members_)
    member.joined = false;
}

// A member that rejoins gives up its partitions: from here on it reads nothing until the new
// generation's assignment comes.
void Group::mark_joined(Member& member, int64_t now_ms) {
  SLUICE_ASSERT(state_ == GroupState::rebalancing);
  member.joined = true;
  member.assignment.clear();
  member.last_heard_ms = now_ms;
}

void Group::remove_member(const std::string& member_id, int64_t now_ms) {
  const size_t erased = members_.erase(member_id);
  SLUICE_ASSERT(erased == 1);
  // Its partitions must move: the others rejoin. A rebalance under way simply stops waiting
  // for it.
  if (state_ == GroupState::stable) begin_rebalance(now_ms);
}

size_t Group::remove_silent(int64_t now_ms) {
  std::vector<std::string> silent;
  for (const auto& [id, member] : members_) {
    if (member.silent_at(now_ms)) silent.push_back(id);
  }
  for (const auto& id : silent)
    remove_member(id, now_ms);
  return silent.size();
}

size_t Group::remove_unjoined() {
  SLUICE_ASSERT(state_ == GroupState::rebalancing);
  return std::erase_if(members_, [](const auto& entry) { return !entry.second.joined; });
}

// Kafka's rule: the rebalance waits for the largest rebalance timeout among the members.
int64_t Group::rebalance_deadline_ms() const {
  int64_t timeout_ms = 0;
  for (const auto& [id, member] : members_) {
    timeout_ms = std::max(timeout_ms, member.rebalance_timeout_ms);
  }
  return rebalance_begin_ms_ + timeout_ms;
}

bool Group::all_joined() const {
  return std::all_of(members_.begin(), members_.end(),
                     [](const auto& entry) { return entry.second.joined; });
}

void Group::complete_if_ready(const GroupContext& context) {
  if (state_ != GroupState::rebalancing || !all_joined()) return;
  finish_join();
  if (members_.empty()) return;
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
// leader when it is still a member, else the member with the smallest id).
void Group::finish_join() {
  SLUICE_ASSERT(state_ == GroupState::rebalancing);
  SLUICE_ASSERT(all_joined());
  SLUICE_ASSERT(generation_ < INT32_MAX);
  generation_ += 1;
  if (!members_.contains(leader_id_)) {
    leader_id_ = members_.empty() ? std::string() : members_.begin()->first;
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
  out.strategy = strategy_;
  if (state_ == GroupState::stable) out.leader_id = leader_id_;
  for (const auto& [id, member] : members_) {
    out.members.push_back({member.id, member.client_id, member.topics, member.strategy,
                           member.session_timeout_ms, member.rebalance_timeout_ms,
                           member.protocol_metadata, member.last_heard_ms, member.joined,
                           member.assignment});
  }
  return out;
}

}  // namespace sluice::consumers
