// GroupCoordinator: every consumer group of an engine (membership, generations, heartbeats and
// the assignment), driven without threads of its own from the consumers' poll loops and from
// the Kafka server's group requests. consumers/group.h states the rebalance rules;
// consumers/README.md shows how a poll loop, and how the Kafka server, drive it.
//
// Two kinds of groups (GroupMode): sluice-native ones, whose members join with a JoinRequest
// and get their partitions from the coordinator (server-side assignment), and Kafka-mode ones,
// whose members join with a KafkaJoinRequest and whose leader assigns (sync). A group is one or
// the other; a join of the other kind is refused while it has members. heartbeat, leave,
// validate_commit, describe, list and remove_group serve both.
//
// Nothing here blocks: where Kafka holds a JoinGroup or SyncGroup response until the group is
// ready, join answers rebalancing and sync answers waiting, and the server calls again later
// (every few milliseconds to a few hundred). Each such call counts as the member being heard
// from, so a member whose connection is gone is removed after its session timeout.
//
// Time comes from the injected clock only, so tests are deterministic. Every call first runs
// the housekeeping of the group it names (silent members removed, a rebalance completed when
// it can or must); expire() runs it for every group and should be called periodically (every
// few hundred milliseconds) so that a group nobody calls still moves on.
//
// Partition counts: the engine reports each topic's partition count (set_topic_partitions) at
// start and whenever it changes, and remove_topic when one is deleted. A change of a topic a
// stable group subscribes to starts a rebalance. Topics never reported are assigned to nobody.
//
// Thread-safety: every member function may be called from any thread; one internal mutex
// serializes them (these are cold paths). The clock is called with that mutex held: it must
// not call back into the coordinator.
#pragma once

#include "consumers/group.h"
#include "consumers/group_error.h"
#include "consumers/group_limits.h"
#include "consumers/group_types.h"
#include "consumers/kafka_group_types.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::consumers {

struct CoordinatorOptions {
  std::function<int64_t()> now_ms;  // required: milliseconds, never going backwards
  GroupLimits limits;
  // Member ids are "<client_id or 'member'>-<incarnation, 16 hex digits>-<counter>". The
  // incarnation tells ids of this coordinator from those of an earlier run; 0 picks a random
  // one, tests set it.
  uint64_t incarnation = 0;
  // Kafka mode: how long a rebalance that begins in an empty group waits for more members
  // (Kafka's group.initial.rebalance.delay.ms), each new one extending it, up to the rebalance
  // timeout. 0: none.
  int64_t initial_rebalance_delay_ms = 0;
};

class GroupCoordinator {
 public:
  explicit GroupCoordinator(CoordinatorOptions options);

  // Joins a new member (empty member_id) or rejoins a known one. The answer is either
  // JoinStatus::rebalancing (call join again with the returned member_id, from the poll loop)
  // or JoinStatus::stable with the generation and this member's partitions. Errors:
  // invalid_group_id, invalid_session_timeout, invalid_argument, inconsistent_protocol,
  // unknown_member (a member_id the group does not know: join again with an empty one),
  // group_max_size_reached.
  GroupResult<JoinResult> join(const JoinRequest& request);
  // Kafka's JoinGroup. The answer is rebalancing (call again with the same request and the
  // returned member_id), member_id_required (only with require_known_member_id: call again
  // with the returned member_id, which is forgotten if it does not come back within the
  // session timeout) or complete: generation, protocol_name, leader_id, and for the leader
  // every member with its metadata; then call sync. Errors: invalid_group_id,
  // invalid_session_timeout, invalid_argument, inconsistent_protocol (no protocol type or
  // protocols; another protocol type than the members'; no protocol in common with them; a
  // sluice-native group), unknown_member, fenced_instance_id, group_max_size_reached,
  // coordinator_full.
  GroupResult<KafkaJoinResult> join(const KafkaJoinRequest& request);
  // Kafka's SyncGroup, after a complete join. The leader's call installs its assignments and
  // makes the group stable; the answer is waiting (call again later) until then, and complete
  // with the member's assignment bytes after. Errors: invalid_group_id, invalid_argument (see
  // check_sync_request), unknown_member, fenced_instance_id, illegal_generation (not the
  // group's generation), rebalance_in_progress (a new rebalance began: join again),
  // inconsistent_protocol (a sluice-native group, or v5's protocol type or name not the
  // group's).
  GroupResult<SyncResult> sync(const SyncRequest& request);

