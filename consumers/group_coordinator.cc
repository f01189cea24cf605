#include "consumers/group_coordinator.h"

#include "consumers/names.h"
#include "io/assert.h"

#include <algorithm>
#include <cstdio>
#include <random>
#include <utility>

namespace sluice::consumers {
namespace {

constexpr size_t kMemberIdPrefixBytesMax = 64;

uint64_t random_incarnation() {
  std::random_device device;
  const uint64_t high = device();
  return (high << 32) ^ device();
}

}  // namespace

GroupFailure GroupCoordinator::unknown_member_of_absent(std::string_view group,
                                                        std::string_view member_id) {
  return {GroupError::unknown_member, "member '" + std::string(member_id) + "' is not in group '" +
                                          std::string(group) + "' (no such group)"};
}

GroupCoordinator::GroupCoordinator(CoordinatorOptions options)
    : options_(std::move(options)),
      incarnation_(options_.incarnation != 0 ? options_.incarnation : random_incarnation()) {
  SLUICE_ASSERT(options_.now_ms != nullptr);
  SLUICE_ASSERT(options_.limits.session_timeout_ms_min >= 1);
  SLUICE_ASSERT(options_.limits.session_timeout_ms_min <= options_.limits.session_timeout_ms_max);
  SLUICE_ASSERT(options_.limits.members_per_group_max >= 1);
  SLUICE_ASSERT(options_.limits.groups_max >= 1);
  SLUICE_ASSERT(options_.initial_rebalance_delay_ms >= 0);
}

// The clock is made monotonic here: a reading behind the last one counts as the last one.
GroupContext GroupCoordinator::context() {
  now_ms_ = std::max(now_ms_, options_.now_ms());
  return GroupContext{now_ms_, partitions_, options_.limits, options_.initial_rebalance_delay_ms};
}

Group* GroupCoordinator::find_group(std::string_view group, const GroupContext& context) {
  auto found = groups_.find(group);
  if (found == groups_.end()) return nullptr;
  found->second.tick(context);
  return &found->second;
}

std::string GroupCoordinator::next_member_id(std::string_view client_id) {
  std::string id(client_id.empty() ? std::string_view("member")
                                   : client_id.substr(0, kMemberIdPrefixBytesMax));
  char suffix[48];
  members_created_ += 1;
  std::snprintf(suffix, sizeof(suffix), "-%016llx-%llu",
                static_cast<unsigned long long>(incarnation_),
                static_cast<unsigned long long>(members_created_));
  id += suffix;
  return id;
}

Group* GroupCoordinator::add_group(std::string_view group) {
  if (groups_.size() >= options_.limits.groups_max) {
    std::erase_if(groups_, [](const auto& entry) { return entry.second.empty(); });
  }
  if (groups_.size() >= options_.limits.groups_max) return nullptr;
  return &groups_.try_emplace(std::string(group), std::string(group)).first->second;
}

GroupResult<JoinResult> GroupCoordinator::join(const JoinRequest& request) {
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

GroupResult<void> GroupCoordinator::heartbeat(std::string_view group, std::string_view member_id,
                                              int32_t generation) {
  std::lock_guard lock(mutex_);
  const GroupContext now = context();
  Group* found = find_group(group, now);
  if (found == nullptr) return unknown_member_of_absent(group, member_id);
  return found->heartbeat(member_id, generation, now);
}

GroupResult<void> GroupCoordinator::leave(std::string_view group, std::string_view member_id) {
  std::lock_guard lock(mutex_);
  const GroupContext now = context();
  Group* found = find_group(group, now);
  if (found == nullptr) return unknown_member_of_absent(group, member_id);
  return found->leave(member_id, now);
}

GroupResult<void> GroupCoordinator::validate_commit(std::string_view group,
                                                    std::string_view member_id,
                                                    int32_t generation) {
  if (!valid_group_id(group)) {
    return {GroupError::invalid_group_id, "a group id is 1 to " + std::to_string(kGroupIdBytesMax) +
                                              " bytes, not " + std::to_string(group.size())};
  }
  std::lock_guard lock(mutex_);
  const GroupContext now = context();
  Group* found = find_group(group, now);
  if (found != nullptr) return found->validate_commit(member_id, generation, now);
  if (member_id.empty() && generation < 0) return {};  // a standalone commit, no group yet
  return unknown_member_of_absent(group, member_id);
}

size_t GroupCoordinator::expire() {
  std::lock_guard lock(mutex_);
  const GroupContext now = context();
  size_t removed = 0;
  for (auto& [name, group] : groups_)
    removed += group.tick(now);
  return removed;
}

void GroupCoordinator::set_topic_partitions(std::string_view topic, int32_t partitions) {
  SLUICE_ASSERT(partitions > 0);
  std::lock_guard lock(mutex_);
  auto found = partitions_.find(topic);
  if (found != partitions_.end() && found->second == partitions) return;
  if (found == partitions_.end()) {
    partitions_.emplace(std::string(topic), partitions);
  } else {
    found->second = partitions;
  }
  const GroupContext now = context();
  for (auto& [name, group] : groups_)
    group.on_topic_changed(topic, now);
}

void GroupCoordinator::remove_topic(std::string_view topic) {
  std::lock_guard lock(mutex_);
  auto found = partitions_.find(topic);
  if (found == partitions_.end()) return;
  partitions_.erase(found);
  const GroupContext now = context();
  for (auto& [name, group] : groups_)
    group.on_topic_changed(topic, now);
}

GroupResult<GroupDescription> GroupCoordinator::describe(std::string_view group) {
  std::lock_guard lock(mutex_);
  const GroupContext now = context();
  Group* found = find_group(group, now);
  if (found == nullptr) {
    return GroupFailure{GroupError::group_not_found, "no group '" + std::string(group) + "'"};
  }
  return found->describe();
}

std::vector<std::string> GroupCoordinator::list() {
  std::lock_guard lock(mutex_);
  std::vector<std::string> names;
  names.reserve(groups_.size());
  for (const auto& [name, group] : groups_)
    names.push_back(name);
  return names;
}

GroupResult<void> GroupCoordinator::remove_group(std::string_view group) {
  std::lock_guard lock(mutex_);
  const GroupContext now = context();
  Group* found = find_group(group, now);
  if (found == nullptr)
    return {GroupError::group_not_found, "no group '" + std::string(group) + "'"};
  if (!found->empty()) {
    return {GroupError::non_empty_group,
            "group '" + std::string(group) + "' still has members: they must leave first"};
  }
  groups_.erase(groups_.find(group));
  return {};
}

}  // namespace sluice::consumers
