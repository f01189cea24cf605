// OffsetTable: the committed offsets of every group, in memory. The engine rebuilds it at
// start by applying every record of __consumer_offsets in log order (later records win, a
// tombstone deletes), then applies each new commit once the log has it durably. snapshot()
// gives every live offset, for writing a compacted copy of the log.
//
// Thread-safety: every member function may be called from any thread (one internal mutex).
#pragma once

#include "consumers/offset_record.h"

#include <sluice/result.h>
#include <sluice/topic.h>

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::consumers {

class OffsetTable {
 public:
  void apply(const OffsetRecord& record);
  // decode_offset_record, then apply. Errors: corruption (nothing applied).
  Result<void> apply_encoded(std::string_view key, std::string_view value);

  std::optional<CommittedOffset> committed(std::string_view group,
                                           const TopicPartition& partition) const;
  // Every committed offset of the group, by partition.
  std::map<TopicPartition, CommittedOffset> committed(std::string_view group) const;
  // The groups with at least one committed offset, sorted.
  std::vector<std::string> groups() const;
  // The groups with at least one committed offset on the topic (whose offsets a deleted
  // topic's tombstones must delete), sorted.
  std::vector<std::string> groups_of_topic(std::string_view topic) const;
  // Every committed offset as a commit record, in (group, topic, partition) order: applied to
  // an empty table, they rebuild this one.
  std::vector<OffsetCommit> snapshot() const;
  size_t size() const;

 private:
  using GroupOffsets = std::map<TopicPartition, CommittedOffset>;
  void apply_commit(const OffsetCommit& commit);
  void apply_tombstone(const OffsetTombstone& tombstone);

  mutable std::mutex mutex_;
  std::map<std::string, GroupOffsets, std::less<>> groups_;  // never holds an empty map
};

}  // namespace sluice::consumers
