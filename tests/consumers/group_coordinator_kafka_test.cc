// Kafka-mode groups: joins with protocols, the leader's sync, member_id_required, timeouts,
// fencing, leaves of several members and descriptions. Time is the injected clock only.
#include "consumers/group_coordinator.h"

#include <gtest/gtest.h>

#include <map>

namespace sluice::consumers {
namespace {

constexpr int64_t kSessionMs = 1000;
constexpr int64_t kRebalanceMs = 3000;

std::vector<KafkaProtocol> protocols(std::initializer_list<const char*> names,
                                     const std::string& tag = "") {
  std::vector<KafkaProtocol> out;
  for (const char* name : names)
    out.push_back({name, std::string("sub-") + name + tag});
  return out;
}

class KafkaGroupTest : public ::testing::Test {
 protected:
  CoordinatorOptions options(GroupLimits limits = {}, int64_t initial_delay_ms = 0) {
    CoordinatorOptions out;
    out.now_ms = [this] { return now_ms; };
    out.limits = limits;
    out.incarnation = 0xabc;
    out.initial_rebalance_delay_ms = initial_delay_ms;
    return out;
  }

  static KafkaJoinRequest request(std::string member_id = "",
                                  std::vector<KafkaProtocol> listed = protocols({"range"})) {
    KafkaJoinRequest out;
    out.group = "g";
    out.member_id = std::move(member_id);
    out.client_id = "app";
    out.client_host = "/127.0.0.1";
    out.session_timeout_ms = kSessionMs;
    out.rebalance_timeout_ms = kRebalanceMs;
    out.protocol_type = "consumer";
    out.protocols = std::move(listed);
    return out;
  }

  KafkaJoinResult join(const KafkaJoinRequest& req, GroupCoordinator& on) {
    auto result = on.join(req);
    EXPECT_TRUE(result.ok()) << result.failure().message;
    return result.ok() ? result.value() : KafkaJoinResult{};
  }
  KafkaJoinResult join(const KafkaJoinRequest& req) { return join(req, coordinator); }
  KafkaJoinResult join(std::string member_id = "") { return join(request(std::move(member_id))); }

  GroupResult<SyncResult> try_sync(const std::string& member_id, int32_t generation,
                                   std::vector<KafkaAssignment> assignments = {}) {
    SyncRequest req;
    req.group = "g";
    req.member_id = member_id;
    req.generation = generation;
    req.assignments = std::move(assignments);
    return coordinator.sync(req);
  }
  SyncResult sync(const std::string& member_id, int32_t generation,
                  std::vector<KafkaAssignment> assignments = {}) {
    auto result = try_sync(member_id, generation, std::move(assignments));
    EXPECT_TRUE(result.ok()) << result.failure().message;
    return result.ok() ? result.value() : SyncResult{};
  }

  GroupError heartbeat(const std::string& member_id, int32_t generation) {
    return coordinator.heartbeat("g", member_id, generation).error();
  }

  GroupDescription describe() {
    auto result = coordinator.describe("g");
    EXPECT_TRUE(result.ok());
    return result.ok() ? result.value() : GroupDescription{};
  }
  std::string_view state() { return kafka_state_name(describe().state); }

  // The leader's sync giving each member "for-<id>".
  static std::vector<KafkaAssignment> assignments_for(const KafkaJoinResult& leader) {
    std::vector<KafkaAssignment> out;
    for (const KafkaMember& member : leader.members)
      out.push_back({member.member_id, "for-" + member.member_id});
    return out;
  }

  // Every one of `ids` joins again; returns the leader's answer (all must be complete).
  KafkaJoinResult form(const std::vector<std::string>& ids) {
    KafkaJoinResult leader;
    for (const std::string& id : ids) {
      const KafkaJoinResult answer = join(id);
      EXPECT_EQ(answer.status, KafkaJoinStatus::complete) << id;
      if (answer.leader_id == id) leader = answer;
    }
    return leader;
  }

  // `count` members, stable at the returned generation, each holding "for-<id>". The first
  // joined leads.
  std::vector<std::string> stable_group(size_t count) {
    std::vector<std::string> ids;
    for (size_t i = 0; i < count; ++i)
      ids.push_back(join().member_id);
    const KafkaJoinResult leader = form(ids);
    EXPECT_EQ(leader.members.size(), count);
    EXPECT_EQ(sync(leader.member_id, leader.generation, assignments_for(leader)).status,
              SyncStatus::complete);
    for (const std::string& id : ids) {
      const SyncResult got = sync(id, leader.generation);
      EXPECT_EQ(got.status, SyncStatus::complete);
      EXPECT_EQ(got.assignment, "for-" + id);
    }
    stable_generation = leader.generation;
    EXPECT_EQ(state(), "Stable");
    return ids;
  }