  // Liveness of a member of a stable group: ok, rebalance_in_progress (join again),
  // unknown_member (removed: join again with an empty member_id) or illegal_generation (join
  // again with the member_id). While join answers rebalancing, call join, not heartbeat. A
  // Kafka-mode group waiting for its leader's sync (completing_rebalance) answers ok.
  GroupResult<void> heartbeat(std::string_view group, std::string_view member_id,
                              int32_t generation);
  // The member leaves at once; the others rebalance. unknown_member when it is not one.
  GroupResult<void> leave(std::string_view group, std::string_view member_id);
  // Kafka's LeaveGroup v3+: several members leave, each named by member id, instance id or
  // both, making one rebalance. One answer per member, in order: ok, unknown_member (also for
  // every one when there is no such group) or fenced_instance_id. Refused as a whole:
  // invalid_group_id, invalid_argument (more than members_per_group_max members).
  GroupResult<std::vector<GroupResult<void>>> leave_members(std::string_view group,
                                                            std::span<const LeavingMember> members);
  // Fencing of an offset commit, to call before writing it. Accepted: a member of the group
  // with the group's current generation, also while the group rebalances (so that a member
  // commits before giving its partitions up, as Kafka allows). Refused: unknown_member,
  // illegal_generation. A standalone committer (empty member_id and generation < 0, for
  // commits made outside group membership) is accepted only while the group has no members,
  // as in Kafka; when it has some, unknown_member. A Kafka-mode group waiting for its leader's
  // sync refuses commits with rebalance_in_progress, as Kafka does. An accepted commit
  // refreshes the member's liveness. A rebalance may still begin between this check and the
  // write, as in Kafka.
  GroupResult<void> validate_commit(std::string_view group, std::string_view member_id,
                                    int32_t generation);
  // Housekeeping of every group. Returns the number of members removed.
  size_t expire();

  // The partition count of a topic (> 0), at start and on every change.
  void set_topic_partitions(std::string_view topic, int32_t partitions);
  void remove_topic(std::string_view topic);

  // group_not_found for a group never joined (or removed); Kafka's DescribeGroups shows it as
  // Dead (kafka_state_name(GroupState::dead)).
  GroupResult<GroupDescription> describe(std::string_view group);
  // Every group the coordinator holds (with members, or empty after they left, until
  // remove_group or the groups_max bound forgets it), sorted. The coordinator keeps no state
  // across restarts: groups known only by their committed offsets are the OffsetTable's.
  std::vector<std::string> list();
  // Forgets an empty group (Kafka's DeleteGroups); its offsets are the OffsetTable's business.
  // group_not_found, non_empty_group.
  GroupResult<void> remove_group(std::string_view group);

 private:
  GroupContext context();
  static GroupFailure unknown_member_of_absent(std::string_view group, std::string_view member_id);
  // The group, after its housekeeping; nullptr when there is none.
  Group* find_group(std::string_view group, const GroupContext& context);
  std::string next_member_id(std::string_view client_id);
  // A new group, or nullptr when groups_max groups have members.
  Group* add_group(std::string_view group);

  const CoordinatorOptions options_;
  std::mutex mutex_;
  int64_t now_ms_ = 0;  // the clock's last reading, for GroupContext (guarded by mutex_)
  uint64_t incarnation_ = 0;
  uint64_t members_created_ = 0;
  PartitionCounts partitions_;
  std::map<std::string, Group, std::less<>> groups_;
};

}  // namespace sluice::consumers
