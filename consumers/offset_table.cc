#include "consumers/offset_table.h"

#include "io/assert.h"

#include <variant>

namespace sluice::consumers {

void OffsetTable::apply(const OffsetRecord& record) {
  std::lock_guard lock(mutex_);
  if (const auto* commit = std::get_if<OffsetCommit>(&record)) {
    apply_commit(*commit);
  } else {
    apply_tombstone(std::get<OffsetTombstone>(record));
  }
}

Result<void> OffsetTable::apply_encoded(std::string_view key, std::string_view value) {
  auto record = decode_offset_record(key, value);
  if (!record.ok()) return std::move(record).error();
  apply(record.value());
  return {};
}

void OffsetTable::apply_commit(const OffsetCommit& commit) {
  SLUICE_ASSERT(!commit.group.empty());
  SLUICE_ASSERT(commit.partition.partition >= 0);
  SLUICE_ASSERT(commit.committed.offset >= 0);
  groups_[commit.group][commit.partition] = commit.committed;
}

void OffsetTable::apply_tombstone(const OffsetTombstone& tombstone) {
  auto group = groups_.find(tombstone.group);
  if (group == groups_.end()) return;
  GroupOffsets& offsets = group->second;
  if (tombstone.topic.empty()) {
    SLUICE_ASSERT(tombstone.partition == -1);
    offsets.clear();
  } else if (tombstone.partition >= 0) {
    offsets.erase({tombstone.topic, tombstone.partition});
  } else {
    // Partitions of one topic are contiguous in (topic, partition) order.
    auto first = offsets.lower_bound({tombstone.topic, 0});
    auto last = offsets.lower_bound({tombstone.topic + '\0', 0});
    offsets.erase(first, last);
  }
  if (offsets.empty()) groups_.erase(group);
}

std::optional<CommittedOffset> OffsetTable::committed(std::string_view group,
                                                      const TopicPartition& partition) const {
  std::lock_guard lock(mutex_);
  auto found_group = groups_.find(group);
  if (found_group == groups_.end()) return std::nullopt;
  auto found = found_group->second.find(partition);
  if (found == found_group->second.end()) return std::nullopt;
  return found->second;
}

std::map<TopicPartition, CommittedOffset> OffsetTable::committed(std::string_view group) const {
  std::lock_guard lock(mutex_);
  auto found = groups_.find(group);
  if (found == groups_.end()) return {};
  return found->second;
}

std::vector<std::string> OffsetTable::groups() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  out.reserve(groups_.size());
  for (const auto& [group, offsets] : groups_)
    out.push_back(group);
  return out;
}

std::vector<std::string> OffsetTable::groups_of_topic(std::string_view topic) const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [group, offsets] : groups_) {
    auto first = offsets.lower_bound({std::string(topic), 0});
    if (first != offsets.end() && first->first.topic == topic) out.push_back(group);
  }
  return out;
}

std::vector<OffsetCommit> OffsetTable::snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<OffsetCommit> out;
  for (const auto& [group, offsets] : groups_) {
    for (const auto& [partition, committed] : offsets)
      out.push_back({group, partition, committed});
  }
  return out;
}

size_t OffsetTable::size() const {
  std::lock_guard lock(mutex_);
  size_t count = 0;
  for (const auto& [group, offsets] : groups_)
    count += offsets.size();
  return count;
}

}  // namespace sluice::consumers