  int64_t now_ms = 0;
  int32_t stable_generation = -1;  // stable_group's
  GroupCoordinator coordinator{options()};
};

TEST_F(KafkaGroupTest, FirstMemberFormsAGenerationAndLeadsIt) {
  KafkaJoinRequest req = request("", protocols({"range", "roundrobin"}));
  const KafkaJoinResult a = join(req);
  ASSERT_EQ(a.status, KafkaJoinStatus::complete);
  EXPECT_EQ(a.member_id, "app-0000000000000abc-1");
  EXPECT_EQ(a.generation, 1);
  EXPECT_EQ(a.protocol_type, "consumer");
  EXPECT_EQ(a.protocol_name, "range");
  EXPECT_EQ(a.leader_id, a.member_id);
  EXPECT_EQ(a.members, (std::vector<KafkaMember>{{a.member_id, "", "sub-range"}}));
  // Joined, waiting for the leader's (its own) assignment: heartbeats are fine, commits wait.
  EXPECT_EQ(state(), "CompletingRebalance");
  EXPECT_EQ(describe().mode, GroupMode::kafka);
  EXPECT_EQ(heartbeat(a.member_id, 1), GroupError::none);
  EXPECT_EQ(coordinator.validate_commit("g", a.member_id, 1).error(),
            GroupError::rebalance_in_progress);
  const SyncResult synced = sync(a.member_id, 1, {{a.member_id, "mine"}});
  EXPECT_EQ(synced.status, SyncStatus::complete);
  EXPECT_EQ(synced.assignment, "mine");
  EXPECT_EQ(synced.protocol_type, "consumer");
  EXPECT_EQ(synced.protocol_name, "range");
  EXPECT_EQ(state(), "Stable");
  EXPECT_TRUE(coordinator.validate_commit("g", a.member_id, 1).ok());
  EXPECT_EQ(heartbeat(a.member_id, 1), GroupError::none);
}

TEST_F(KafkaGroupTest, FollowerWaitsForTheLeadersSync) {
  const KafkaJoinResult a = join();
  ASSERT_EQ(sync(a.member_id, 1, {{a.member_id, "all"}}).status, SyncStatus::complete);
  const KafkaJoinResult b = join();
  EXPECT_EQ(b.status, KafkaJoinStatus::rebalancing);
  EXPECT_EQ(b.generation, -1);
  EXPECT_EQ(state(), "PreparingRebalance");
  EXPECT_EQ(heartbeat(a.member_id, 1), GroupError::rebalance_in_progress);
  EXPECT_EQ(join(b.member_id).status, KafkaJoinStatus::rebalancing);  // polled again: A is out
  const KafkaJoinResult a2 = join(a.member_id);
  ASSERT_EQ(a2.status, KafkaJoinStatus::complete);
  EXPECT_EQ(a2.generation, 2);
  EXPECT_EQ(a2.leader_id, a.member_id);
  EXPECT_EQ(a2.members.size(), 2u);
  const KafkaJoinResult b2 = join(b.member_id);
  ASSERT_EQ(b2.status, KafkaJoinStatus::complete);
  EXPECT_EQ(b2.generation, 2);
  EXPECT_EQ(b2.leader_id, a.member_id);
  EXPECT_TRUE(b2.members.empty());  // only the leader learns the members
  EXPECT_EQ(state(), "CompletingRebalance");

  // B asks first, and polls: waiting. What a follower sends as assignments is ignored.
  EXPECT_EQ(sync(b.member_id, 2, {{b.member_id, "everything"}}).status, SyncStatus::waiting);
  now_ms += 100;
  EXPECT_EQ(sync(b.member_id, 2).status, SyncStatus::waiting);
  EXPECT_EQ(heartbeat(b.member_id, 2), GroupError::none);
  EXPECT_EQ(state(), "CompletingRebalance");
  const SyncResult a3 = sync(a.member_id, 2, {{a.member_id, "p0"}, {b.member_id, "p1"}});
  EXPECT_EQ(a3.status, SyncStatus::complete);
  EXPECT_EQ(a3.assignment, "p0");
  const SyncResult b3 = sync(b.member_id, 2);
  EXPECT_EQ(b3.status, SyncStatus::complete);
  EXPECT_EQ(b3.assignment, "p1");
  EXPECT_EQ(state(), "Stable");
  // The leader's sync again (a client retry) changes nothing.
  EXPECT_EQ(sync(a.member_id, 2, {{b.member_id, "other"}}).assignment, "p0");
  EXPECT_EQ(sync(b.member_id, 2).assignment, "p1");
}

TEST_F(KafkaGroupTest, AssignmentsForStrangersAreIgnoredAndTheUnnamedGetNothing) {
  const std::string a = join().member_id;
  const std::string b = join().member_id;
  const std::string c = join().member_id;
  const int32_t formed = form({a, b, c}).generation;
  const auto leader = sync(a, formed, {{b, "for-b"}, {"ghost", "boo"}});
  EXPECT_EQ(leader.status, SyncStatus::complete);
  EXPECT_EQ(leader.assignment, "");
  EXPECT_EQ(sync(b, formed).assignment, "for-b");
  EXPECT_EQ(sync(c, formed).status, SyncStatus::complete);
  EXPECT_EQ(sync(c, formed).assignment, "");
  for (const auto& member : describe().members)
    EXPECT_NE(member.member_id, "ghost");
}

TEST_F(KafkaGroupTest, ThreeMembersAndLeaderReelectionWhenTheLeaderLeaves) {
  const std::vector<std::string> ids = stable_group(3);
  EXPECT_EQ(describe().leader_id, ids[0]);
  ASSERT_TRUE(coordinator.leave("g", ids[0]).ok());
  EXPECT_EQ(state(), "PreparingRebalance");
  EXPECT_EQ(heartbeat(ids[1], stable_generation), GroupError::rebalance_in_progress);
  // C rejoins first: it leads the next generation.
  EXPECT_EQ(join(ids[2]).status, KafkaJoinStatus::rebalancing);
  const KafkaJoinResult b = join(ids[1]);
  ASSERT_EQ(b.status, KafkaJoinStatus::complete);
  EXPECT_EQ(b.generation, stable_generation + 1);
  EXPECT_EQ(b.leader_id, ids[2]);
  EXPECT_TRUE(b.members.empty());
  const KafkaJoinResult c = join(ids[2]);
  EXPECT_EQ(c.leader_id, ids[2]);
  ASSERT_EQ(c.members.size(), 2u);
  EXPECT_EQ(c.members[0].member_id, std::min(ids[1], ids[2]));  // sorted by member id
  EXPECT_EQ(heartbeat(ids[0], stable_generation), GroupError::unknown_member);
  EXPECT_EQ(try_sync(ids[0], c.generation).error(), GroupError::unknown_member);
}

TEST_F(KafkaGroupTest, LeaderThatNeverRejoinsIsRemovedAtTheRebalanceTimeout) {
  const std::vector<std::string> ids = stable_group(2);
  const KafkaJoinResult c = join();  // a new member: a rebalance
  EXPECT_EQ(c.status, KafkaJoinStatus::rebalancing);
  EXPECT_EQ(join(ids[1]).status, KafkaJoinStatus::rebalancing);
  for (int i = 0; i < 5; ++i) {  // the leader keeps heartbeating but never rejoins
    now_ms += 500;
    EXPECT_EQ(heartbeat(ids[0], stable_generation), GroupError::rebalance_in_progress);
    EXPECT_EQ(join(ids[1]).status, KafkaJoinStatus::rebalancing);
    EXPECT_EQ(join(c.member_id).status, KafkaJoinStatus::rebalancing);
  }
  now_ms += 499;  // 2999 ms since the rebalance began
  EXPECT_EQ(join(c.member_id).status, KafkaJoinStatus::rebalancing);
  now_ms += 1;
  const KafkaJoinResult c2 = join(c.member_id);
  ASSERT_EQ(c2.status, KafkaJoinStatus::complete);
  EXPECT_EQ(c2.generation, stable_generation + 1);
  EXPECT_EQ(c2.leader_id, c.member_id);  // the old leader is gone; C joined this round first
  EXPECT_EQ(heartbeat(ids[0], stable_generation), GroupError::unknown_member);
}

TEST_F(KafkaGroupTest, RemovedMemberCannotJoinWithItsOldId) {
  const std::vector<std::string> ids = stable_group(2);
  ASSERT_TRUE(coordinator.leave("g", ids[1]).ok());
  const auto again = coordinator.join(request(ids[1]));
  EXPECT_EQ(again.error(), GroupError::unknown_member);
  EXPECT_NE(again.failure().message.find("without a member id"), std::string::npos);
  EXPECT_EQ(coordinator.join(request("made-up")).error(), GroupError::unknown_member);
  KafkaJoinRequest elsewhere = request(ids[0]);
  elsewhere.group = "nope";
  EXPECT_EQ(coordinator.join(elsewhere).error(), GroupError::unknown_member);
}

TEST_F(KafkaGroupTest, SilentMemberIsRemovedAtItsSessionTimeoutAndTheOthersRebalance) {
  const std::vector<std::string> ids = stable_group(3);
  now_ms += 600;
  EXPECT_EQ(heartbeat(ids[0], stable_generation), GroupError::none);
  EXPECT_EQ(heartbeat(ids[1], stable_generation), GroupError::none);
  now_ms += 399;  // C last heard 999 ms ago
  EXPECT_EQ(heartbeat(ids[0], stable_generation), GroupError::none);
  now_ms += 1;
  EXPECT_EQ(heartbeat(ids[0], stable_generation), GroupError::rebalance_in_progress);
  EXPECT_EQ(heartbeat(ids[2], stable_generation), GroupError::unknown_member);
  EXPECT_EQ(join(ids[1]).status, KafkaJoinStatus::rebalancing);
  const KafkaJoinResult a = join(ids[0]);
  ASSERT_EQ(a.status, KafkaJoinStatus::complete);
  EXPECT_EQ(a.generation, stable_generation + 1);
  EXPECT_EQ(a.leader_id, ids[0]);
  EXPECT_EQ(a.members.size(), 2u);
  EXPECT_EQ(describe().members.size(), 2u);
}

TEST_F(KafkaGroupTest, ExpireRemovesSilentMembersOfKafkaGroups) {
  stable_group(2);
  now_ms += kSessionMs;
  EXPECT_EQ(coordinator.expire(), 2u);
  const GroupDescription group = describe();
  EXPECT_EQ(kafka_state_name(group.state), "Empty");
  EXPECT_EQ(group.generation, stable_generation + 1);
  EXPECT_EQ(group.mode, GroupMode::none);
  EXPECT_EQ(group.protocol_name, "");
}

TEST_F(KafkaGroupTest, PollingJoinAndSyncKeepMembersAlive) {
  const std::string a = join().member_id;
  ASSERT_EQ(sync(a, 1, {{a, "x"}}).status, SyncStatus::complete);
  const KafkaJoinResult b = join();
  // B's poll of join keeps it alive while it waits for A, which heartbeats.
  for (int i = 0; i < 4; ++i) {
    now_ms += 600;
    EXPECT_EQ(join(b.member_id).status, KafkaJoinStatus::rebalancing);
    EXPECT_EQ(heartbeat(a, 1), GroupError::rebalance_in_progress);
  }
  const KafkaJoinResult a2 = join(a);
  ASSERT_EQ(a2.status, KafkaJoinStatus::complete);
  // B polls sync while A takes its time (under the rebalance timeout) to assign.
  for (int i = 0; i < 4; ++i) {
    now_ms += 600;
    EXPECT_EQ(sync(b.member_id, 2).status, SyncStatus::waiting);
    EXPECT_EQ(heartbeat(a, 2), GroupError::none);
  }
  EXPECT_EQ(sync(a, 2, assignments_for(a2)).status, SyncStatus::complete);
  EXPECT_EQ(sync(b.member_id, 2).assignment, "for-" + b.member_id);
}

TEST_F(KafkaGroupTest, LeaderThatNeverSyncsIsRemovedAtTheSyncDeadline) {
  const std::string a = join().member_id;
  const std::string b = join().member_id;
  const int32_t formed = form({a, b}).generation;
  // A heartbeats (so its session lives) but never sends its sync; B polls.
  for (int i = 0; i < 5; ++i) {
    now_ms += 500;
    EXPECT_EQ(heartbeat(a, formed), GroupError::none);
    EXPECT_EQ(sync(b, formed).status, SyncStatus::waiting);
  }
  now_ms += 499;  // 2999 ms after the join completed
  EXPECT_EQ(sync(b, formed).status, SyncStatus::waiting);
  now_ms += 1;
  EXPECT_EQ(coordinator.expire(), 1u);
  EXPECT_EQ(try_sync(b, formed).error(), GroupError::rebalance_in_progress);
  EXPECT_EQ(heartbeat(a, formed), GroupError::unknown_member);
  const KafkaJoinResult b2 = join(b);
  ASSERT_EQ(b2.status, KafkaJoinStatus::complete);
  EXPECT_EQ(b2.generation, formed + 1);
  EXPECT_EQ(b2.leader_id, b);
}

TEST_F(KafkaGroupTest, FollowerThatNeverSyncsIsRemovedAtTheSyncDeadline) {
  const std::vector<std::string> ids = stable_group(1);
  const std::string b = join().member_id;
  const KafkaJoinResult a = join(ids[0]);
  ASSERT_EQ(a.status, KafkaJoinStatus::complete);
  ASSERT_EQ(sync(ids[0], a.generation, assignments_for(a)).status, SyncStatus::complete);
  // B got into the generation (its join was answered) but never asks for its assignment; it
  // heartbeats, so its session lives.
  for (int i = 0; i < 5; ++i) {
    now_ms += 500;
    EXPECT_EQ(heartbeat(b, a.generation), GroupError::none);
    EXPECT_EQ(heartbeat(ids[0], a.generation), GroupError::none);
  }
  now_ms += 499;
  EXPECT_EQ(heartbeat(b, a.generation), GroupError::none);
  now_ms += 1;
  EXPECT_EQ(heartbeat(ids[0], a.generation), GroupError::rebalance_in_progress);
  EXPECT_EQ(heartbeat(b, a.generation), GroupError::unknown_member);
}

TEST_F(KafkaGroupTest, StaleGenerations) {
  const std::vector<std::string> ids = stable_group(2);
  EXPECT_EQ(try_sync(ids[0], stable_generation - 1).error(), GroupError::illegal_generation);
  EXPECT_EQ(try_sync(ids[0], stable_generation + 1).error(), GroupError::illegal_generation);
  EXPECT_EQ(try_sync(ids[0], -1).error(), GroupError::illegal_generation);
  EXPECT_EQ(heartbeat(ids[0], stable_generation - 1), GroupError::illegal_generation);
  EXPECT_EQ(try_sync("stranger", stable_generation).error(), GroupError::unknown_member);
  SyncRequest elsewhere;
  elsewhere.group = "nope";
  elsewhere.member_id = ids[0];
  elsewhere.generation = stable_generation;
  EXPECT_EQ(coordinator.sync(elsewhere).error(), GroupError::unknown_member);
  // A new rebalance began: the current generation's sync is told so.
  const std::string c = join().member_id;
  EXPECT_EQ(try_sync(ids[1], stable_generation).error(), GroupError::rebalance_in_progress);
  EXPECT_EQ(try_sync(c, -1).error(), GroupError::illegal_generation);
  EXPECT_EQ(join(ids[0]).status, KafkaJoinStatus::rebalancing);
  EXPECT_EQ(join(ids[1]).status, KafkaJoinStatus::complete);  // C joined when it came
  // Once the next generation formed, the old one is illegal.
  EXPECT_EQ(try_sync(ids[1], stable_generation).error(), GroupError::illegal_generation);
  EXPECT_EQ(coordinator.validate_commit("g", ids[1], stable_generation).error(),
            GroupError::illegal_generation);
}

TEST_F(KafkaGroupTest, NewMemberDuringCompletingRebalanceRestartsIt) {
  const std::string a = join().member_id;
  const std::string b = join().member_id;
  const int32_t formed = form({a, b}).generation;
  EXPECT_EQ(sync(b, formed).status, SyncStatus::waiting);
  const std::string c = join().member_id;
  EXPECT_EQ(state(), "PreparingRebalance");
  EXPECT_EQ(try_sync(b, formed).error(), GroupError::rebalance_in_progress);
  EXPECT_EQ(try_sync(a, formed, {{a, "late"}}).error(), GroupError::rebalance_in_progress);
  EXPECT_EQ(heartbeat(a, formed), GroupError::rebalance_in_progress);
  EXPECT_EQ(join(b).status, KafkaJoinStatus::rebalancing);
  const KafkaJoinResult a2 = join(a);
  ASSERT_EQ(a2.status, KafkaJoinStatus::complete);
  EXPECT_EQ(a2.generation, formed + 1);
  EXPECT_EQ(a2.members.size(), 3u);
  EXPECT_EQ(join(c).status, KafkaJoinStatus::complete);
  for (const auto& member : describe().members)
    EXPECT_EQ(member.assignment_bytes, "");  // the late sync installed nothing
}

TEST_F(KafkaGroupTest, JoinAgainInAFormedGeneration) {
  const std::vector<std::string> ids = stable_group(2);
  // A follower's join with the same protocols only repeats the answer.
  const KafkaJoinResult b = join(ids[1]);
  EXPECT_EQ(b.status, KafkaJoinStatus::complete);
  EXPECT_EQ(b.generation, stable_generation);
  EXPECT_EQ(state(), "Stable");
  EXPECT_EQ(heartbeat(ids[0], stable_generation), GroupError::none);
  // The leader's join asks for a rebalance (it saw the metadata change).
  EXPECT_EQ(join(ids[0]).status, KafkaJoinStatus::rebalancing);
  EXPECT_EQ(heartbeat(ids[1], stable_generation), GroupError::rebalance_in_progress);
  const KafkaJoinResult b2 = join(ids[1]);
  ASSERT_EQ(b2.status, KafkaJoinStatus::complete);
  EXPECT_EQ(b2.generation, stable_generation + 1);
  // The leader's join polled again while the generation waits for its sync: the same answer.
  const KafkaJoinResult a2 = join(ids[0]);
  EXPECT_EQ(a2.generation, stable_generation + 1);
  EXPECT_EQ(a2.members.size(), 2u);
  EXPECT_EQ(join(ids[0]).generation, stable_generation + 1);
  EXPECT_EQ(state(), "CompletingRebalance");
  ASSERT_EQ(sync(ids[0], a2.generation, assignments_for(a2)).status, SyncStatus::complete);
  // A follower whose metadata changed starts a rebalance.
  const KafkaJoinResult b3 = join(request(ids[1], protocols({"range"}, "-v2")));
  EXPECT_EQ(b3.status, KafkaJoinStatus::rebalancing);
  const KafkaJoinResult a3 = join(ids[0]);
  ASSERT_EQ(a3.status, KafkaJoinStatus::complete);
  EXPECT_EQ(a3.generation, stable_generation + 2);
  for (const KafkaMember& member : a3.members) {
    EXPECT_EQ(member.metadata, member.member_id == ids[1] ? "sub-range-v2" : "sub-range");
  }
}

TEST_F(KafkaGroupTest, ProtocolChosenByTheMembersVote) {
  const std::string a = join(request("", protocols({"range", "roundrobin"}))).member_id;
  const std::string b = join(request("", protocols({"roundrobin", "range"}))).member_id;
  const std::string c = join(request("", protocols({"roundrobin", "range", "sticky"}))).member_id;
  join(request(a, protocols({"range", "roundrobin"})));
  join(request(b, protocols({"roundrobin", "range"})));
  const KafkaJoinResult c2 = join(request(c, protocols({"roundrobin", "range", "sticky"})));
  ASSERT_EQ(c2.status, KafkaJoinStatus::complete);
  EXPECT_EQ(c2.protocol_name, "roundrobin");
  const KafkaJoinResult a2 = join(request(a, protocols({"range", "roundrobin"})));
  EXPECT_EQ(a2.leader_id, a);
  for (const KafkaMember& member : a2.members)
    EXPECT_EQ(member.metadata, "sub-roundrobin");
  EXPECT_EQ(describe().protocol_name, "roundrobin");
}

TEST_F(KafkaGroupTest, InconsistentProtocols) {
  const std::string a = join(request("", protocols({"range", "roundrobin"}))).member_id;
  // No protocol in common.
  EXPECT_EQ(coordinator.join(request("", protocols({"sticky"}))).error(),
            GroupError::inconsistent_protocol);
  // Another protocol type.
  KafkaJoinRequest other = request();
  other.protocol_type = "connect";
  EXPECT_EQ(coordinator.join(other).error(), GroupError::inconsistent_protocol);
  // Neither protocol type nor protocols: refused the way Kafka does.
  other = request();
  other.protocol_type = "";
  EXPECT_EQ(coordinator.join(other).error(), GroupError::inconsistent_protocol);
  other = request();
  other.protocols.clear();
  EXPECT_EQ(coordinator.join(other).error(), GroupError::inconsistent_protocol);
  // A second member narrows the candidates to roundrobin; a third with range only is refused.
  const std::string b = join(request("", protocols({"roundrobin"}))).member_id;
  EXPECT_EQ(coordinator.join(request("", protocols({"range"}))).error(),
            GroupError::inconsistent_protocol);
  // A member's own new protocols are compared with the others only.
  EXPECT_EQ(coordinator.join(request(a, protocols({"range"}))).error(),
            GroupError::inconsistent_protocol);
  const KafkaJoinResult a2 = join(request(a, protocols({"sticky", "roundrobin"})));
  EXPECT_EQ(a2.status, KafkaJoinStatus::complete);  // B joined when it came: all are in
  EXPECT_EQ(a2.protocol_name, "roundrobin");
  EXPECT_EQ(join(request(b, protocols({"roundrobin"}))).protocol_name, "roundrobin");
  EXPECT_EQ(describe().members.size(), 2u);
}

TEST_F(KafkaGroupTest, SoleMemberMayChangeEverything) {
  const std::string a = join(request("", protocols({"range"}))).member_id;
  KafkaJoinRequest changed = request(a, protocols({"sticky"}));
  changed.protocol_type = "connect";
  const KafkaJoinResult a2 = join(changed);
  ASSERT_EQ(a2.status, KafkaJoinStatus::complete);
  EXPECT_EQ(a2.generation, 2);
  EXPECT_EQ(a2.protocol_type, "connect");
  EXPECT_EQ(a2.protocol_name, "sticky");
}

TEST_F(KafkaGroupTest, NativeAndKafkaMembersNeverMix) {
  const std::string a = join().member_id;
  coordinator.set_topic_partitions("t", 2);
  JoinRequest native;
  native.group = "g";
  native.topics = {"t"};
  native.session_timeout_ms = kSessionMs;
  native.rebalance_timeout_ms = kRebalanceMs;
  EXPECT_EQ(coordinator.join(native).error(), GroupError::inconsistent_protocol);
  native.member_id = a;  // a Kafka member cannot turn native either
  EXPECT_EQ(coordinator.join(native).error(), GroupError::inconsistent_protocol);
  // The other way round.
  native.group = "n";
  native.member_id = "";
  const auto n = coordinator.join(native);
  ASSERT_TRUE(n.ok());
  KafkaJoinRequest kafka = request();
  kafka.group = "n";
  EXPECT_EQ(coordinator.join(kafka).error(), GroupError::inconsistent_protocol);
  kafka.member_id = n->member_id;
  EXPECT_EQ(coordinator.join(kafka).error(), GroupError::inconsistent_protocol);
  SyncRequest sync_native;
  sync_native.group = "n";
  sync_native.member_id = n->member_id;
  sync_native.generation = n->generation;
  EXPECT_EQ(coordinator.sync(sync_native).error(), GroupError::inconsistent_protocol);
  // The native group still works, and describes its partitions.
  EXPECT_EQ(coordinator.heartbeat("n", n->member_id, n->generation).error(), GroupError::none);
  const auto described = coordinator.describe("n");
  ASSERT_TRUE(described.ok());
  EXPECT_EQ(described->mode, GroupMode::native);
  EXPECT_EQ(described->protocol_type, "");
  EXPECT_EQ(kafka_state_name(described->state), "Stable");
  ASSERT_EQ(described->members.size(), 1u);
  EXPECT_EQ(described->members[0].assignment.size(), 2u);
  // Once the native member left, a Kafka client may take the group over.
  ASSERT_TRUE(coordinator.leave("n", n->member_id).ok());
  kafka.member_id = "";
  EXPECT_EQ(join(kafka).status, KafkaJoinStatus::complete);
}

TEST_F(KafkaGroupTest, MemberIdRequired) {
  KafkaJoinRequest req = request();
  req.require_known_member_id = true;
  const KafkaJoinResult first = join(req);
  EXPECT_EQ(first.status, KafkaJoinStatus::member_id_required);
  EXPECT_EQ(first.member_id, "app-0000000000000abc-1");
  // Not a member yet: nothing to heartbeat, nothing in the description.
  EXPECT_EQ(heartbeat(first.member_id, 0), GroupError::unknown_member);
  EXPECT_TRUE(describe().members.empty());
  EXPECT_EQ(state(), "Empty");
  req.member_id = first.member_id;
  const KafkaJoinResult a = join(req);
  EXPECT_EQ(a.status, KafkaJoinStatus::complete);
  EXPECT_EQ(a.member_id, first.member_id);
  EXPECT_EQ(a.generation, 1);
  // The id is a member's now, no longer pending: a second join of it is a member's join.
  EXPECT_EQ(join(req).generation, 1);
  // A static member skips the round trip.
  KafkaJoinRequest stat = request();
  stat.require_known_member_id = true;
  stat.group_instance_id = "instance-1";
  EXPECT_EQ(join(stat).status, KafkaJoinStatus::rebalancing);
}

TEST_F(KafkaGroupTest, PendingMemberIdsExpireAfterTheSessionTimeout) {
  KafkaJoinRequest req = request();
  req.require_known_member_id = true;
  const std::string id = join(req).member_id;
  now_ms += kSessionMs - 1;
  const std::string other = join(req).member_id;
  now_ms += 1;  // the first is forgotten, the second not yet
  req.member_id = id;
  EXPECT_EQ(coordinator.join(req).error(), GroupError::unknown_member);
  req.member_id = other;
  EXPECT_EQ(join(req).status, KafkaJoinStatus::complete);
}

TEST_F(KafkaGroupTest, PendingMemberIdsCountTowardsTheGroupSize) {
  GroupLimits limits;
  limits.members_per_group_max = 2;
  GroupCoordinator small(options(limits));
  KafkaJoinRequest req = request();
  req.require_known_member_id = true;
  const std::string p1 = join(req, small).member_id;
  const std::string p2 = join(req, small).member_id;
  EXPECT_EQ(small.join(req).error(), GroupError::group_max_size_reached);
  EXPECT_EQ(small.join(request()).error(), GroupError::group_max_size_reached);
  // A pending id may leave (LeaveGroup): its place is free again.
  const LeavingMember leaving{p2, ""};
  auto left = small.leave_members("g", std::span(&leaving, 1));
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->at(0).ok());
  req.member_id = p1;
  EXPECT_EQ(join(req, small).status, KafkaJoinStatus::complete);
  req.member_id = p2;
  EXPECT_EQ(small.join(req).error(), GroupError::unknown_member);
  req.member_id = "";
  EXPECT_EQ(join(req, small).status, KafkaJoinStatus::member_id_required);
  EXPECT_EQ(small.join(req).error(), GroupError::group_max_size_reached);
}

TEST_F(KafkaGroupTest, PendingIdMustStillShareAProtocol) {
  join(request("", protocols({"range"})));
  KafkaJoinRequest req = request("", protocols({"range", "sticky"}));
  req.require_known_member_id = true;
  req.member_id = join(req).member_id;
  req.protocols = protocols({"sticky"});
  EXPECT_EQ(coordinator.join(req).error(), GroupError::inconsistent_protocol);
  req.protocols = protocols({"range"});  // still pending: it may come back right
  EXPECT_EQ(join(req).status, KafkaJoinStatus::rebalancing);
}

TEST_F(KafkaGroupTest, LeaveOfSeveralMembers) {
  KafkaJoinRequest stat = request();
  stat.group_instance_id = "static-c";
  const std::string a = join().member_id;
  const std::string b = join().member_id;
  const std::string c = join(stat).member_id;
  stat.group_instance_id = "static-d";
  const std::string d = join(stat).member_id;
  for (const auto& id : {a, b})
    join(id);
  stat.member_id = c;
  stat.group_instance_id = "static-c";
  join(stat);
  stat.member_id = d;
  stat.group_instance_id = "static-d";
  const KafkaJoinResult formed = join(stat);
  ASSERT_EQ(formed.status, KafkaJoinStatus::complete);
  const std::vector<LeavingMember> leaving{
      {b, ""},              // by member id
      {"ghost", ""},        // nobody
      {"", "static-c"},     // by instance id alone
      {d, "static-other"},  // an instance id the member does not hold
      {b, ""},              // gone already
  };
  auto left = coordinator.leave_members("g", leaving);
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 5u);
  EXPECT_EQ(left->at(0).error(), GroupError::none);
  EXPECT_EQ(left->at(1).error(), GroupError::unknown_member);
  EXPECT_EQ(left->at(2).error(), GroupError::none);
  EXPECT_EQ(left->at(3).error(), GroupError::fenced_instance_id);
  EXPECT_EQ(left->at(4).error(), GroupError::unknown_member);
  // One rebalance for all of them.
  EXPECT_EQ(state(), "PreparingRebalance");
  join(a);
  const KafkaJoinResult d2 = join(stat);
  ASSERT_EQ(d2.status, KafkaJoinStatus::complete);
  EXPECT_EQ(d2.generation, formed.generation + 1);
  EXPECT_EQ(describe().members.size(), 2u);
  // The last ones leave: empty, and the generation moves on.
  auto rest = coordinator.leave_members("g", std::vector<LeavingMember>{{a, ""}, {d, "static-d"}});
  ASSERT_TRUE(rest.ok());
  EXPECT_TRUE(rest->at(0).ok() && rest->at(1).ok());
  EXPECT_EQ(state(), "Empty");
  EXPECT_EQ(describe().generation, formed.generation + 2);
}

