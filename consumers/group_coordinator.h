// GroupCoordinator: every consumer group of an engine (membership, generations, heartbeats and
// the server-side assignment), driven without threads of its own from the consumers' poll
// loops. consumers/group.h states the rebalance rules; consumers/README.md shows how a poll
// loop drives it.
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

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
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
  // Liveness of a member of a stable group: ok, rebalance_in_progress (join again),
  // unknown_member (removed: join again with an empty member_id) or illegal_generation (join
  // again with the member_id). While join answers rebalancing, call join, not heartbeat.
  GroupResult<void> heartbeat(std::string_view group, std::string_view member_id,
                              int32_t generation);
  // The member leaves at once; the others rebalance. unknown_member when it is not one.
  GroupResult<void> leave(std::string_view group, std::string_view member_id);
  // Fencing of an offset commit, to call before writing it. Accepted: a member of the group
  // with the group's current generation, also while the group rebalances (so that a member
  // commits before giving its partitions up, as Kafka allows). Refused: unknown_member,
  // illegal_generation. A standalone committer (empty member_id and generation < 0, for
  // commits made outside group membership) is accepted only while the group has no members,
  // as in Kafka; when it has some, unknown_member. An accepted commit refreshes the member's
  // liveness. A rebalance may still begin between this check and the write, as in Kafka.
  GroupResult<void> validate_commit(std::string_view group, std::string_view member_id,
                                    int32_t generation);
  // Housekeeping of every group. Returns the number of members removed.
  size_t expire();

  // The partition count of a topic (> 0), at start and on every change.
  void set_topic_partitions(std::string_view topic, int32_t partitions);
  void remove_topic(std::string_view topic);

  // group_not_found for a group never joined (or removed).
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
