// The values that go in and out of the GroupCoordinator: a sluice-native join request and its
// answer, and a group's description (of either kind; consumers/kafka_group_types.h holds the
// Kafka-mode requests).
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
  // Kafka mode only: the generation is formed, its members wait for the leader's assignment
  // (SyncGroup).
  completing_rebalance,
  stable,  // a generation and its assignment are in force
  // A group the coordinator does not hold. describe() answers group_not_found instead; Kafka's
  // DescribeGroups shows such a group as "Dead".
  dead,
};

// "empty", "rebalancing", "completing_rebalance", "stable", "dead": the names
// Engine::GroupDescription::state shows.
std::string_view group_state_name(GroupState state);
// "Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead": Kafka's names, for
// DescribeGroups and ListGroups.
std::string_view kafka_state_name(GroupState state);

// Who assigns the partitions. A group takes the mode of its first member; a join of the other
// mode is refused (inconsistent_protocol) while the group has members.
enum class GroupMode : uint8_t {
  none,    // no members
  native,  // sluice's Consumer: the coordinator assigns (JoinRequest)
  kafka,   // Kafka clients: the leader assigns (KafkaJoinRequest, sync)
};

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
  // Opaque bytes stored with the member; not read here. A change of them, like a change of
  // topics or strategy, starts a rebalance.
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
  std::string client_host;          // Kafka mode
  std::string group_instance_id;    // Kafka mode, static members
  std::vector<std::string> topics;  // sorted, unique
  AssignmentStrategy strategy = AssignmentStrategy::range;
  int64_t session_timeout_ms = 0;
  int64_t rebalance_timeout_ms = 0;
  // Native: the join's protocol_metadata. Kafka: the member's metadata for the group's chosen
  // protocol (empty before a protocol was first chosen).
  std::string protocol_metadata;
  int64_t last_heard_ms = 0;
  // True while rebalancing once the member has rejoined; always true when stable or
  // completing_rebalance.
  bool joined = false;
  // Native: the member's partitions in the current generation. Empty while rebalancing for a
  // member that rejoined (it gave its partitions up) or that is new.
  std::vector<TopicPartition> assignment;
  // Kafka: the leader's assignment bytes for the member in the current generation (empty
  // until the leader's sync, and again once the member rejoins).
  std::string assignment_bytes;
};

struct GroupDescription {
  std::string group;
  GroupState state = GroupState::empty;
  int32_t generation = 0;  // 0 before the first rebalance completed
  std::string leader_id;   // empty unless stable or completing_rebalance
  GroupMode mode = GroupMode::none;
  AssignmentStrategy strategy = AssignmentStrategy::range;  // native mode, with members
  std::string protocol_type;  // Kafka mode: the members' protocol type ("consumer")
  std::string protocol_name;  // Kafka mode: the protocol chosen by the last completed join
  std::vector<MemberDescription> members;  // sorted by member id
};

}  // namespace sluice::consumers
