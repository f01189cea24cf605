// One member of a consumer group as the coordinator keeps it: what it asked for in its last
// join, when it was last heard from, and its part of the current generation's assignment. A
// native member has topics and a strategy; a Kafka-mode member has a protocol type and
// protocols instead (and its assignment is the leader's bytes).
//
// Thread-safety: a plain value, owned by its Group (itself guarded by the coordinator's mutex).
#pragma once

#include "consumers/kafka_group_types.h"

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
  std::string protocol_metadata;           // opaque, native mode
  int64_t last_heard_ms = 0;               // the last join, heartbeat, sync or accepted commit
  bool joined = false;                     // rejoined since the current rebalance began
  uint64_t join_order = 0;                 // when it rejoined: the first one leads
  std::vector<TopicPartition> assignment;  // of the current generation, sorted (native)

  // Kafka mode.
  std::string client_host;
  std::string group_instance_id;         // empty for a dynamic member
  std::string protocol_type;             // not empty: the member is a Kafka-mode one
  std::vector<KafkaProtocol> protocols;  // in the member's order of preference
  std::string assignment_bytes;          // the leader's, for the current generation
  bool synced = false;                   // sent SyncGroup for the current generation

  bool kafka() const { return !protocol_type.empty(); }

  bool subscribes(std::string_view topic) const {
    return std::binary_search(topics.begin(), topics.end(), topic);
  }
  bool silent_at(int64_t now_ms) const { return now_ms - last_heard_ms >= session_timeout_ms; }
};

}  // namespace sluice::consumers