TEST_F(KafkaGroupTest, LeaveOfSeveralMembersRefusals) {
  const std::vector<LeavingMember> leaving{{"a", ""}, {"b", ""}};
  auto absent = coordinator.leave_members("nope", leaving);
  ASSERT_TRUE(absent.ok());
  ASSERT_EQ(absent->size(), 2u);
  EXPECT_EQ(absent->at(0).error(), GroupError::unknown_member);
  EXPECT_EQ(absent->at(1).error(), GroupError::unknown_member);
  EXPECT_EQ(coordinator.leave_members("", leaving).error(), GroupError::invalid_group_id);
  GroupLimits limits;
  limits.members_per_group_max = 1;
  GroupCoordinator small(options(limits));
  EXPECT_EQ(small.leave_members("g", leaving).error(), GroupError::invalid_argument);
  auto none = coordinator.leave_members("nope", {});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(KafkaGroupTest, StaticMemberReplacesItsOldIncarnation) {
  KafkaJoinRequest stat = request();
  stat.group_instance_id = "pod-1";
  const KafkaJoinResult old = join(stat);
  ASSERT_EQ(old.status, KafkaJoinStatus::complete);
  EXPECT_EQ(old.members, (std::vector<KafkaMember>{{old.member_id, "pod-1", "sub-range"}}));
  ASSERT_EQ(sync(old.member_id, 1, {{old.member_id, "x"}}).status, SyncStatus::complete);
  // The process restarts: a join without a member id, with its instance id.
  const KafkaJoinResult fresh = join(stat);
  ASSERT_EQ(fresh.status, KafkaJoinStatus::complete);
  EXPECT_NE(fresh.member_id, old.member_id);
  EXPECT_GT(fresh.generation, old.generation);
  EXPECT_EQ(describe().members.size(), 1u);
  EXPECT_EQ(heartbeat(old.member_id, old.generation), GroupError::unknown_member);
  // The old id with the instance id is fenced off; the right pair works.
  stat.member_id = old.member_id;
  EXPECT_EQ(coordinator.join(stat).error(), GroupError::unknown_member);
  stat.member_id = fresh.member_id;
  stat.group_instance_id = "pod-2";
  EXPECT_EQ(coordinator.join(stat).error(), GroupError::fenced_instance_id);
  SyncRequest wrong;
  wrong.group = "g";
  wrong.member_id = fresh.member_id;
  wrong.generation = fresh.generation;
  wrong.group_instance_id = "pod-2";
  EXPECT_EQ(coordinator.sync(wrong).error(), GroupError::fenced_instance_id);
  wrong.group_instance_id = "pod-1";
  EXPECT_EQ(coordinator.sync(wrong)->status, SyncStatus::complete);
}

TEST_F(KafkaGroupTest, SyncChecksProtocolTypeAndNameWhenGiven) {
  const KafkaJoinResult a = join();
  SyncRequest req;
  req.group = "g";
  req.member_id = a.member_id;
  req.generation = a.generation;
  req.protocol_type = "consumer";
  req.protocol_name = "roundrobin";
  EXPECT_EQ(coordinator.sync(req).error(), GroupError::inconsistent_protocol);
  req.protocol_type = "connect";
  req.protocol_name = "range";
  EXPECT_EQ(coordinator.sync(req).error(), GroupError::inconsistent_protocol);
  req.protocol_type = "consumer";
  EXPECT_TRUE(coordinator.sync(req).ok());
}

TEST_F(KafkaGroupTest, Describe) {
  KafkaJoinRequest req = request("", protocols({"range", "roundrobin"}));
  req.client_id = "rdkafka";
  req.client_host = "/10.0.0.7";
  req.group_instance_id = "pod-7";
  const KafkaJoinResult a = join(req);
  GroupDescription group = describe();
  EXPECT_EQ(kafka_state_name(group.state), "CompletingRebalance");
  EXPECT_EQ(group.protocol_type, "consumer");
  EXPECT_EQ(group.protocol_name, "range");
  EXPECT_EQ(group.leader_id, a.member_id);
  ASSERT_EQ(group.members.size(), 1u);
  EXPECT_EQ(group.members[0].member_id, a.member_id);
  EXPECT_EQ(group.members[0].client_id, "rdkafka");
  EXPECT_EQ(group.members[0].client_host, "/10.0.0.7");
  EXPECT_EQ(group.members[0].group_instance_id, "pod-7");
  EXPECT_EQ(group.members[0].protocol_metadata, "sub-range");  // the chosen protocol's
  EXPECT_EQ(group.members[0].assignment_bytes, "");
  EXPECT_TRUE(group.members[0].assignment.empty());
  ASSERT_EQ(sync(a.member_id, a.generation, {{a.member_id, "bytes"}}).status, SyncStatus::complete);
  group = describe();
  EXPECT_EQ(kafka_state_name(group.state), "Stable");
  EXPECT_EQ(group_state_name(group.state), "stable");
  EXPECT_EQ(group.members[0].assignment_bytes, "bytes");
  // A rebalance begins: A keeps its assignment until it rejoins, then gives it up.
  const std::string b = join().member_id;
  group = describe();
  EXPECT_EQ(kafka_state_name(group.state), "PreparingRebalance");
  EXPECT_EQ(group.leader_id, "");
  EXPECT_EQ(group.protocol_name, "range");  // the last generation's, until the next forms
  ASSERT_EQ(group.members.size(), 2u);
  for (const auto& member : group.members) {
    EXPECT_EQ(member.joined, member.member_id == b);
    EXPECT_EQ(member.assignment_bytes, member.member_id == b ? "" : "bytes");
  }
  req.member_id = a.member_id;
  ASSERT_EQ(join(req).status, KafkaJoinStatus::complete);
  group = describe();
  EXPECT_EQ(kafka_state_name(group.state), "CompletingRebalance");
  EXPECT_EQ(group.leader_id, a.member_id);
  for (const auto& member : group.members)
    EXPECT_EQ(member.assignment_bytes, "");
  EXPECT_EQ(coordinator.describe("nope").error(), GroupError::group_not_found);
  EXPECT_EQ(kafka_state_name(GroupState::dead), "Dead");
  EXPECT_EQ(group_state_name(GroupState::completing_rebalance), "completing_rebalance");
}

TEST_F(KafkaGroupTest, InitialRebalanceDelayGathersMembersStartingTogether) {
  GroupCoordinator delayed(options({}, 100));
  const KafkaJoinResult a = join(request(), delayed);
  EXPECT_EQ(a.status, KafkaJoinStatus::rebalancing);
  now_ms += 50;
  const KafkaJoinResult b = join(request(), delayed);  // extends the delay to 150
  EXPECT_EQ(b.status, KafkaJoinStatus::rebalancing);
  now_ms += 99;
  EXPECT_EQ(join(request(a.member_id), delayed).status, KafkaJoinStatus::rebalancing);
  now_ms += 1;
  const KafkaJoinResult a2 = join(request(a.member_id), delayed);
  ASSERT_EQ(a2.status, KafkaJoinStatus::complete);
  EXPECT_EQ(a2.generation, 1);
  EXPECT_EQ(a2.members.size(), 2u);
  EXPECT_EQ(a2.leader_id, a.member_id);
}

TEST_F(KafkaGroupTest, InitialRebalanceDelayEndsByTheRebalanceTimeout) {
  GroupCoordinator delayed(options({}, 100));
  KafkaJoinRequest req = request();
  req.rebalance_timeout_ms = 120;
  const std::string a = join(req, delayed).member_id;
  for (int i = 0; i < 2; ++i) {  // each would extend the delay by 100 ms, but for the cap
    now_ms += 40;
    join(req, delayed);
  }
  req.member_id = a;
  now_ms = 119;
  EXPECT_EQ(join(req, delayed).status, KafkaJoinStatus::rebalancing);
  now_ms = 120;  // the rebalance timeout, not 80 + 100
  const KafkaJoinResult a2 = join(req, delayed);
  ASSERT_EQ(a2.status, KafkaJoinStatus::complete);
  EXPECT_EQ(a2.members.size(), 3u);
}

TEST_F(KafkaGroupTest, InvalidJoinRequests) {
  GroupLimits limits;
  KafkaJoinRequest req = request();
  req.group = "";
  EXPECT_EQ(coordinator.join(req).error(), GroupError::invalid_group_id);
  req = request();
  req.session_timeout_ms = 0;
  EXPECT_EQ(coordinator.join(req).error(), GroupError::invalid_session_timeout);
  req = request();
  req.rebalance_timeout_ms = 0;
  EXPECT_EQ(coordinator.join(req).error(), GroupError::invalid_argument);
  req = request("", protocols({"range", "range"}));
  EXPECT_EQ(coordinator.join(req).error(), GroupError::invalid_argument);
  req = request("", {{"", "meta"}});
  EXPECT_EQ(coordinator.join(req).error(), GroupError::invalid_argument);
  req = request("", {{std::string(limits.protocol_name_bytes_max + 1, 'p'), "meta"}});
  EXPECT_EQ(coordinator.join(req).error(), GroupError::invalid_argument);
  req = request();
  for (uint32_t i = 0; i <= limits.protocols_per_member_max; ++i)
    req.protocols.push_back({"p" + std::to_string(i), ""});
  EXPECT_EQ(coordinator.join(req).error(), GroupError::invalid_argument);
  // The metadata bound is on the sum over the protocols.
  const std::string half(limits.protocol_metadata_bytes_max / 2 + 1, 'm');
  req = request("", {{"range", half}, {"roundrobin", half}});
  EXPECT_EQ(coordinator.join(req).error(), GroupError::invalid_argument);
  req = request();
  req.client_host = std::string(limits.client_host_bytes_max + 1, 'h');
  EXPECT_EQ(coordinator.join(req).error(), GroupError::invalid_argument);
  req = request(std::string(limits.member_id_bytes_max + 1, 'm'));
  EXPECT_EQ(coordinator.join(req).error(), GroupError::invalid_argument);
  req = request();
  req.group_instance_id = std::string(limits.group_instance_id_bytes_max + 1, 'i');
  EXPECT_EQ(coordinator.join(req).error(), GroupError::invalid_argument);
  req = request();
  req.protocol_type = std::string(limits.protocol_name_bytes_max + 1, 't');
  EXPECT_EQ(coordinator.join(req).error(), GroupError::invalid_argument);
  EXPECT_TRUE(coordinator.list().empty());  // nothing was created by a refused join
}

TEST_F(KafkaGroupTest, InvalidSyncRequests) {
  GroupLimits limits;
  limits.members_per_group_max = 3;
  limits.assignment_bytes_max = 10;
  GroupCoordinator small(options(limits));
  const KafkaJoinResult a = join(request(), small);
  SyncRequest req;
  req.group = "g";
  req.member_id = a.member_id;
  req.generation = a.generation;
  req.assignments = {{a.member_id, std::string(11, 'x')}};
  EXPECT_EQ(small.sync(req).error(), GroupError::invalid_argument);
  req.assignments = {{a.member_id, "x"}, {a.member_id, "y"}};
  EXPECT_EQ(small.sync(req).error(), GroupError::invalid_argument);
  req.assignments = {{"1", ""}, {"2", ""}, {"3", ""}, {"4", ""}};
  EXPECT_EQ(small.sync(req).error(), GroupError::invalid_argument);
  req.group = "";
  req.assignments.clear();
  EXPECT_EQ(small.sync(req).error(), GroupError::invalid_group_id);
  // Refused syncs did not count: the group still waits, and a good one completes it.
  EXPECT_EQ(kafka_state_name(small.describe("g")->state), "CompletingRebalance");
  req.group = "g";
  req.assignments = {{a.member_id, "0123456789"}};
  auto done = small.sync(req);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->assignment, "0123456789");
}

