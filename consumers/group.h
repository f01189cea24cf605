// One consumer group's membership state machine: its members, its generation and the
// assignment in force. The rules (consumers/README.md tells the whole story):
//
// - A rebalance begins when a member joins, leaves, changes its subscription (topics, strategy
//   or protocol metadata), or is removed, and when a subscribed topic's partition count
//   changes. It clears every member's "joined" mark; each member learns of it from heartbeat
//   (rebalance_in_progress) and rejoins, giving its partitions up as it does.
// - The rebalance completes when every member has rejoined, or when the rebalance deadline
//   passes (begin + the largest rebalance timeout of the members): the members that did not
//   rejoin are then removed. Completing makes generation + 1 and its assignment, computed here
//   (server-side) with the group's strategy; with no member left the group becomes empty (the
//   generation still moves on, which fences commits from the old one).
// - All members share one strategy: a join asking for another one than the other members' is
//   refused with inconsistent_protocol, as Kafka refuses a member with no protocol in common.
// - A member not heard from (join, heartbeat or accepted commit) for its session timeout is
//   removed at the next tick().
//
// For the Kafka protocol (client-side assignment): completing a rebalance is two steps here,
// finish_join() (generation + 1, leader chosen) and install() (the assignment). A SyncGroup path
// would stop between them in an "awaiting assignment" state and call install() with the
// leader's assignment.
//
// Thread-safety: none; the GroupCoordinator calls it under its mutex. Every call takes a
// GroupContext; the coordinator runs tick() before each one.
#pragma once

#include "consumers/assignment.h"
#include "consumers/group_error.h"
#include "consumers/group_limits.h"
#include "consumers/group_types.h"
#include "consumers/member.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace sluice::consumers {

// topic -> partition count, as the engine last reported it.
using PartitionCounts = std::map<std::string, int32_t, std::less<>>;

struct GroupContext {
  int64_t now_ms = 0;
  const PartitionCounts& partitions;
  const GroupLimits& limits;
};

class Group {
 public:
  explicit Group(std::string name);

  // A new member with a fresh id; the request is already checked (check_join_request).
  GroupResult<JoinResult> join_new(const JoinRequest& request, std::string member_id,
                                   const GroupContext& context);
  // A known member joining again (request.member_id). unknown_member when it is not one. In a
  // stable group with an unchanged subscription it only answers the current generation.
  GroupResult<JoinResult> rejoin(const JoinRequest& request, const GroupContext& context);
  // unknown_member, illegal_generation, rebalance_in_progress or ok (the last two refresh the
  // member's liveness).
  GroupResult<void> heartbeat(std::string_view member_id, int32_t generation,
                              const GroupContext& context);
  GroupResult<void> leave(std::string_view member_id, const GroupContext& context);
  // See GroupCoordinator::validate_commit.
  GroupResult<void> validate_commit(std::string_view member_id, int32_t generation,
                                    const GroupContext& context);
  // Removes silent members, then completes a rebalance that can complete (everyone rejoined)
  // or must (deadline passed). Returns the number of members removed.
  size_t tick(const GroupContext& context);
  // The partition count of `topic` changed: a stable group that subscribes to it rebalances.
  void on_topic_changed(std::string_view topic, const GroupContext& context);

  GroupDescription describe() const;
  GroupState state() const { return state_; }
  int32_t generation() const { return generation_; }
  bool empty() const { return members_.empty(); }

 private:
  GroupResult<void> check_strategy(const JoinRequest& request) const;
  void begin_rebalance(int64_t now_ms);
  void mark_joined(Member& member, int64_t now_ms);
  void remove_member(const std::string& member_id, int64_t now_ms);
  size_t remove_silent(int64_t now_ms);
  size_t remove_unjoined();
  int64_t rebalance_deadline_ms() const;
  bool all_joined() const;
  void complete_if_ready(const GroupContext& context);
  void finish_join();
  void install(const Assignment& assignment, const PartitionCounts& partitions);
  JoinResult answer(const Member& member) const;

  std::string name_;
  GroupState state_ = GroupState::empty;
  int32_t generation_ = 0;
  std::string leader_id_;
  AssignmentStrategy strategy_ = AssignmentStrategy::range;
  int64_t rebalance_begin_ms_ = 0;
  std::map<std::string, Member, std::less<>> members_;
};

}  // namespace sluice::consumers
