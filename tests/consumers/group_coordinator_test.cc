#include "consumers/group_coordinator.h"

#include <gtest/gtest.h>

#include <set>

namespace sluice::consumers {
namespace {

using TP = TopicPartition;

class GroupCoordinatorTest : public ::testing::Test {
 protected:
  GroupCoordinatorTest() { coordinator.set_topic_partitions("t", 4); }

  CoordinatorOptions options(GroupLimits limits = {}) {
    CoordinatorOptions out;
    out.now_ms = [this] { return now_ms; };
    out.limits = limits;
    out.incarnation = 0xabc;
    return out;
  }

  static JoinRequest request(std::string member_id = "", std::vector<std::string> topics = {"t"}) {
    JoinRequest out;
    out.group = "g";
    out.member_id = std::move(member_id);
    out.client_id = "app";
    out.topics = std::move(topics);
    out.session_timeout_ms = 1000;
    out.rebalance_timeout_ms = 3000;
    return out;
  }

  JoinResult join(const JoinRequest& req) {
    auto result = coordinator.join(req);
    EXPECT_TRUE(result.ok()) << result.failure().message;
    return result.ok() ? result.value() : JoinResult{};
  }
  JoinResult join(std::string member_id = "") { return join(request(std::move(member_id))); }

  // Two members, stable at generation 2, with two partitions each.
  std::pair<JoinResult, JoinResult> two_members() {
    const JoinResult a = join();
    const std::string b_id = join().member_id;
    EXPECT_EQ(join(a.member_id).status, JoinStatus::stable);
    const JoinResult b = join(b_id);
    EXPECT_EQ(b.status, JoinStatus::stable);
    return {join(a.member_id), b};
  }

  GroupError heartbeat(const JoinResult& member) {
    return coordinator.heartbeat("g", member.member_id, member.generation).error();
  }

  GroupDescription describe() {
    auto result = coordinator.describe("g");
    EXPECT_TRUE(result.ok());
    return result.ok() ? result.value() : GroupDescription{};
  }

