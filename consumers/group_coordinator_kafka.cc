// GroupCoordinator: the entry points of Kafka-mode groups (join with protocols, sync, and the
// leave of several members). Each checks its request, then takes the mutex and runs the group's
// housekeeping first, like the others (group_coordinator.cc).
#include "consumers/group_coordinator.h"

#include "consumers/names.h"

#include <string>
#include <utility>

namespace sluice::consumers {

GroupResult<KafkaJoinResult> GroupCoordinator::join(const KafkaJoinRequest& request) {
  if (auto checked = check_join_request(request, options_.limits); !checked) {
    return checked.failure();
  }
  std::lock_guard lock(mutex_);
  const GroupContext now = context();
  Group* group = find_group(request.group, now);
  if (!request.member_id.empty()) {
    if (group == nullptr) return unknown_member_of_absent(request.group, request.member_id);
    return group->rejoin(request, now);
  }
  if (group == nullptr) group = add_group(request.group);
  if (group == nullptr) {
    return GroupFailure{GroupError::coordinator_full, "the coordinator holds " +
                                                          std::to_string(groups_.size()) +
                                                          " groups with members, its maximum"};
  }
  return group->join_new(request, next_member_id(request.client_id), now);
}

GroupResult<SyncResult> GroupCoordinator::sync(const SyncRequest& request) {
  if (auto checked = check_sync_request(request, options_.limits); !checked) {
    return checked.failure();
  }
  std::lock_guard lock(mutex_);
  const GroupContext now = context();
  Group* group = find_group(request.group, now);
  if (group == nullptr) return unknown_member_of_absent(request.group, request.member_id);
  return group->sync(request, now);
}

GroupResult<std::vector<GroupResult<void>>> GroupCoordinator::leave_members(
    std::string_view group, std::span<const LeavingMember> members) {
  if (!valid_group_id(group)) {
    return GroupFailure{GroupError::invalid_group_id,
                        "a group id is 1 to " + std::to_string(kGroupIdBytesMax) + " bytes, not " +
                            std::to_string(group.size())};
  }
  if (members.size() > options_.limits.members_per_group_max) {
    return GroupFailure{GroupError::invalid_argument,
                        std::to_string(members.size()) + " members leave, more than the " +
                            std::to_string(options_.limits.members_per_group_max) +
                            " a group may have"};
  }
  std::lock_guard lock(mutex_);
  const GroupContext now = context();
  Group* found = find_group(group, now);
  if (found != nullptr) return found->leave(members, now);
  std::vector<GroupResult<void>> out;
  out.reserve(members.size());
  for (const LeavingMember& leaving : members) {
    out.emplace_back(unknown_member_of_absent(group, leaving.member_id));
  }
  return out;
}

}  // namespace sluice::consumers
