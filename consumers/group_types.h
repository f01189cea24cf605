// The values that go in and out of the GroupCoordinator: a join request and its answer, and a
// group's description.
//
// Thread-safety: plain values.
#pragma once

#include <sluice/consumer.h>
#include <sluice/topic.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::consumers {

enum class GroupState : uint8_t {
  empty,        // no members
  rebalancing,  // waiting for every member to rejoin (Kafka's PreparingRebalance)
  stable,       // a generation and its assignment are in force
};

// "empty", "rebalancing", "stable": the names Engine::GroupDescription::state shows.
std::string_view group_state_name(GroupState state);

struct JoinRequest {
  std::string group;
  // Empty: a new member, the coordinator generates its id. Otherwise the id a previous join
  // returned.
  std::string member_id;
  // Who the client says it is. It prefixes a generated member id ("<client_id>-..."); may be
  // empty.
  std::string client_id;
  std::vector<std::string> topics;  // at least one; duplicates are ignored
  AssignmentStrategy strategy = AssignmentStrategy::range;
  int64_t session_timeout_ms = 10000;
  int64_t rebalance_timeout_ms = 30000;
  // Opaque bytes stored for the Kafka protocol (JoinGroup's protocol metadata); not read here.
  // A change of them, like a change of topics or strategy, starts a rebalance.
  std::string protocol_metadata;
};

enum class JoinStatus : uint8_t {
  rebalancing,  // the group waits for other members: call join() again (with member_id)
  stable,       // generation, assignment and leader_id are valid
};

struct JoinResult {
  JoinStatus status = JoinStatus::rebalancing;
  std::string member_id;    // keep it: the next join, heartbeat, commit and leave need it
  int32_t generation = -1;  // -1 while rebalancing
  std::vector<TopicPartition> assignment;  // sorted; empty while rebalancing
  std::string leader_id;  // the generation's leader (Kafka); empty while rebalancing
  AssignmentStrategy strategy = AssignmentStrategy::range;  // the strategy the group uses
};

struct MemberDescription {
  std::string member_id;
  std::string client_id;
  std::vector<std::string> topics;  // sorted, unique
  AssignmentStrategy strategy = AssignmentStrategy::range;
  int64_t session_timeout_ms = 0;
  int64_t rebalance_timeout_ms = 0;
  std::string protocol_metadata;
  int64_t last_heard_ms = 0;
  // True while rebalancing once the member has rejoined; always true when stable.
  bool joined = false;
  // The member's partitions in the current generation. Empty while rebalancing for a member that
  // rejoined (it gave its partitions up) or that is new.
  std::vector<TopicPartition> assignment;
};

struct GroupDescription {
  std::string group;
  GroupState state = GroupState::empty;
  int32_t generation = 0;  // 0 before the first rebalance completed
  std::string leader_id;   // empty unless stable
  AssignmentStrategy strategy = AssignmentStrategy::range;  // meaningful when there are members
  std::vector<MemberDescription> members;                   // sorted by member id
};

}  // namespace sluice::consumers
