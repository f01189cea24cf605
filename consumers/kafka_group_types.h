// The values that go in and out of the GroupCoordinator for Kafka-mode groups, where the
// clients assign partitions themselves (JoinGroup, SyncGroup, LeaveGroup v3). The server layer
// decodes the wire requests into these and encodes the answers; nothing here knows the wire.
// consumers/README.md shows the sequence of calls.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::consumers {

// One entry of JoinGroup's protocol list: an assignor's name ("range", "roundrobin",
// "cooperative-sticky", ...) and the member's metadata for it (opaque here; for protocol type
// "consumer" it holds the subscription).
struct KafkaProtocol {
  std::string name;
  std::string metadata;

  bool operator==(const KafkaProtocol&) const = default;
};

struct KafkaJoinRequest {
  std::string group;
  // Empty: a new member. Otherwise the id a previous join returned (also the one handed out
  // with member_id_required).
  std::string member_id;
  // Static membership (JoinGroup v5+); empty for a dynamic member. At most one member holds an
  // instance id: a new join with it replaces the member that held it.
  std::string group_instance_id;
  std::string client_id;    // prefixes a generated member id; may be empty
  std::string client_host;  // the client's address as the server saw it, for describe()
  int64_t session_timeout_ms = 10000;
  int64_t rebalance_timeout_ms = 30000;  // JoinGroup v0 has none: the server passes the session's
  std::string protocol_type;             // "consumer" for consumers; all members share it
  std::vector<KafkaProtocol> protocols;  // the member's order of preference, names unique
  // JoinGroup v4+: a join without a member id is answered member_id_required with a new id,
  // which the client sends back in its next join; only then does it count as a member.
  bool require_known_member_id = false;
};

enum class KafkaJoinStatus : uint8_t {
  rebalancing,         // the group waits for other members: join again later (same request)
  member_id_required,  // MEMBER_ID_REQUIRED (79): join again with the returned member_id
  complete,            // the generation is formed: send SyncGroup
};

// A member as the leader sees it in its join answer.
struct KafkaMember {
  std::string member_id;
  std::string group_instance_id;  // empty for a dynamic member
  std::string metadata;           // its metadata for the chosen protocol

  bool operator==(const KafkaMember&) const = default;
};

struct KafkaJoinResult {
  KafkaJoinStatus status = KafkaJoinStatus::rebalancing;
  std::string member_id;  // keep it: every later call needs it
  // The rest is set when complete.
  int32_t generation = -1;
  std::string protocol_type;
  std::string protocol_name;  // the protocol chosen for this generation
  std::string leader_id;
  // Every member of the generation, sorted by member id; only in the leader's answer.
  std::vector<KafkaMember> members;
};

// One entry of the leader's SyncGroup: what `member_id` reads in this generation.
struct KafkaAssignment {
  std::string member_id;
  std::string assignment;  // opaque (for "consumer", the member's partitions)
};

struct SyncRequest {
  std::string group;
  std::string member_id;
  int32_t generation = -1;
  // SyncGroup v3+; checked against the member's when not empty.
  std::string group_instance_id;
  // SyncGroup v5+; checked against the group's when not empty.
  std::string protocol_type;
  std::string protocol_name;
  // Only the leader's are read (ignored from the others). Entries for members that are not in
  // the generation are ignored; members without an entry get empty bytes.
  std::vector<KafkaAssignment> assignments;
};

enum class SyncStatus : uint8_t {
  waiting,   // the leader has not sent the assignment yet: call sync again later
  complete,  // assignment is this member's
};

struct SyncResult {
  SyncStatus status = SyncStatus::waiting;
  std::string protocol_type;
  std::string protocol_name;
  std::string assignment;  // set when complete
};

// One member of a LeaveGroup request. v0-v2 name one member by its id; v3+ name several, each
// by its id, its instance id, or both.
struct LeavingMember {
  std::string member_id;
  std::string group_instance_id;
};

}  // namespace sluice::consumers