  int64_t now_ms = 0;
  GroupCoordinator coordinator{options()};
};

std::vector<TP> all_of_t(int32_t count) {
  std::vector<TP> out;
  for (int32_t p = 0; p < count; ++p)
    out.push_back({"t", p});
  return out;
}

TEST_F(GroupCoordinatorTest, FirstMemberIsStableAtOnceWithEveryPartition) {
  const JoinResult a = join();
  EXPECT_EQ(a.status, JoinStatus::stable);
  EXPECT_EQ(a.generation, 1);
  EXPECT_EQ(a.member_id, "app-0000000000000abc-1");
  EXPECT_EQ(a.leader_id, a.member_id);
  EXPECT_EQ(a.assignment, all_of_t(4));
  EXPECT_EQ(heartbeat(a), GroupError::none);
  const GroupDescription group = describe();
  EXPECT_EQ(group.state, GroupState::stable);
  EXPECT_EQ(group_state_name(group.state), "stable");
  ASSERT_EQ(group.members.size(), 1u);
  EXPECT_EQ(group.members[0].assignment, all_of_t(4));
  EXPECT_EQ(coordinator.list(), std::vector<std::string>{"g"});
}

TEST_F(GroupCoordinatorTest, MemberIdWithoutClientIdAndUniquePerJoin) {
  JoinRequest req = request();
  req.client_id = "";
  EXPECT_EQ(join(req).member_id, "member-0000000000000abc-1");
  EXPECT_EQ(join(req).member_id, "member-0000000000000abc-2");
}

TEST_F(GroupCoordinatorTest, SecondMemberWaitsUntilEveryMemberRejoined) {
  const JoinResult a = join();
  const JoinResult b = join();
  EXPECT_EQ(b.status, JoinStatus::rebalancing);
  EXPECT_EQ(b.generation, -1);
  EXPECT_TRUE(b.assignment.empty());
  EXPECT_EQ(describe().state, GroupState::rebalancing);
  // A still holds generation 1 until it learns of the rebalance.
  EXPECT_EQ(describe().members[0].assignment, all_of_t(4));
  EXPECT_EQ(heartbeat(a), GroupError::rebalance_in_progress);
  EXPECT_EQ(join(b.member_id).status, JoinStatus::rebalancing);  // A has not rejoined
  const JoinResult a2 = join(a.member_id);  // the last one: the rebalance completes
  ASSERT_EQ(a2.status, JoinStatus::stable);
  const JoinResult b2 = join(b.member_id);
  ASSERT_EQ(b2.status, JoinStatus::stable);
  EXPECT_EQ(a2.generation, 2);
  EXPECT_EQ(b2.generation, 2);
  EXPECT_EQ(a2.leader_id, a.member_id);  // the leader stays
  std::set<TP> owned(a2.assignment.begin(), a2.assignment.end());
  for (const TP& tp : b2.assignment)
    EXPECT_TRUE(owned.insert(tp).second) << tp.partition;
  EXPECT_EQ(owned.size(), 4u);
  EXPECT_EQ(a2.assignment.size(), 2u);
  EXPECT_EQ(heartbeat(a2), GroupError::none);
  EXPECT_EQ(heartbeat(b2), GroupError::none);
}

TEST_F(GroupCoordinatorTest, RejoiningMemberGivesItsPartitionsUp) {
  const JoinResult a = join();
  join();
  join(a.member_id);  // rejoins; B has already joined, so this completes
  EXPECT_EQ(describe().state, GroupState::stable);
  const JoinResult c = join();
  EXPECT_EQ(c.status, JoinStatus::rebalancing);
  join(a.member_id);
  for (const auto& member : describe().members) {
    if (member.member_id == a.member_id || member.member_id == c.member_id) {
      EXPECT_TRUE(member.joined);
      EXPECT_TRUE(member.assignment.empty());
    } else {
      EXPECT_FALSE(member.joined);
      EXPECT_EQ(member.assignment.size(), 2u);
    }
  }
}

TEST_F(GroupCoordinatorTest, RejoinWithSameSubscriptionKeepsTheGeneration) {
  const auto [a, b] = two_members();
  const JoinResult again = join(a.member_id);
  EXPECT_EQ(again.status, JoinStatus::stable);
  EXPECT_EQ(again.generation, a.generation);
  EXPECT_EQ(again.assignment, a.assignment);
  EXPECT_EQ(heartbeat(b), GroupError::none);
}

TEST_F(GroupCoordinatorTest, ChangedSubscriptionRebalances) {
  coordinator.set_topic_partitions("u", 2);
  const auto [a, b] = two_members();
  const JoinResult a2 = join(request(a.member_id, {"t", "u"}));
  EXPECT_EQ(a2.status, JoinStatus::rebalancing);
  EXPECT_EQ(heartbeat(b), GroupError::rebalance_in_progress);
  const JoinResult b2 = join(b.member_id);
  EXPECT_EQ(b2.generation, a.generation + 1);
  const JoinResult a3 = join(request(a.member_id, {"t", "u"}));
  EXPECT_EQ(a3.status, JoinStatus::stable);
  EXPECT_EQ(a3.assignment.size() + b2.assignment.size(), 6u);
  for (const TP& tp : b2.assignment)
    EXPECT_EQ(tp.topic, "t");
}

TEST_F(GroupCoordinatorTest, ChangedProtocolMetadataRebalances) {
  const auto [a, b] = two_members();
  JoinRequest req = request(a.member_id);
  req.protocol_metadata = std::string("\x00\x01", 2);
  EXPECT_EQ(join(req).status, JoinStatus::rebalancing);
  EXPECT_EQ(heartbeat(b), GroupError::rebalance_in_progress);
  join(b.member_id);
  EXPECT_EQ(describe().members.size(), 2u);
  for (const auto& member : describe().members) {
    if (member.member_id == a.member_id) {
      EXPECT_EQ(member.protocol_metadata, req.protocol_metadata);
    }
  }
}

TEST_F(GroupCoordinatorTest, LeavingMemberPartitionsMove) {
  const auto [a, b] = two_members();
  ASSERT_TRUE(coordinator.leave("g", b.member_id).ok());
  EXPECT_EQ(heartbeat(b), GroupError::unknown_member);
  EXPECT_EQ(heartbeat(a), GroupError::rebalance_in_progress);
  const JoinResult a2 = join(a.member_id);
  EXPECT_EQ(a2.status, JoinStatus::stable);
  EXPECT_EQ(a2.generation, a.generation + 1);
  EXPECT_EQ(a2.assignment, all_of_t(4));
  EXPECT_EQ(coordinator.leave("g", b.member_id).error(), GroupError::unknown_member);
  EXPECT_EQ(coordinator.leave("nope", b.member_id).error(), GroupError::unknown_member);
}

TEST_F(GroupCoordinatorTest, LastMemberLeavingEmptiesTheGroup) {
  const JoinResult a = join();
  ASSERT_TRUE(coordinator.leave("g", a.member_id).ok());
  GroupDescription group = describe();
  EXPECT_EQ(group.state, GroupState::empty);
  EXPECT_EQ(group.generation, 2);  // moved on: generation 1 is fenced
  EXPECT_TRUE(group.members.empty());
  EXPECT_EQ(coordinator.validate_commit("g", a.member_id, 1).error(), GroupError::unknown_member);
  const JoinResult b = join();
  EXPECT_EQ(b.status, JoinStatus::stable);
  EXPECT_EQ(b.generation, 3);
}

TEST_F(GroupCoordinatorTest, SilentMemberIsRemovedAndItsPartitionsMove) {
  const auto [a, b] = two_members();
  now_ms += 600;
  EXPECT_EQ(heartbeat(a), GroupError::none);
  now_ms += 399;  // B last heard 999 ms ago
  EXPECT_EQ(heartbeat(a), GroupError::none);
  now_ms += 1;  // B silent for its whole session timeout
  EXPECT_EQ(heartbeat(a), GroupError::rebalance_in_progress);
  EXPECT_EQ(heartbeat(b), GroupError::unknown_member);
  const JoinResult a2 = join(a.member_id);
  EXPECT_EQ(a2.status, JoinStatus::stable);
  EXPECT_EQ(a2.assignment, all_of_t(4));
}

TEST_F(GroupCoordinatorTest, ExpireRemovesSilentMembersOfEveryGroup) {
  const auto [a, b] = two_members();
  JoinRequest other = request();
  other.group = "h";
  other.session_timeout_ms = 5000;
  const JoinResult h = join(other);
  now_ms += 1000;
  EXPECT_EQ(coordinator.expire(), 2u);
  EXPECT_EQ(describe().state, GroupState::empty);
  EXPECT_EQ(describe().generation, a.generation + 1);
  EXPECT_EQ(coordinator.heartbeat("h", h.member_id, h.generation).error(), GroupError::none);
  EXPECT_EQ(coordinator.expire(), 0u);
}

TEST_F(GroupCoordinatorTest, RebalanceTimeoutRemovesMembersThatNeverRejoin) {
  auto [a, b] = two_members();
  const JoinResult c = join();
  for (int i = 0; i < 5; ++i) {  // B keeps heartbeating but never rejoins
    now_ms += 500;
    EXPECT_EQ(heartbeat(b), GroupError::rebalance_in_progress);
    EXPECT_EQ(join(a.member_id).status, JoinStatus::rebalancing);
    EXPECT_EQ(join(c.member_id).status, JoinStatus::rebalancing);
  }
  now_ms += 499;  // 2999 ms since the rebalance began
  EXPECT_EQ(join(c.member_id).status, JoinStatus::rebalancing);
  now_ms += 1;
  const JoinResult c2 = join(c.member_id);
  ASSERT_EQ(c2.status, JoinStatus::stable);
  const JoinResult a2 = join(a.member_id);
  EXPECT_EQ(a2.generation, a.generation + 1);
  EXPECT_EQ(a2.assignment.size() + c2.assignment.size(), 4u);
  EXPECT_EQ(heartbeat(b), GroupError::unknown_member);
  EXPECT_EQ(describe().members.size(), 2u);
}

TEST_F(GroupCoordinatorTest, RebalanceDeadlineIsTheLargestRebalanceTimeout) {
  const JoinResult a = join();
  JoinRequest slow = request();
  slow.rebalance_timeout_ms = 5000;
  slow.session_timeout_ms = 10000;
  const JoinResult b = join(slow);  // begins the rebalance; A heartbeats but never rejoins
  slow.member_id = b.member_id;
  for (int i = 0; i < 5; ++i) {
    now_ms += 900;
    EXPECT_EQ(heartbeat(a), GroupError::rebalance_in_progress);
  }
  now_ms += 499;  // 4999 ms: A's 3000 ms rebalance timeout is not B's 5000
  EXPECT_EQ(heartbeat(a), GroupError::rebalance_in_progress);
  EXPECT_EQ(join(slow).status, JoinStatus::rebalancing);
  now_ms += 1;
  EXPECT_EQ(join(slow).status, JoinStatus::stable);
  EXPECT_EQ(heartbeat(a), GroupError::unknown_member);
}

TEST_F(GroupCoordinatorTest, HeartbeatErrors) {
  const auto [a, b] = two_members();
  EXPECT_EQ(coordinator.heartbeat("g", a.member_id, a.generation - 1).error(),
            GroupError::illegal_generation);
  EXPECT_EQ(coordinator.heartbeat("g", a.member_id, a.generation + 1).error(),
            GroupError::illegal_generation);
  EXPECT_EQ(coordinator.heartbeat("g", "stranger", a.generation).error(),
            GroupError::unknown_member);
  EXPECT_EQ(coordinator.heartbeat("nope", a.member_id, a.generation).error(),
            GroupError::unknown_member);
  join();
  EXPECT_EQ(heartbeat(a), GroupError::rebalance_in_progress);
  const auto failure = coordinator.heartbeat("g", a.member_id, a.generation).failure();
  EXPECT_NE(failure.message.find("rebalancing"), std::string::npos) << failure.message;
}

TEST_F(GroupCoordinatorTest, HeartbeatKeepsMemberAlive) {
  const JoinResult a = join();
  for (int i = 0; i < 20; ++i) {
    now_ms += 900;
    EXPECT_EQ(heartbeat(a), GroupError::none);
  }
  EXPECT_EQ(coordinator.expire(), 0u);
}

TEST_F(GroupCoordinatorTest, CommitFencing) {
  const auto [a, b] = two_members();
  EXPECT_TRUE(coordinator.validate_commit("g", a.member_id, a.generation).ok());
  EXPECT_EQ(coordinator.validate_commit("g", a.member_id, a.generation - 1).error(),
            GroupError::illegal_generation);
  EXPECT_EQ(coordinator.validate_commit("g", "stranger", a.generation).error(),
            GroupError::unknown_member);
  // A group with members refuses a standalone commit.
  EXPECT_EQ(coordinator.validate_commit("g", "", -1).error(), GroupError::unknown_member);
  // While rebalancing, the current generation may still commit (before giving partitions up).
  const JoinResult c = join();
  EXPECT_TRUE(coordinator.validate_commit("g", a.member_id, a.generation).ok());
  EXPECT_EQ(coordinator.validate_commit("g", c.member_id, -1).error(),
            GroupError::illegal_generation);
  join(a.member_id);
  join(b.member_id);
  EXPECT_EQ(coordinator.validate_commit("g", a.member_id, a.generation).error(),
            GroupError::illegal_generation);
  EXPECT_TRUE(coordinator.validate_commit("g", a.member_id, a.generation + 1).ok());
  EXPECT_EQ(coordinator.validate_commit("", a.member_id, 1).error(), GroupError::invalid_group_id);
}

TEST_F(GroupCoordinatorTest, StandaloneCommitNeedsAnEmptyGroup) {
  EXPECT_TRUE(coordinator.validate_commit("fresh", "", -1).ok());
  EXPECT_EQ(coordinator.validate_commit("fresh", "m", 1).error(), GroupError::unknown_member);
  const JoinResult a = join();
  ASSERT_TRUE(coordinator.leave("g", a.member_id).ok());
  EXPECT_TRUE(coordinator.validate_commit("g", "", -1).ok());
}

TEST_F(GroupCoordinatorTest, CommitRefreshesLiveness) {
  const JoinResult a = join();
  for (int i = 0; i < 5; ++i) {
    now_ms += 900;
    EXPECT_TRUE(coordinator.validate_commit("g", a.member_id, a.generation).ok());
  }
  EXPECT_EQ(heartbeat(a), GroupError::none);
}

TEST_F(GroupCoordinatorTest, PartitionCountChangeRebalances) {
  const auto [a, b] = two_members();
  coordinator.set_topic_partitions("t", 4);  // unchanged: nothing happens
  EXPECT_EQ(heartbeat(a), GroupError::none);
  coordinator.set_topic_partitions("other", 3);  // not subscribed
  EXPECT_EQ(heartbeat(a), GroupError::none);
  coordinator.set_topic_partitions("t", 6);
  EXPECT_EQ(heartbeat(a), GroupError::rebalance_in_progress);
  EXPECT_EQ(heartbeat(b), GroupError::rebalance_in_progress);
  const JoinResult a2 = join(a.member_id);
  const JoinResult b2 = join(b.member_id);
  const JoinResult a3 = join(a.member_id);
  EXPECT_EQ(a3.generation, a.generation + 1);
  EXPECT_EQ(a3.assignment.size() + b2.assignment.size(), 6u);
  EXPECT_EQ(a2.status, JoinStatus::rebalancing);
}

TEST_F(GroupCoordinatorTest, RemovedTopicRebalancesToNothing) {
  const JoinResult a = join();
  coordinator.remove_topic("t");
  EXPECT_EQ(heartbeat(a), GroupError::rebalance_in_progress);
  const JoinResult a2 = join(a.member_id);
  EXPECT_EQ(a2.status, JoinStatus::stable);
  EXPECT_TRUE(a2.assignment.empty());
  coordinator.set_topic_partitions("t", 2);  // created again
  EXPECT_EQ(heartbeat(a2), GroupError::rebalance_in_progress);
  EXPECT_EQ(join(a.member_id).assignment, all_of_t(2));
}

TEST_F(GroupCoordinatorTest, TopicNeverReportedIsAssignedToNobody) {
  const JoinResult a = join(request("", {"t", "later"}));
  EXPECT_EQ(a.assignment, all_of_t(4));
  coordinator.set_topic_partitions("later", 1);
  EXPECT_EQ(heartbeat(a), GroupError::rebalance_in_progress);
  EXPECT_EQ(join(request(a.member_id, {"t", "later"})).assignment.size(), 5u);
}

TEST_F(GroupCoordinatorTest, DifferentStrategyIsRefused) {
  const JoinResult a = join();
  JoinRequest other = request();
  other.strategy = AssignmentStrategy::round_robin;
  EXPECT_EQ(coordinator.join(other).error(), GroupError::inconsistent_protocol);
  // The only member may change the group's strategy.
  other.member_id = a.member_id;
  const JoinResult a2 = join(other);
  EXPECT_EQ(a2.strategy, AssignmentStrategy::round_robin);
  EXPECT_EQ(a2.generation, 2);
  EXPECT_EQ(describe().strategy, AssignmentStrategy::round_robin);
}

TEST_F(GroupCoordinatorTest, RoundRobinGroupDealsPartitions) {
  JoinRequest req = request();
  req.strategy = AssignmentStrategy::round_robin;
  const JoinResult a = join(req);
  const JoinResult b = join(req);
  req.member_id = a.member_id;
  const JoinResult a2 = join(req);
  req.member_id = b.member_id;
  const JoinResult b2 = join(req);
  EXPECT_EQ(a2.assignment, (std::vector<TP>{{"t", 0}, {"t", 2}}));
  EXPECT_EQ(b2.assignment, (std::vector<TP>{{"t", 1}, {"t", 3}}));
}

TEST_F(GroupCoordinatorTest, InvalidJoinRequests) {
  JoinRequest req = request();
  req.group = "";
  EXPECT_EQ(coordinator.join(req).error(), GroupError::invalid_group_id);
  req.group = std::string(256, 'g');
  EXPECT_EQ(coordinator.join(req).error(), GroupError::invalid_group_id);
  req = request();
  req.session_timeout_ms = 0;
  EXPECT_EQ(coordinator.join(req).error(), GroupError::invalid_session_timeout);
  req.session_timeout_ms = 31 * 60 * 1000;
  EXPECT_EQ(coordinator.join(req).error(), GroupError::invalid_session_timeout);
  req = request();
  req.rebalance_timeout_ms = 0;
  EXPECT_EQ(coordinator.join(req).error(), GroupError::invalid_argument);
  req = request("", {});
  EXPECT_EQ(coordinator.join(req).error(), GroupError::invalid_argument);
  req = request("", {"bad/name"});
  EXPECT_EQ(coordinator.join(req).error(), GroupError::invalid_argument);
  req = request();
  req.client_id = std::string(300, 'c');
  EXPECT_EQ(coordinator.join(req).error(), GroupError::invalid_argument);
  EXPECT_EQ(coordinator.join(request("made-up")).error(), GroupError::unknown_member);
  join();
  EXPECT_EQ(coordinator.join(request("made-up")).error(), GroupError::unknown_member);
  EXPECT_EQ(coordinator.list(), std::vector<std::string>{"g"});
}

TEST_F(GroupCoordinatorTest, DuplicateTopicsCountOnce) {
  const JoinResult a = join(request("", {"t", "t"}));
  EXPECT_EQ(a.assignment, all_of_t(4));
  EXPECT_EQ(describe().members[0].topics, std::vector<std::string>{"t"});
}

TEST_F(GroupCoordinatorTest, GroupSizeIsBounded) {
  GroupLimits limits;
  limits.members_per_group_max = 2;
  GroupCoordinator small(options(limits));
  ASSERT_TRUE(small.join(request()).ok());
  ASSERT_TRUE(small.join(request()).ok());
  const auto third = small.join(request());
  EXPECT_EQ(third.error(), GroupError::group_max_size_reached);
  EXPECT_EQ(to_error(third.failure()).code(), Errc::busy);
}

TEST_F(GroupCoordinatorTest, GroupCountIsBoundedAndEmptyGroupsGoFirst) {
  GroupLimits limits;
  limits.groups_max = 2;
  GroupCoordinator small(options(limits));
  small.set_topic_partitions("t", 4);
  JoinRequest req = request();
  const JoinResult g = small.join(req).value();
  req.group = "h";
  const JoinResult h = small.join(req).value();
  req.group = "i";
  const auto refused = small.join(req);
  EXPECT_EQ(refused.error(), GroupError::coordinator_full);
  EXPECT_EQ(to_errc(refused.error()), Errc::busy);
  ASSERT_TRUE(small.leave("g", g.member_id).ok());  // g is empty: forgotten for i
  EXPECT_TRUE(small.join(req).ok());
  EXPECT_EQ(small.list(), (std::vector<std::string>{"h", "i"}));
  EXPECT_EQ(small.heartbeat("h", h.member_id, h.generation).error(), GroupError::none);
}

TEST_F(GroupCoordinatorTest, RemoveGroupOnlyWhenEmpty) {
  const JoinResult a = join();
  EXPECT_EQ(coordinator.remove_group("g").error(), GroupError::non_empty_group);
  EXPECT_EQ(coordinator.remove_group("nope").error(), GroupError::group_not_found);
  ASSERT_TRUE(coordinator.leave("g", a.member_id).ok());
  EXPECT_TRUE(coordinator.remove_group("g").ok());
  EXPECT_TRUE(coordinator.list().empty());
  EXPECT_EQ(coordinator.describe("g").error(), GroupError::group_not_found);
}

TEST_F(GroupCoordinatorTest, ClockGoingBackwardsDoesNotRevive) {
  const auto [a, b] = two_members();
  now_ms += 800;
  EXPECT_EQ(heartbeat(a), GroupError::none);
  now_ms -= 500;  // a reading behind the last one counts as the last one
  EXPECT_EQ(heartbeat(a), GroupError::none);
  now_ms += 700;  // 1000 ms after B's last word
  EXPECT_EQ(heartbeat(a), GroupError::rebalance_in_progress);
}

TEST(GroupError, NamesAndErrcs) {
  EXPECT_EQ(group_error_name(GroupError::illegal_generation), "illegal_generation");
  EXPECT_EQ(to_errc(GroupError::invalid_session_timeout), Errc::invalid_argument);
  EXPECT_EQ(to_errc(GroupError::group_not_found), Errc::not_found);
  const Error error = to_error({GroupError::unknown_member, "member 'x' is not in group 'g'"});
  EXPECT_EQ(error.message(), "unknown_member: member 'x' is not in group 'g'");
}

}  // namespace
}  // namespace sluice::consumers
