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
// - A member not heard from (join, heartbeat, sync or accepted commit) for its session timeout
//   is removed at the next tick().
// - The leader of a generation is the previous leader when it is still a member, else the
//   member that joined this rebalance first.
//
// Completing a rebalance is two steps: finish_join() (generation + 1, leader chosen), then the
// assignment. A native group computes it at once (install()) and becomes stable. A Kafka-mode
// group (client-side assignment; the rules are Kafka's) instead:
// - admits a member only with the members' protocol type and a protocol that every member
//   lists (else inconsistent_protocol), so that the members always share one;
// - chooses the protocol (consumers/protocol_choice.h) and waits in completing_rebalance until
//   the leader's sync() brings every member's assignment bytes; then it is stable;
// - rebalances also when its leader joins again while stable (the leader's way of asking for
//   one, on a metadata change it saw), and never on a topic's partition count (its members
//   watch that themselves);
// - removes the members that have not sent sync() by the sync deadline (completion + the
//   largest rebalance timeout), and then rebalances, so that a leader that never assigns cannot
//   hold the group;
// - hands out member ids with member_id_required when asked to; such a pending id joins only
//   when the client sends it back, and is forgotten after the session timeout;
// - lets a static member (instance id) that joins without its member id replace the member
//   holding its instance id (a rebalance, where Kafka would keep the generation);
// - waits, when a rebalance begins in an empty group, for the initial rebalance delay (extended
//   by each new member up to the rebalance timeout), so that members starting together form one
//   generation.
//
// Thread-safety: none; the GroupCoordinator calls it under its mutex. Every call takes a
// GroupContext; the coordinator runs tick() before each one.
#pragma once

#include "consumers/assignment.h"
#include "consumers/group_error.h"
#include "consumers/group_limits.h"
#include "consumers/group_types.h"
#include "consumers/kafka_group_types.h"
#include "consumers/member.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::consumers {

// topic -> partition count, as the engine last reported it.
using PartitionCounts = std::map<std::string, int32_t, std::less<>>;

struct GroupContext {
  int64_t now_ms = 0;
  const PartitionCounts& partitions;
  const GroupLimits& limits;
  int64_t initial_rebalance_delay_ms = 0;  // Kafka mode, see above
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
  // Several members leave (each by member id, instance id or both); one answer per member, in
  // order: ok, unknown_member or fenced_instance_id. A pending member id is forgotten.
  std::vector<GroupResult<void>> leave(std::span<const LeavingMember> members,
                                       const GroupContext& context);
  // See GroupCoordinator::validate_commit.
  GroupResult<void> validate_commit(std::string_view member_id, int32_t generation,
                                    const GroupContext& context);
  // Kafka mode. A join without a member id; `member_id` is a fresh one (only handed out, with
  // member_id_required, when the request requires a known member id).
  GroupResult<KafkaJoinResult> join_new(const KafkaJoinRequest& request, std::string member_id,
                                        const GroupContext& context);
  // A join with request.member_id: a pending id's first join, or a member's join again.
  GroupResult<KafkaJoinResult> rejoin(const KafkaJoinRequest& request, const GroupContext& context);
  // See GroupCoordinator::sync. The request is already checked (check_sync_request).
  GroupResult<SyncResult> sync(const SyncRequest& request, const GroupContext& context);

  // Removes silent members, then completes a rebalance that can complete (everyone rejoined)
  // or must (deadline passed). Returns the number of members removed.
  size_t tick(const GroupContext& context);
  // The partition count of `topic` changed: a stable group that subscribes to it rebalances.
  void on_topic_changed(std::string_view topic, const GroupContext& context);

  GroupDescription describe() const;
  GroupState state() const { return state_; }
  int32_t generation() const { return generation_; }
  // No members (pending member ids do not count).
  bool empty() const { return members_.empty(); }
  GroupMode mode() const;

 private:
  GroupResult<void> check_strategy(const JoinRequest& request) const;
  void begin_rebalance(const GroupContext& context);
  void mark_joined(Member& member, int64_t now_ms);
  void remove_member(std::string member_id, const GroupContext& context);
  size_t remove_silent(const GroupContext& context);
  size_t remove_unjoined();
  int64_t rebalance_timeout_ms_max() const;
  int64_t rebalance_deadline_ms() const;
  bool all_joined() const;
  void complete_if_ready(const GroupContext& context);
  void finish_join();
  void install(const Assignment& assignment, const PartitionCounts& partitions);
  JoinResult answer(const Member& member) const;
  GroupFailure not_a_member(std::string_view member_id) const;

  // Kafka mode (group_kafka.cc).
  GroupResult<void> check_protocol(const KafkaJoinRequest& request) const;
  GroupResult<KafkaJoinResult> admit(const KafkaJoinRequest& request, std::string member_id,
                                     const GroupContext& context);
  GroupResult<KafkaJoinResult> join_member(Member& member, const KafkaJoinRequest& request,
                                           const GroupContext& context);
  Member* find_instance(std::string_view group_instance_id);
  void begin_sync(int64_t now_ms);
  void install_sync(const std::vector<KafkaAssignment>& assignments);
  size_t remove_pending(int64_t now_ms);
  size_t remove_unsynced(const GroupContext& context);
  KafkaJoinResult kafka_answer(const Member& member) const;

  std::string name_;
  GroupState state_ = GroupState::empty;
  int32_t generation_ = 0;
  std::string leader_id_;
  AssignmentStrategy strategy_ = AssignmentStrategy::range;
  int64_t rebalance_begin_ms_ = 0;
  uint64_t joins_ = 0;  // joins counted since the group began, for Member::join_order
  std::map<std::string, Member, std::less<>> members_;
  // Kafka mode.
  std::string protocol_name_;       // chosen when the last join completed
  int64_t join_not_before_ms_ = 0;  // the initial rebalance delay's end
  int64_t sync_deadline_ms_ = 0;    // see the rules above
  // Member ids handed out with member_id_required -> when they are forgotten (ms).
  std::map<std::string, int64_t, std::less<>> pending_;
};

}  // namespace sluice::consumers