TEST_F(KafkaGroupTest, GroupSizeIsBounded) {
  GroupLimits limits;
  limits.members_per_group_max = 2;
  GroupCoordinator small(options(limits));
  join(request(), small);
  join(request(), small);
  const auto third = small.join(request());
  EXPECT_EQ(third.error(), GroupError::group_max_size_reached);
  EXPECT_EQ(to_errc(third.error()), Errc::busy);
  // A static member replacing its old incarnation takes no new place.
  KafkaJoinRequest stat = request();
  stat.group = "h";
  stat.group_instance_id = "pod";
  const std::string old = join(stat, small).member_id;
  KafkaJoinRequest other = request();
  other.group = "h";
  join(other, small);
  EXPECT_EQ(small.join(other).error(), GroupError::group_max_size_reached);
  const std::string fresh = join(stat, small).member_id;
  const auto described = small.describe("h");
  ASSERT_TRUE(described.ok());
  ASSERT_EQ(described->members.size(), 2u);
  for (const auto& member : described->members)
    EXPECT_NE(member.member_id, old);
  EXPECT_NE(fresh, old);
}

TEST_F(KafkaGroupTest, KafkaGroupsIgnorePartitionCounts) {
  const std::vector<std::string> ids = stable_group(2);
  coordinator.set_topic_partitions("t", 4);
  coordinator.set_topic_partitions("t", 8);
  coordinator.remove_topic("t");
  EXPECT_EQ(heartbeat(ids[0], stable_generation), GroupError::none);
  EXPECT_EQ(state(), "Stable");
}

TEST_F(KafkaGroupTest, CommitFencingInKafkaGroups) {
  const std::vector<std::string> ids = stable_group(2);
  EXPECT_TRUE(coordinator.validate_commit("g", ids[0], stable_generation).ok());
  EXPECT_EQ(coordinator.validate_commit("g", ids[0], stable_generation - 1).error(),
            GroupError::illegal_generation);
  EXPECT_EQ(coordinator.validate_commit("g", "", -1).error(), GroupError::unknown_member);
  // While preparing a rebalance the current generation may still commit, as in Kafka.
  join();
  EXPECT_TRUE(coordinator.validate_commit("g", ids[1], stable_generation).ok());
}

}  // namespace
}  // namespace sluice::consumers
