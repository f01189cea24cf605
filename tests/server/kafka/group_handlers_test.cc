// The Kafka group handlers end to end (server/kafka/handle_groups.cc, handle_join_sync.cc,
// handle_offsets.cc): encoded requests into real KafkaSessions over a real Engine and its group
// coordinator, responses decoded from what the sessions send. Several clients form a group the
// way Kafka consumers do: FindCoordinator, JoinGroup (MEMBER_ID_REQUIRED first at v4+), the
// leader's SyncGroup with everyone's assignment, followers waiting for it, heartbeats,
// rebalances when members come, leave or go silent, and offsets committed and fetched.
#include "consumers/group_coordinator.h"
#include "consumers/names.h"
#include "server/kafka/consumer_protocol.h"
#include "server/kafka/describe_groups.h"
#include "server/kafka/find_coordinator.h"
#include "server/kafka/heartbeat.h"
#include "server/kafka/join_group.h"
#include "server/kafka/leave_group.h"
#include "server/kafka/list_groups.h"
#include "server/kafka/offset_commit.h"
#include "server/kafka/offset_fetch.h"
#include "server/kafka/opaque_bytes.h"
#include "server/kafka/sync_group.h"
#include "tests/server/kafka/kafka_session_fixture.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace sluice::server::kafka {
namespace {

using namespace std::chrono_literals;

constexpr const char* kTopic = "orders";
constexpr int32_t kPartitions = 4;

std::string bytes_text(const std::vector<std::byte>& bytes) {
  return to_byte_string(bytes);
}

std::string subscription_bytes(std::vector<std::string> topics) {
  ConsumerSubscription subscription;
  subscription.topics = std::move(topics);
  std::vector<std::byte> out;
  Writer w(&out);
  encode_consumer_subscription(w, subscription);
  return bytes_text(out);
}

std::string assignment_bytes(const std::string& topic, std::vector<int32_t> partitions) {
  ConsumerAssignment assignment;
  assignment.assigned_partitions.push_back({topic, std::move(partitions)});
  std::vector<std::byte> out;
  Writer w(&out);
  encode_consumer_assignment(w, assignment);
  return bytes_text(out);
}

std::vector<int32_t> assigned_partitions(const std::string& bytes) {
  Result<ConsumerAssignment> assignment = decode_consumer_assignment(as_byte_span(bytes));
  EXPECT_TRUE(assignment.ok()) << assignment.error().to_string();
  std::vector<int32_t> out;
  if (!assignment.ok()) return out;
  for (const auto& topic : assignment->assigned_partitions) {
    EXPECT_EQ(topic.topic, kTopic);
    out.insert(out.end(), topic.partitions.begin(), topic.partitions.end());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A member's view of its group, as a Kafka consumer keeps it.
struct Member {
  std::string id;
  int32_t generation = -1;
};

class GroupHandlersTest : public testing::KafkaSessionTest {
 protected:
  void SetUp() override {
    KafkaSessionTest::SetUp();
    ASSERT_TRUE(engine_->create_topic(kTopic, sluice::testing::topic_config(kPartitions)).ok());
    subscription_ = subscription_bytes({kTopic});
  }

  // JoinGroup, with the consumer protocol and the "range" assignor. The request holds views:
  // `group` and `member_id` must outlive it.
  JoinGroupRequest join_request(std::string_view group, std::string_view member_id,
                                int32_t session_timeout_ms = 30000) {
    JoinGroupRequest request;
    request.group_id = group;
    request.session_timeout_ms = session_timeout_ms;
    request.rebalance_timeout_ms = 20000;
    request.member_id = member_id;
    request.protocol_type = "consumer";
    request.protocols = {{"range", as_byte_span(subscription_)}};
    return request;
  }
  int32_t send_join(Client& client, const JoinGroupRequest& request, int16_t version) {
    return send(client, ApiKey::join_group, version,
                [&](Writer& w) { encode_join_group_request(w, request, version); });
  }
  JoinGroupResponse join_response(Client& client, int32_t correlation, int16_t version) {
    return decode_body<JoinGroupResponse>(wait_response(client, correlation), [&](Reader& in) {
      return decode_join_group_response(in, version);
    });
  }
  JoinGroupResponse join(Client& client, const JoinGroupRequest& request, int16_t version) {
    return join_response(client, send_join(client, request, version), version);
  }
  // A new member's first join at v4+: MEMBER_ID_REQUIRED with its id. Returns the id.
  std::string member_id_for(Client& client, const std::string& group, int16_t version = 5) {
    JoinGroupResponse first = join(client, join_request(group, ""), version);
    EXPECT_EQ(first.error, ErrorCode::member_id_required);
    EXPECT_FALSE(first.member_id.empty());
    EXPECT_EQ(first.generation_id, -1);
    return first.member_id;
  }

  SyncGroupResponse sync(Client& client, const std::string& group, const Member& member,
                         const std::map<std::string, std::string>& assignments,
                         int16_t version = 3) {
    return sync_response(client, send_sync(client, group, member, assignments, version), version);
  }
  int32_t send_sync(Client& client, const std::string& group, const Member& member,
                    const std::map<std::string, std::string>& assignments, int16_t version = 3) {
    SyncGroupRequest request;
    request.group_id = group;
    request.generation_id = member.generation;
    request.member_id = member.id;
    for (const auto& [id, bytes] : assignments) {
      request.assignments.push_back({id, as_byte_span(bytes)});
    }
    return send(client, ApiKey::sync_group, version,
                [&](Writer& w) { encode_sync_group_request(w, request, version); });
  }
  SyncGroupResponse sync_response(Client& client, int32_t correlation, int16_t version = 3) {
    return decode_body<SyncGroupResponse>(wait_response(client, correlation), [&](Reader& in) {
      return decode_sync_group_response(in, version);
    });
  }

  ErrorCode heartbeat(Client& client, const std::string& group, const Member& member,
                      int16_t version = 3) {
    HeartbeatRequest request{group, member.generation, member.id, std::nullopt};
    return call<HeartbeatResponse>(
               client, ApiKey::heartbeat, version,
               [&](Writer& w) { encode_heartbeat_request(w, request, version); },
               [&](Reader& in) { return decode_heartbeat_response(in, version); })
        .error;
  }

  LeaveGroupResponse leave(Client& client, const std::string& group,
                           std::vector<LeaveGroupMember> members, int16_t version) {
    LeaveGroupRequest request{group, std::move(members)};
    return call<LeaveGroupResponse>(
        client, ApiKey::leave_group, version,
        [&](Writer& w) { encode_leave_group_request(w, request, version); },
        [&](Reader& in) { return decode_leave_group_response(in, version); });
  }

  OffsetCommitResponse commit(Client& client, const OffsetCommitRequest& request, int16_t version) {
    return call<OffsetCommitResponse>(
        client, ApiKey::offset_commit, version,
        [&](Writer& w) { encode_offset_commit_request(w, request, version); },
        [&](Reader& in) { return decode_offset_commit_response(in, version); });
  }
  // A commit of `offsets` (partition -> offset) of kTopic.
  OffsetCommitResponse commit(Client& client, const std::string& group, const Member& member,
                              const std::map<int32_t, int64_t>& offsets, int16_t version = 5) {
    OffsetCommitRequest request;
    request.group_id = group;
    request.generation_id = member.generation;
    request.member_id = member.id;
    OffsetCommitTopic& topic = request.topics.emplace_back();
    topic.name = kTopic;
    for (const auto& [partition, offset] : offsets) {
      topic.partitions.push_back({partition, offset, -1, -1, std::nullopt});
    }
    return commit(client, request, version);
  }

  OffsetFetchResponse fetch(Client& client, const OffsetFetchRequest& request, int16_t version) {
    return call<OffsetFetchResponse>(
        client, ApiKey::offset_fetch, version,
        [&](Writer& w) { encode_offset_fetch_request(w, request, version); },
        [&](Reader& in) { return decode_offset_fetch_response(in, version); });
  }
  // The committed offsets of kTopic's partitions 0..3 (-1 for none), at `version`.
  std::vector<int64_t> fetch_offsets(Client& client, const std::string& group,
                                     int16_t version = 5) {
    OffsetFetchRequest request;
    request.group_id = group;
    request.topics.emplace();
    request.topics->push_back({kTopic, {0, 1, 2, 3}});
    OffsetFetchResponse response = fetch(client, request, version);
    std::vector<int64_t> out;
    EXPECT_EQ(response.error, ErrorCode::none);
    EXPECT_EQ(response.topics.size(), 1u);
    for (const auto& topic : response.topics) {
      for (const auto& partition : topic.partitions) {
        EXPECT_EQ(partition.error, ErrorCode::none);
        out.push_back(partition.committed_offset);
      }
    }
    return out;
  }

  DescribeGroupsResponse describe(Client& client, std::vector<std::string_view> groups,
                                  int16_t version = 4, bool operations = false) {
    DescribeGroupsRequest request{std::move(groups), operations};
    return call<DescribeGroupsResponse>(
        client, ApiKey::describe_groups, version,
        [&](Writer& w) { encode_describe_groups_request(w, request, version); },
        [&](Reader& in) { return decode_describe_groups_response(in, version); });
  }

  ListGroupsResponse list(Client& client, int16_t version = 2) {
    return call<ListGroupsResponse>(
        client, ApiKey::list_groups, version,
        [&](Writer& w) { encode_list_groups_request(w, ListGroupsRequest{}, version); },
        [&](Reader& in) { return decode_list_groups_response(in, version); });
  }

  // A group of one member (v5 join), synced with every partition: its member.
  Member form_group_of_one(Client& client, const std::string& group) {
    Member member;
    member.id = member_id_for(client, group);
    JoinGroupResponse joined = join(client, join_request(group, member.id), 5);
    EXPECT_EQ(joined.error, ErrorCode::none);
    EXPECT_EQ(joined.leader, member.id);
    member.generation = joined.generation_id;
    SyncGroupResponse synced =
        sync(client, group, member, {{member.id, assignment_bytes(kTopic, {0, 1, 2, 3})}});
    EXPECT_EQ(synced.error, ErrorCode::none);
    return member;
  }

  // Two members, `a` leading, with two partitions each: after it, both are in one stable
  // generation.
  std::pair<Member, Member> form_group_of_two(Client& a, Client& b, const std::string& group,
                                              int32_t b_session_timeout_ms = 30000) {
    Member ma = form_group_of_one(a, group);
    Member mb;
    mb.id = member_id_for(b, group);
    const int32_t b_join = send_join(b, join_request(group, mb.id, b_session_timeout_ms), 5);
    EXPECT_EQ(heartbeat(a, group, ma), ErrorCode::rebalance_in_progress);
    JoinGroupResponse a_joined = join(a, join_request(group, ma.id), 5);
    EXPECT_EQ(a_joined.error, ErrorCode::none);
    JoinGroupResponse b_joined = join_response(b, b_join, 5);
    EXPECT_EQ(b_joined.error, ErrorCode::none);
    ma.generation = a_joined.generation_id;
    mb.generation = b_joined.generation_id;
    const int32_t b_sync = send_sync(b, group, mb, {});
    SyncGroupResponse a_synced = sync(
        a, group, ma,
        {{ma.id, assignment_bytes(kTopic, {0, 1})}, {mb.id, assignment_bytes(kTopic, {2, 3})}});
    EXPECT_EQ(a_synced.error, ErrorCode::none);
    EXPECT_EQ(sync_response(b, b_sync).error, ErrorCode::none);
    return {ma, mb};
  }

  std::string subscription_;
};

TEST_F(GroupHandlersTest, FindCoordinatorNamesThisBrokerForGroups) {
  Client& client = connect("rdkafka");
  for (int16_t version = 0; version <= 2; ++version) {
    FindCoordinatorRequest request{"payments", static_cast<int8_t>(CoordinatorKeyType::group)};
    FindCoordinatorResponse response = call<FindCoordinatorResponse>(
        client, ApiKey::find_coordinator, version,
        [&](Writer& w) { encode_find_coordinator_request(w, request, version); },
        [&](Reader& in) { return decode_find_coordinator_response(in, version); });
    EXPECT_EQ(response.error, ErrorCode::none) << "v" << version;
    EXPECT_EQ(response.node_id, 0);
    EXPECT_EQ(response.host, kBrokerHost);
    EXPECT_EQ(response.port, kBrokerPort);
  }
}

TEST_F(GroupHandlersTest, FindCoordinatorRefusesTransactionsAndUnknownKeyTypes) {
  Client& client = connect("rdkafka");
  for (int16_t version = 1; version <= 2; ++version) {
    for (int8_t type : {int8_t{1}, int8_t{7}}) {
      FindCoordinatorRequest request{"txn-1", type};
      FindCoordinatorResponse response = call<FindCoordinatorResponse>(
          client, ApiKey::find_coordinator, version,
          [&](Writer& w) { encode_find_coordinator_request(w, request, version); },
          [&](Reader& in) { return decode_find_coordinator_response(in, version); });
      EXPECT_EQ(response.error,
                type == 1 ? ErrorCode::coordinator_not_available : ErrorCode::invalid_request);
      EXPECT_EQ(response.node_id, -1);
      EXPECT_TRUE(response.error_message.has_value());
    }
  }
}

TEST_F(GroupHandlersTest, TwoMembersSplitATopicAndTheFollowerWaitsForTheLeader) {
  Client& a = connect("consumer-a");
  Client& b = connect("consumer-b");
  const std::string group = "split";

  // A alone: MEMBER_ID_REQUIRED, then generation 1 with itself as leader.
  Member ma;
  ma.id = member_id_for(a, group);
  JoinGroupResponse a1 = join(a, join_request(group, ma.id), 5);
  ASSERT_EQ(a1.error, ErrorCode::none);
  EXPECT_EQ(a1.member_id, ma.id);
  EXPECT_EQ(a1.leader, ma.id);
  EXPECT_EQ(a1.protocol_name, "range");
  ASSERT_EQ(a1.members.size(), 1u);
  EXPECT_EQ(a1.members[0].metadata, subscription_);
  ma.generation = a1.generation_id;
  EXPECT_EQ(assigned_partitions(
                sync(a, group, ma, {{ma.id, assignment_bytes(kTopic, {0, 1, 2, 3})}}).assignment),
            (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(heartbeat(a, group, ma), ErrorCode::none);

  // B comes: its join waits for A's, and A learns of the rebalance from its heartbeat.
  Member mb;
  mb.id = member_id_for(b, group);
  EXPECT_NE(mb.id, ma.id);
  EXPECT_EQ(mb.id.rfind("consumer-b", 0), 0u) << "member ids start with the client id";
  const int32_t b_join = send_join(b, join_request(group, mb.id), 5);
  expect_waiting(b);
  EXPECT_EQ(heartbeat(a, group, ma), ErrorCode::rebalance_in_progress);

  // A joins again: the generation forms; the leader gets every member's metadata.
  JoinGroupResponse a2 = join(a, join_request(group, ma.id), 5);
  ASSERT_EQ(a2.error, ErrorCode::none);
  EXPECT_EQ(a2.generation_id, ma.generation + 1);
  EXPECT_EQ(a2.leader, ma.id);
  ASSERT_EQ(a2.members.size(), 2u);
  std::vector<std::string> ids{a2.members[0].member_id, a2.members[1].member_id};
  std::sort(ids.begin(), ids.end());
  std::vector<std::string> expected{ma.id, mb.id};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(ids, expected);
  for (const JoinGroupMember& member : a2.members) {
    EXPECT_EQ(member.metadata, subscription_);
    EXPECT_FALSE(member.group_instance_id.has_value());
  }
  JoinGroupResponse b2 = join_response(b, b_join, 5);
  ASSERT_EQ(b2.error, ErrorCode::none);
  EXPECT_EQ(b2.generation_id, a2.generation_id);
  EXPECT_EQ(b2.leader, ma.id);
  EXPECT_EQ(b2.member_id, mb.id);
  EXPECT_TRUE(b2.members.empty()) << "only the leader gets the members";
  ma.generation = a2.generation_id;
  mb.generation = b2.generation_id;

  // B syncs first and waits for the leader's assignment; heartbeats go on meanwhile.
  const int32_t b_sync = send_sync(b, group, mb, {});
  expect_waiting(b);
  SyncGroupResponse a_sync =
      sync(a, group, ma,
           {{ma.id, assignment_bytes(kTopic, {0, 1})}, {mb.id, assignment_bytes(kTopic, {2, 3})}});
  ASSERT_EQ(a_sync.error, ErrorCode::none);
  EXPECT_EQ(assigned_partitions(a_sync.assignment), (std::vector<int32_t>{0, 1}));
  SyncGroupResponse b_synced = sync_response(b, b_sync);
  ASSERT_EQ(b_synced.error, ErrorCode::none);
  EXPECT_EQ(assigned_partitions(b_synced.assignment), (std::vector<int32_t>{2, 3}));

  EXPECT_EQ(heartbeat(a, group, ma), ErrorCode::none);
  EXPECT_EQ(heartbeat(b, group, mb), ErrorCode::none);
  // Each commits its own partitions; both are in the one store.
  EXPECT_EQ(commit(a, group, ma, {{0, 10}, {1, 11}}).topics[0].partitions[1].error,
            ErrorCode::none);
  EXPECT_EQ(commit(b, group, mb, {{2, 12}, {3, 13}}).topics[0].partitions[0].error,
            ErrorCode::none);
  EXPECT_EQ(fetch_offsets(a, group), (std::vector<int64_t>{10, 11, 12, 13}));
}

TEST_F(GroupHandlersTest, EveryJoinGroupVersionFormsAGroup) {
  Client& client = connect("versions");
  for (int16_t version = 0; version <= 5; ++version) {
    const std::string group = "v" + std::to_string(version);
    std::string id;
    if (version >= 4) id = member_id_for(client, group, version);
    JoinGroupResponse joined = join(client, join_request(group, id), version);
    ASSERT_EQ(joined.error, ErrorCode::none) << "v" << version;
    EXPECT_FALSE(joined.member_id.empty());
    if (version >= 4) {
      EXPECT_EQ(joined.member_id, id);
    }
    EXPECT_EQ(joined.leader, joined.member_id);
    EXPECT_EQ(joined.generation_id, 1);
    ASSERT_EQ(joined.members.size(), 1u);
    const Member member{joined.member_id, joined.generation_id};
    const int16_t sync_version = std::min<int16_t>(version, 3);
    SyncGroupResponse synced =
        sync(client, group, member, {{member.id, assignment_bytes(kTopic, {1})}}, sync_version);
    EXPECT_EQ(synced.error, ErrorCode::none);
    EXPECT_EQ(assigned_partitions(synced.assignment), std::vector<int32_t>{1});
    EXPECT_EQ(heartbeat(client, group, member, sync_version), ErrorCode::none);
  }
}

TEST_F(GroupHandlersTest, JoinErrorsMapToKafkaCodes) {
  Client& client = connect("errors");
  // An unknown member id: join again without one.
  EXPECT_EQ(join(client, join_request("g", "ghost-1"), 3).error, ErrorCode::unknown_member_id);
  // No group id, no protocols, a session timeout out of bounds.
  EXPECT_EQ(join(client, join_request("", ""), 3).error, ErrorCode::invalid_group_id);
  JoinGroupRequest no_protocols = join_request("g", "");
  no_protocols.protocols.clear();
  EXPECT_EQ(join(client, no_protocols, 3).error, ErrorCode::inconsistent_group_protocol);
  EXPECT_EQ(join(client, join_request("g", "", 0), 3).error, ErrorCode::invalid_session_timeout);
  // A member of another protocol type than the group's.
  Member member = form_group_of_one(client, "typed");
  Client& other = connect("other");
  JoinGroupRequest connect_type = join_request("typed", "");
  connect_type.protocol_type = "connect";
  EXPECT_EQ(join(other, connect_type, 3).error, ErrorCode::inconsistent_group_protocol);
  EXPECT_EQ(heartbeat(client, "typed", member), ErrorCode::none);
}

TEST_F(GroupHandlersTest, HeartbeatAndSyncFenceStaleMembers) {
  Client& client = connect("fenced");
  Member member = form_group_of_one(client, "g");
  EXPECT_EQ(heartbeat(client, "g", {member.id, member.generation - 1}),
            ErrorCode::illegal_generation);
  EXPECT_EQ(heartbeat(client, "g", {"ghost", member.generation}), ErrorCode::unknown_member_id);
  EXPECT_EQ(heartbeat(client, "no-such-group", member), ErrorCode::unknown_member_id);
  EXPECT_EQ(sync(client, "g", {member.id, member.generation + 1}, {}).error,
            ErrorCode::illegal_generation);
  EXPECT_EQ(sync(client, "g", {"ghost", member.generation}, {}).error,
            ErrorCode::unknown_member_id);
  for (int16_t version = 0; version <= 3; ++version) {
    EXPECT_EQ(heartbeat(client, "g", member, version), ErrorCode::none);
  }
}

TEST_F(GroupHandlersTest, MembersLeaveAndRejoin) {
  Client& a = connect("a");
  Client& b = connect("b");
  auto [ma, mb] = form_group_of_two(a, b, "g");

  // B leaves (v1): A rebalances alone.
  LeaveGroupResponse left = leave(b, "g", {{mb.id, std::nullopt}}, 1);
  EXPECT_EQ(left.error, ErrorCode::none);
  EXPECT_TRUE(left.members.empty());
  EXPECT_EQ(heartbeat(a, "g", ma), ErrorCode::rebalance_in_progress);
  JoinGroupResponse alone = join(a, join_request("g", ma.id), 5);
  ASSERT_EQ(alone.error, ErrorCode::none);
  EXPECT_EQ(alone.members.size(), 1u);
  ma.generation = alone.generation_id;
  EXPECT_EQ(sync(a, "g", ma, {{ma.id, assignment_bytes(kTopic, {0, 1, 2, 3})}}).error,
            ErrorCode::none);
  // Its old member id is gone.
  EXPECT_EQ(heartbeat(b, "g", mb), ErrorCode::unknown_member_id);
  EXPECT_EQ(leave(b, "g", {{mb.id, std::nullopt}}, 0).error, ErrorCode::unknown_member_id);

  // B comes back as a new member: the two share the topic again.
  Member back;
  back.id = member_id_for(b, "g");
  const int32_t b_join = send_join(b, join_request("g", back.id), 5);
  EXPECT_EQ(heartbeat(a, "g", ma), ErrorCode::rebalance_in_progress);
  JoinGroupResponse both = join(a, join_request("g", ma.id), 5);
  EXPECT_EQ(both.members.size(), 2u);
  EXPECT_EQ(join_response(b, b_join, 5).error, ErrorCode::none);

  // v3: several members at once, each answered; an unknown one does not stop the others.
  LeaveGroupResponse many =
      leave(a, "g", {{ma.id, std::nullopt}, {"ghost", std::nullopt}, {back.id, std::nullopt}}, 3);
  EXPECT_EQ(many.error, ErrorCode::none);
  ASSERT_EQ(many.members.size(), 3u);
  EXPECT_EQ(many.members[0].member_id, ma.id);
  EXPECT_EQ(many.members[0].error, ErrorCode::none);
  EXPECT_EQ(many.members[1].member_id, "ghost");
  EXPECT_EQ(many.members[1].error, ErrorCode::unknown_member_id);
  EXPECT_EQ(many.members[2].error, ErrorCode::none);
  DescribeGroupsResponse described = describe(a, {"g"});
  ASSERT_EQ(described.groups.size(), 1u);
  EXPECT_EQ(described.groups[0].group_state, "Empty");
  EXPECT_TRUE(described.groups[0].members.empty());
  // An invalid group id is refused as a whole.
  EXPECT_EQ(leave(a, "", {{ma.id, std::nullopt}}, 3).error, ErrorCode::invalid_group_id);
}

TEST_F(GroupHandlersTest, ASilentMemberIsRemovedAfterItsSessionTimeout) {
  Client& a = connect("a");
  Client& b = connect("b");
  auto [ma, mb] = form_group_of_two(a, b, "g", /*b_session_timeout_ms=*/1000);
  // B says nothing more; A heartbeats until the coordinator has removed B.
  ErrorCode beat = ErrorCode::none;
  const auto until = std::chrono::steady_clock::now() + 30s;
  while (beat == ErrorCode::none && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(20ms);
    beat = heartbeat(a, "g", ma);
  }
  ASSERT_EQ(beat, ErrorCode::rebalance_in_progress);
  JoinGroupResponse alone = join(a, join_request("g", ma.id), 5);
  ASSERT_EQ(alone.error, ErrorCode::none);
  ASSERT_EQ(alone.members.size(), 1u);
  EXPECT_EQ(alone.members[0].member_id, ma.id);
  EXPECT_EQ(heartbeat(b, "g", mb), ErrorCode::unknown_member_id);
  // B's commit is refused; it joins again as a new member.
  EXPECT_EQ(commit(b, "g", mb, {{2, 5}}).topics[0].partitions[0].error,
            ErrorCode::unknown_member_id);
}

TEST_F(GroupHandlersTest, AJoinWaitingWhenItsConnectionClosesIsDropped) {
  Client& a = connect("a");
  Client& b = connect("b");
  Member ma = form_group_of_one(a, "g");
  const std::string b_id = member_id_for(b, "g");
  send_join(b, join_request("g", b_id), 5);
  expect_waiting(b);
  disconnect(b);
  // The generation still forms with B (it had joined); A is answered.
  JoinGroupResponse joined = join(a, join_request("g", ma.id), 5);
  EXPECT_EQ(joined.error, ErrorCode::none);
  EXPECT_EQ(joined.members.size(), 2u);
}

TEST_F(GroupHandlersTest, OffsetsRoundTripAtEveryVersion) {
  Client& client = connect("committer");
  // v0: a commit outside any membership (no generation, no member id).
  for (int16_t version = 0; version <= 7; ++version) {
    const std::string group = "standalone-" + std::to_string(version);
    OffsetCommitRequest request;
    request.group_id = group;
    OffsetCommitTopic& topic = request.topics.emplace_back();
    topic.name = kTopic;
    const std::string metadata = "meta-" + std::to_string(version);
    topic.partitions.push_back({0, 100 + version, 7, 1234, metadata});
    topic.partitions.push_back({2, 200 + version, -1, -1, std::nullopt});
    OffsetCommitResponse committed = commit(client, request, version);
    ASSERT_EQ(committed.topics.size(), 1u);
    ASSERT_EQ(committed.topics[0].partitions.size(), 2u);
    for (const auto& partition : committed.topics[0].partitions) {
      EXPECT_EQ(partition.error, ErrorCode::none) << "v" << version;
    }
    for (int16_t fetch_version = 0; fetch_version <= 5; ++fetch_version) {
      OffsetFetchRequest fetch_request;
      fetch_request.group_id = group;
      fetch_request.topics.emplace();
      fetch_request.topics->push_back({kTopic, {0, 1, 2}});
      OffsetFetchResponse fetched = fetch(client, fetch_request, fetch_version);
      ASSERT_EQ(fetched.topics.size(), 1u);
      const auto& partitions = fetched.topics[0].partitions;
      ASSERT_EQ(partitions.size(), 3u);
      EXPECT_EQ(partitions[0].committed_offset, 100 + version);
      EXPECT_EQ(partitions[0].metadata, metadata);
      EXPECT_EQ(partitions[1].committed_offset, -1) << "never committed";
      EXPECT_EQ(partitions[1].metadata, "");
      EXPECT_EQ(partitions[2].committed_offset, 200 + version);
      EXPECT_EQ(partitions[2].metadata, "");
      if (fetch_version >= 5) {
        EXPECT_EQ(partitions[0].committed_leader_epoch, version >= 6 ? 7 : -1);
        EXPECT_EQ(partitions[1].committed_leader_epoch, -1);
      }
    }
    // The same store as sluice's own consumers.
    EXPECT_EQ(engine_->impl().committed_offset(group, {kTopic, 0}), 100 + version);
  }
}

TEST_F(GroupHandlersTest, OffsetFetchOfNullTopicsAnswersEveryCommittedPartition) {
  Client& client = connect("fetcher");
  ASSERT_TRUE(engine_->create_topic("audit", sluice::testing::topic_config(2)).ok());
  OffsetCommitRequest request;
  request.group_id = "all";
  request.topics.push_back({kTopic, {{3, 30, -1, -1, std::nullopt}, {1, 10, -1, -1, "x"}}});
  request.topics.push_back({"audit", {{0, 5, -1, -1, std::nullopt}}});
  commit(client, request, 2);
  for (int16_t version = 2; version <= 5; ++version) {
    OffsetFetchResponse fetched = fetch(client, OffsetFetchRequest{"all", std::nullopt}, version);
    EXPECT_EQ(fetched.error, ErrorCode::none);
    ASSERT_EQ(fetched.topics.size(), 2u);
    EXPECT_EQ(fetched.topics[0].name, "audit");
    ASSERT_EQ(fetched.topics[0].partitions.size(), 1u);
    EXPECT_EQ(fetched.topics[0].partitions[0].committed_offset, 5);
    EXPECT_EQ(fetched.topics[1].name, kTopic);
    ASSERT_EQ(fetched.topics[1].partitions.size(), 2u);
    EXPECT_EQ(fetched.topics[1].partitions[0].partition_index, 1);
    EXPECT_EQ(fetched.topics[1].partitions[0].committed_offset, 10);
    EXPECT_EQ(fetched.topics[1].partitions[0].metadata, "x");
    EXPECT_EQ(fetched.topics[1].partitions[1].partition_index, 3);
    EXPECT_EQ(fetched.topics[1].partitions[1].committed_offset, 30);
  }
  // A group without offsets: nothing, and no error.
  EXPECT_TRUE(fetch(client, OffsetFetchRequest{"nobody", std::nullopt}, 5).topics.empty());
  // An invalid group id.
  EXPECT_EQ(fetch(client, OffsetFetchRequest{"", std::nullopt}, 5).error,
            ErrorCode::invalid_group_id);
}

TEST_F(GroupHandlersTest, OffsetCommitAnswersEachPartition) {
  Client& client = connect("committer");
  OffsetCommitRequest request;
  request.group_id = "parts";
  request.generation_id = -1;
  const std::string too_long(consumers::kOffsetMetadataBytesMax + 1, 'm');
  request.topics.push_back({kTopic,
                            {{0, 1, -1, -1, std::nullopt},
                             {9, 1, -1, -1, std::nullopt},
                             {-1, 1, -1, -1, std::nullopt},
                             {1, 1, -1, -1, too_long}}});
  request.topics.push_back({"no-such-topic", {{0, 1, -1, -1, std::nullopt}}});
  request.topics.push_back({"__consumer_offsets", {{0, 1, -1, -1, std::nullopt}}});
  OffsetCommitResponse response = commit(client, request, 5);
  ASSERT_EQ(response.topics.size(), 3u);
  ASSERT_EQ(response.topics[0].partitions.size(), 4u);
  EXPECT_EQ(response.topics[0].partitions[0].error, ErrorCode::none);
  EXPECT_EQ(response.topics[0].partitions[1].partition_index, 9);
  EXPECT_EQ(response.topics[0].partitions[1].error, ErrorCode::unknown_topic_or_partition);
  EXPECT_EQ(response.topics[0].partitions[2].error, ErrorCode::unknown_topic_or_partition);
  EXPECT_EQ(response.topics[0].partitions[3].error, ErrorCode::offset_metadata_too_large);
  EXPECT_EQ(response.topics[1].name, "no-such-topic");
  EXPECT_EQ(response.topics[1].partitions[0].error, ErrorCode::unknown_topic_or_partition);
  EXPECT_EQ(response.topics[2].partitions[0].error, ErrorCode::unknown_topic_or_partition);
  EXPECT_EQ(fetch_offsets(client, "parts"), (std::vector<int64_t>{1, -1, -1, -1}));

  // A negative offset deletes the committed one, as storing -1 would.
  commit(client, "parts", Member{}, {{0, -1}});
  EXPECT_EQ(fetch_offsets(client, "parts"), (std::vector<int64_t>{-1, -1, -1, -1}));
  // An invalid group id fails every partition it would write.
  OffsetCommitResponse invalid = commit(client, "", Member{}, {{0, 1}});
  EXPECT_EQ(invalid.topics[0].partitions[0].error, ErrorCode::invalid_group_id);
}

TEST_F(GroupHandlersTest, OffsetCommitIsFencedByMemberAndGeneration) {
  Client& a = connect("a");
  Member ma = form_group_of_one(a, "g");
  EXPECT_EQ(commit(a, "g", ma, {{0, 1}}).topics[0].partitions[0].error, ErrorCode::none);
  EXPECT_EQ(commit(a, "g", {ma.id, ma.generation - 1}, {{0, 2}}).topics[0].partitions[0].error,
            ErrorCode::illegal_generation);
  EXPECT_EQ(commit(a, "g", {"ghost", ma.generation}, {{0, 3}}).topics[0].partitions[0].error,
            ErrorCode::unknown_member_id);
  // Outside membership while the group has members (v0 too).
  EXPECT_EQ(commit(a, "g", Member{}, {{0, 4}}).topics[0].partitions[0].error,
            ErrorCode::unknown_member_id);
  EXPECT_EQ(commit(a, "g", Member{}, {{0, 4}}, 0).topics[0].partitions[0].error,
            ErrorCode::unknown_member_id);
  // Unknown topics are answered as such whatever the fencing says.
  OffsetCommitRequest mixed;
  mixed.group_id = "g";
  mixed.generation_id = ma.generation - 1;
  mixed.member_id = ma.id;
  mixed.topics.push_back({"nope", {{0, 1, -1, -1, std::nullopt}}});
  mixed.topics.push_back({kTopic, {{0, 1, -1, -1, std::nullopt}}});
  OffsetCommitResponse response = commit(a, mixed, 5);
  EXPECT_EQ(response.topics[0].partitions[0].error, ErrorCode::unknown_topic_or_partition);
  EXPECT_EQ(response.topics[1].partitions[0].error, ErrorCode::illegal_generation);
  EXPECT_EQ(fetch_offsets(a, "g"), (std::vector<int64_t>{1, -1, -1, -1}));

  // Between the join and the leader's sync, commits wait for the assignment: refused.
  Client& b = connect("b");
  Member mb;
  mb.id = member_id_for(b, "g");
  const int32_t b_join = send_join(b, join_request("g", mb.id), 5);
  JoinGroupResponse rejoined = join(a, join_request("g", ma.id), 5);
  ASSERT_EQ(rejoined.error, ErrorCode::none);
  ma.generation = rejoined.generation_id;
  EXPECT_EQ(commit(a, "g", ma, {{0, 5}}).topics[0].partitions[0].error,
            ErrorCode::rebalance_in_progress);
  EXPECT_EQ(join_response(b, b_join, 5).error, ErrorCode::none);
  // v7 with its group instance id.
  ASSERT_EQ(sync(a, "g", ma, {}).error, ErrorCode::none);
  OffsetCommitRequest v7;
  v7.group_id = "g";
  v7.generation_id = ma.generation;
  v7.member_id = ma.id;
  v7.group_instance_id = std::nullopt;
  v7.topics.push_back({kTopic, {{0, 6, 2, -1, std::nullopt}}});
  EXPECT_EQ(commit(a, v7, 7).topics[0].partitions[0].error, ErrorCode::none);
  EXPECT_EQ(fetch_offsets(a, "g"), (std::vector<int64_t>{6, -1, -1, -1}));
}

TEST_F(GroupHandlersTest, AFetchPipelinedAfterACommitSeesIt) {
  Client& client = connect("pipelined");
  OffsetCommitRequest request;
  request.group_id = "p";
  request.topics.push_back({kTopic, {{0, 42, -1, -1, std::nullopt}}});
  const int16_t version = 5;
  const int32_t committed = send(client, ApiKey::offset_commit, version, [&](Writer& w) {
    encode_offset_commit_request(w, request, version);
  });
  OffsetFetchRequest fetch_request;
  fetch_request.group_id = "p";
  fetch_request.topics.emplace();
  fetch_request.topics->push_back({kTopic, {0}});
  const int32_t fetched = send(client, ApiKey::offset_fetch, version, [&](Writer& w) {
    encode_offset_fetch_request(w, fetch_request, version);
  });
  wait_response(client, committed);
  OffsetFetchResponse response = decode_body<OffsetFetchResponse>(
      wait_response(client, fetched),
      [&](Reader& in) { return decode_offset_fetch_response(in, version); });
  ASSERT_EQ(response.topics.size(), 1u);
  EXPECT_EQ(response.topics[0].partitions[0].committed_offset, 42);
}

TEST_F(GroupHandlersTest, CommittedOffsetsSurviveAReopen) {
  {
    Client& client = connect("before");
    OffsetCommitRequest request;
    request.group_id = "durable";
    request.topics.push_back({kTopic, {{1, 11, -1, -1, "kept"}, {3, 33, -1, -1, std::nullopt}}});
    commit(client, request, 3);
  }
  reopen();
  Client& client = connect("after");
  EXPECT_EQ(fetch_offsets(client, "durable"), (std::vector<int64_t>{-1, 11, -1, 33}));
  OffsetFetchResponse all = fetch(client, OffsetFetchRequest{"durable", std::nullopt}, 5);
  ASSERT_EQ(all.topics.size(), 1u);
  ASSERT_EQ(all.topics[0].partitions.size(), 2u);
  EXPECT_EQ(all.topics[0].partitions[0].metadata, "kept");
  // The coordinator forgot the group; its offsets make it an empty consumer group.
  DescribeGroupsResponse described = describe(client, {"durable"});
  ASSERT_EQ(described.groups.size(), 1u);
  EXPECT_EQ(described.groups[0].group_state, "Empty");
  EXPECT_EQ(described.groups[0].protocol_type, "consumer");
  ListGroupsResponse listed = list(client);
  ASSERT_EQ(listed.groups.size(), 1u);
  EXPECT_EQ(listed.groups[0].group_id, "durable");
  EXPECT_EQ(listed.groups[0].protocol_type, "consumer");
  // A member joins and commits on top of them.
  Member member = form_group_of_one(client, "durable");
  EXPECT_EQ(commit(client, "durable", member, {{1, 12}}).topics[0].partitions[0].error,
            ErrorCode::none);
  EXPECT_EQ(fetch_offsets(client, "durable"), (std::vector<int64_t>{-1, 12, -1, 33}));
}

TEST_F(GroupHandlersTest, DescribeGroupsShowsMembersAndStates) {
  Client& a = connect("client-a", "127.0.0.1:50001");
  Client& b = connect("client-b", "[::1]:50002");
  auto [ma, mb] = form_group_of_two(a, b, "shown");
  for (int16_t version = 0; version <= 4; ++version) {
    DescribeGroupsResponse response = describe(a, {"shown", "never-seen"}, version);
    ASSERT_EQ(response.groups.size(), 2u);
    const DescribedGroup& group = response.groups[0];
    EXPECT_EQ(group.error, ErrorCode::none);
    EXPECT_EQ(group.group_id, "shown");
    EXPECT_EQ(group.group_state, "Stable");
    EXPECT_EQ(group.protocol_type, "consumer");
    EXPECT_EQ(group.protocol_data, "range");
    ASSERT_EQ(group.members.size(), 2u);
    for (const DescribedGroupMember& member : group.members) {
      const bool is_a = member.member_id == ma.id;
      EXPECT_TRUE(is_a || member.member_id == mb.id);
      EXPECT_EQ(member.client_id, is_a ? "client-a" : "client-b");
      EXPECT_EQ(member.client_host, is_a ? "/127.0.0.1" : "/::1");
      EXPECT_EQ(member.member_metadata, subscription_);
      EXPECT_EQ(assigned_partitions(member.member_assignment),
                is_a ? (std::vector<int32_t>{0, 1}) : (std::vector<int32_t>{2, 3}));
    }
    if (version >= 3) {
      EXPECT_EQ(group.authorized_operations, kAuthorizedOperationsOmitted);
    }
    EXPECT_EQ(response.groups[1].group_id, "never-seen");
    EXPECT_EQ(response.groups[1].group_state, "Dead");
    EXPECT_TRUE(response.groups[1].members.empty());
  }
  EXPECT_EQ(describe(a, {"shown"}, 3, true).groups[0].authorized_operations,
            (1 << 3) | (1 << 6) | (1 << 8));

  // While it rebalances the members are shown without metadata or assignment.
  Client& c = connect("client-c");
  const std::string c_id = member_id_for(c, "shown");
  send_join(c, join_request("shown", c_id), 5);
  DescribeGroupsResponse rebalancing = describe(a, {"shown"});
  EXPECT_EQ(rebalancing.groups[0].group_state, "PreparingRebalance");
  EXPECT_EQ(rebalancing.groups[0].protocol_data, "");
  EXPECT_EQ(rebalancing.groups[0].members.size(), 3u);
  for (const auto& member : rebalancing.groups[0].members) {
    EXPECT_TRUE(member.member_assignment.empty());
  }
  EXPECT_EQ(heartbeat(a, "shown", ma), ErrorCode::rebalance_in_progress);
}

TEST_F(GroupHandlersTest, StaticMembersShowTheirInstanceId) {
  Client& client = connect("static");
  JoinGroupRequest request = join_request("static-group", "");
  request.group_instance_id = "host-a";
  // A static member needs no member id round trip.
  JoinGroupResponse joined = join(client, request, 5);
  ASSERT_EQ(joined.error, ErrorCode::none);
  ASSERT_EQ(joined.members.size(), 1u);
  EXPECT_EQ(joined.members[0].group_instance_id, "host-a");
  Member member{joined.member_id, joined.generation_id};
  ASSERT_EQ(sync(client, "static-group", member, {}).error, ErrorCode::none);
  DescribeGroupsResponse described = describe(client, {"static-group"}, 4);
  ASSERT_EQ(described.groups[0].members.size(), 1u);
  EXPECT_EQ(described.groups[0].members[0].group_instance_id, "host-a");
  // v3 leave by instance id alone.
  LeaveGroupResponse left = leave(client, "static-group", {{"", "host-a"}}, 3);
  ASSERT_EQ(left.members.size(), 1u);
  EXPECT_EQ(left.members[0].group_instance_id, "host-a");
  EXPECT_EQ(left.members[0].error, ErrorCode::none);
}

TEST_F(GroupHandlersTest, ListGroupsNamesEveryGroupWithItsType) {
  Client& client = connect("lister");
  form_group_of_one(client, "kafka-group");
  commit(client, "offsets-only", Member{}, {{0, 1}});
  JoinGroupRequest connect_group = join_request("connect-group", "");
  connect_group.protocol_type = "connect";
  ASSERT_EQ(join(client, connect_group, 3).error, ErrorCode::none);
  for (int16_t version = 0; version <= 2; ++version) {
    ListGroupsResponse listed = list(client, version);
    EXPECT_EQ(listed.error, ErrorCode::none);
    std::map<std::string, std::string> groups;
    for (const ListedGroup& group : listed.groups)
      groups[group.group_id] = group.protocol_type;
    EXPECT_EQ(groups, (std::map<std::string, std::string>{{"connect-group", "connect"},
                                                          {"kafka-group", "consumer"},
                                                          {"offsets-only", "consumer"}}));
  }
}

TEST_F(GroupHandlersTest, SluiceConsumersAndKafkaClientsShareOffsetsButNotGroups) {
  ConsumerOptions options = sluice::testing::consumer_options("native", {kTopic});
  options.auto_commit = false;
  Result<Consumer> consumer = engine_->consumer(options);
  ASSERT_TRUE(consumer.ok()) << consumer.error().to_string();
  const auto until = std::chrono::steady_clock::now() + 30s;
  while (consumer->assignment().empty() && std::chrono::steady_clock::now() < until) {
    ASSERT_TRUE(consumer->poll(10ms).ok());
  }
  ASSERT_EQ(consumer->assignment().size(), static_cast<size_t>(kPartitions));
  ASSERT_TRUE(consumer->commit({kTopic, 2}, 42).ok());

  Client& client = connect("kafka");
  // A Kafka client cannot join a group of sluice consumers, at any version.
  for (int16_t version = 0; version <= 5; ++version) {
    EXPECT_EQ(join(client, join_request("native", ""), version).error,
              ErrorCode::inconsistent_group_protocol)
        << "v" << version;
  }
  // It reads the offsets they committed.
  EXPECT_EQ(fetch_offsets(client, "native"), (std::vector<int64_t>{-1, -1, 42, -1}));
  // Admin tools see a consumer group with the members' topics and partitions.
  DescribeGroupsResponse described = describe(client, {"native"});
  ASSERT_EQ(described.groups.size(), 1u);
  const DescribedGroup& group = described.groups[0];
  EXPECT_EQ(group.group_state, "Stable");
  EXPECT_EQ(group.protocol_type, "consumer");
  EXPECT_EQ(group.protocol_data, "range");
  ASSERT_EQ(group.members.size(), 1u);
  EXPECT_EQ(group.members[0].member_id, consumer->member_id());
  Result<ConsumerSubscription> subscription =
      decode_consumer_subscription(as_byte_span(group.members[0].member_metadata));
  ASSERT_TRUE(subscription.ok());
  EXPECT_EQ(subscription->topics, std::vector<std::string>{kTopic});
  EXPECT_EQ(assigned_partitions(group.members[0].member_assignment),
            (std::vector<int32_t>{0, 1, 2, 3}));
  // And a Kafka commit is what the sluice consumer resumes from.
  ASSERT_TRUE(consumer->close().ok());
  EXPECT_EQ(commit(client, "native", Member{}, {{2, 50}}).topics[0].partitions[0].error,
            ErrorCode::none);
  EXPECT_EQ(engine_->impl().committed_offset("native", {kTopic, 2}), 50);
}

TEST_F(GroupHandlersTest, AMalformedGroupRequestClosesTheConnection) {
  for (ApiKey key : {ApiKey::join_group, ApiKey::sync_group, ApiKey::heartbeat, ApiKey::leave_group,
                     ApiKey::offset_commit, ApiKey::offset_fetch, ApiKey::describe_groups,
                     ApiKey::find_coordinator}) {
    Client& client = connect("broken");
    send(client, key, 1, [](Writer& w) { w.int16(7); });  // a truncated body
    on_shard([&] { EXPECT_TRUE(client.session->should_close()) << static_cast<int>(key); });
  }
  // ListGroups has no body: a trailing byte is malformed.
  Client& client = connect("broken");
  send(client, ApiKey::list_groups, 1, [](Writer& w) { w.int8(0); });
  on_shard([&] { EXPECT_TRUE(client.session->should_close()); });
}

}  // namespace
}  // namespace sluice::server::kafka
