// One member of a consumer group as the coordinator keeps it: what it asked for in its last
// join, when it was last heard from, and its part of the current generation's assignment.
//
// Thread-safety: a plain value, owned by its Group (itself guarded by the coordinator's mutex).
#pragma once

#include <sluice/consumer.h>
#include <sluice/topic.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::consumers {

struct Member {
  std::string id;
  std::string client_id;
  std::vector<std::string> topics;  // sorted, unique
  AssignmentStrategy strategy = AssignmentStrategy::range;
  int64_t session_timeout_ms = 0;
  int64_t rebalance_timeout_ms = 0;
  std::string protocol_metadata;           // opaque (Kafka JoinGroup metadata)
  int64_t last_heard_ms = 0;               // the last join, heartbeat or accepted commit
  bool joined = false;                     // rejoined since the current rebalance began
  std::vector<TopicPartition> assignment;  // of the current generation, sorted

  bool subscribes(std::string_view topic) const {
    return std::binary_search(topics.begin(), topics.end(), topic);
  }
  bool silent_at(int64_t now_ms) const { return now_ms - last_heard_ms >= session_timeout_ms; }
};

}  // namespace sluice::consumers
