// Partition assignment strategies for a consumer group: given the members (each with the
// topics it subscribes to) and the partition count of each topic, decide which member reads
// which partition. Every partition of a subscribed topic goes to exactly one member that
// subscribes to its topic; the result depends only on the input (members are sorted by id
// first), so every caller computes the same assignment.
//
// range: per topic, the partitions are split into contiguous ranges, one per subscribing member
//   in member order; the first (partitions % members) members get one more (Kafka's range).
// round_robin: all partitions of all topics, sorted by (topic, partition), are dealt one by one
//   to the members in order, skipping members that do not subscribe to the partition's topic.
//
// Thread-safety: pure functions.
#pragma once

#include <sluice/consumer.h>
#include <sluice/topic.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sluice::consumers {

struct MemberSubscription {
  std::string member_id;
  std::vector<std::string> topics;
};

// member id -> its partitions, sorted by (topic, partition). Every member of the input appears,
// with an empty list when it gets nothing. Topics missing from partition_counts are skipped.
using Assignment = std::map<std::string, std::vector<TopicPartition>>;

Assignment assign(AssignmentStrategy strategy, std::vector<MemberSubscription> members,
                  const std::map<std::string, int32_t>& partition_counts);

}  // namespace sluice::consumers
