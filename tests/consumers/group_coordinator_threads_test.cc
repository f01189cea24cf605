// Several threads join, heartbeat, commit, leave and expire against one GroupCoordinator at
// once, as consumers' poll loops, the Kafka server's group requests and the engine's timer do.
// Meant to run under ThreadSanitizer; the coordinator's own assertions check each generation's
// assignment as it is installed.
#include "consumers/group_coordinator.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace sluice::consumers {
namespace {

constexpr int kMembers = 4;
constexpr int kIterations = 20000;

JoinRequest request(int thread, const std::string& member_id) {
  JoinRequest out;
  out.group = "g" + std::to_string(thread % 2);
  out.member_id = member_id;
  out.client_id = "thread" + std::to_string(thread);
  out.topics = {"t"};
  out.session_timeout_ms = 5000;
  out.rebalance_timeout_ms = 5000;
  return out;
}

// One consumer's poll loop; every 500 polls it leaves and comes back as a new member.
void run_member(GroupCoordinator& coordinator, int thread, std::atomic<int>& stable_polls,
                const std::atomic<bool>& start) {
  while (!start.load(std::memory_order_acquire))
    std::this_thread::yield();
  std::string member_id;
  int32_t generation = -1;
  for (int i = 0; i < kIterations; ++i) {
    const std::string group = "g" + std::to_string(thread % 2);
    if (generation >= 0) {
      const GroupError error = coordinator.heartbeat(group, member_id, generation).error();
      if (error == GroupError::none) {
        stable_polls.fetch_add(1, std::memory_order_relaxed);
        if (i % 7 == 0) (void)coordinator.validate_commit(group, member_id, generation);
        if (i % 500 == 499) {
          (void)coordinator.leave(group, member_id);
          member_id.clear();
          generation = -1;
        }
        continue;
      }
      generation = -1;
      if (error == GroupError::unknown_member) member_id.clear();
    }
    auto joined = coordinator.join(request(thread, member_id));
    if (!joined.ok()) {
      ASSERT_EQ(joined.error(), GroupError::unknown_member);
      member_id.clear();
      continue;
    }
    member_id = joined->member_id;
    if (joined->status == JoinStatus::stable) generation = joined->generation;
  }
  if (!member_id.empty()) (void)coordinator.leave("g" + std::to_string(thread % 2), member_id);
}

KafkaJoinRequest kafka_request(int thread, const std::string& member_id) {
  KafkaJoinRequest out;
  out.group = "k";
  out.member_id = member_id;
  out.client_id = "kafka" + std::to_string(thread);
  out.client_host = "/127.0.0.1";
  out.session_timeout_ms = 5000;
  out.rebalance_timeout_ms = 5000;
  out.protocol_type = "consumer";
  out.protocols = {{"range", "subscription"}, {"roundrobin", "subscription"}};
  out.require_known_member_id = true;
  return out;
}

// What the Kafka server does for one client: join (polled), sync (polled; the leader assigns),
// then heartbeats; every 500 polls the client leaves and comes back as a new member.
void run_kafka_client(GroupCoordinator& coordinator, int thread, std::atomic<int>& stable_polls,
                      const std::atomic<bool>& start) {
  while (!start.load(std::memory_order_acquire))
    std::this_thread::yield();
  enum class Phase { joining, syncing, stable } phase = Phase::joining;
  std::string member_id;
  KafkaJoinResult joined;
  for (int i = 0; i < kIterations; ++i) {
    if (phase == Phase::joining) {
      auto answer = coordinator.join(kafka_request(thread, member_id));
      if (!answer.ok()) {
        ASSERT_EQ(answer.error(), GroupError::unknown_member) << answer.failure().message;
        member_id.clear();
        continue;
      }
      member_id = answer->member_id;
      if (answer->status == KafkaJoinStatus::complete) {
        joined = std::move(answer.value());
        phase = Phase::syncing;
      }
      continue;
    }
    if (phase == Phase::syncing) {
      SyncRequest request;
      request.group = "k";
      request.member_id = member_id;
      request.generation = joined.generation;
      for (const KafkaMember& member : joined.members)
        request.assignments.push_back({member.member_id, "for-" + member.member_id});
      auto answer = coordinator.sync(request);
      if (!answer.ok()) {
        const GroupError error = answer.error();
        ASSERT_TRUE(error == GroupError::rebalance_in_progress ||
                    error == GroupError::illegal_generation || error == GroupError::unknown_member)
            << answer.failure().message;
        if (error == GroupError::unknown_member) member_id.clear();
        phase = Phase::joining;
      } else if (answer->status == SyncStatus::complete) {
        ASSERT_TRUE(answer->assignment.empty() || answer->assignment == "for-" + member_id);
        phase = Phase::stable;
      }
      continue;
    }
    const GroupError error = coordinator.heartbeat("k", member_id, joined.generation).error();
    if (error != GroupError::none) {
      if (error == GroupError::unknown_member) member_id.clear();
      phase = Phase::joining;
      continue;
    }
    stable_polls.fetch_add(1, std::memory_order_relaxed);
    if (i % 7 == 0) (void)coordinator.validate_commit("k", member_id, joined.generation);
    if (i % 500 == 499) {
      const LeavingMember leaving{member_id, ""};
      (void)coordinator.leave_members("k", std::span(&leaving, 1));
      member_id.clear();
      phase = Phase::joining;
    }
  }
  if (!member_id.empty()) (void)coordinator.leave("k", member_id);
}

void run_housekeeping(GroupCoordinator& coordinator, std::atomic<bool>& done) {
  int round = 0;
  while (!done.load(std::memory_order_acquire)) {
    (void)coordinator.expire();
    (void)coordinator.describe("g0");
    (void)coordinator.describe("k");
    (void)coordinator.list();
    if (++round % 50 == 0) coordinator.set_topic_partitions("t", 6 + round / 50 % 3);
    std::this_thread::yield();
  }
}

TEST(GroupCoordinatorThreads, ConcurrentJoinsHeartbeatsAndLeaves) {
  // Every reading of the clock is one millisecond later: time moves with the calls.
  std::atomic<int64_t> clock_ms{0};
  CoordinatorOptions options;
  options.now_ms = [&clock_ms] { return clock_ms.fetch_add(1, std::memory_order_relaxed); };
  GroupCoordinator coordinator(options);
  coordinator.set_topic_partitions("t", 6);
  std::atomic<int> stable_polls{0};
  std::atomic<bool> done{false};
  std::atomic<bool> start{false};
  std::thread housekeeping(run_housekeeping, std::ref(coordinator), std::ref(done));
  std::vector<std::thread> members;
  for (int t = 0; t < kMembers; ++t) {
    members.emplace_back(run_member, std::ref(coordinator), t, std::ref(stable_polls),
                         std::cref(start));
  }
  start.store(true, std::memory_order_release);  // all at once, for the most interleaving
  for (auto& member : members)
    member.join();
  done.store(true, std::memory_order_release);
  housekeeping.join();

  EXPECT_GT(stable_polls.load(), kMembers * kIterations / 10);
  std::printf("stable polls %d of %d, clock %lld ms\n", stable_polls.load(), kMembers * kIterations,
              static_cast<long long>(clock_ms.load()));
  for (const char* group : {"g0", "g1"}) {
    auto described = coordinator.describe(group);
    ASSERT_TRUE(described.ok());
    EXPECT_EQ(described->state, GroupState::empty) << group;
    EXPECT_TRUE(described->members.empty());
  }
}

TEST(GroupCoordinatorThreads, ConcurrentKafkaClientsBesideNativeConsumers) {
  std::atomic<int64_t> clock_ms{0};
  CoordinatorOptions options;
  options.now_ms = [&clock_ms] { return clock_ms.fetch_add(1, std::memory_order_relaxed); };
  options.initial_rebalance_delay_ms = 3;
  GroupCoordinator coordinator(options);
  coordinator.set_topic_partitions("t", 6);
  std::atomic<int> native_polls{0};
  std::atomic<int> kafka_polls{0};
  std::atomic<bool> done{false};
  std::atomic<bool> start{false};
  std::thread housekeeping(run_housekeeping, std::ref(coordinator), std::ref(done));
  std::vector<std::thread> clients;
  for (int t = 0; t < kMembers; ++t) {
    if (t % 2 == 0) {
      clients.emplace_back(run_kafka_client, std::ref(coordinator), t, std::ref(kafka_polls),
                           std::cref(start));
    } else {
      clients.emplace_back(run_member, std::ref(coordinator), t, std::ref(native_polls),
                           std::cref(start));
    }
  }
  start.store(true, std::memory_order_release);
  for (auto& client : clients)
    client.join();
  done.store(true, std::memory_order_release);
  housekeeping.join();

  EXPECT_GT(kafka_polls.load(), kIterations / 10);
  EXPECT_GT(native_polls.load(), kIterations / 10);
  std::printf("stable polls: Kafka clients %d, native consumers %d\n", kafka_polls.load(),
              native_polls.load());
  auto described = coordinator.describe("k");
  ASSERT_TRUE(described.ok());
  EXPECT_EQ(described->state, GroupState::empty);
  EXPECT_TRUE(described->members.empty());
}

}  // namespace
}  // namespace sluice::consumers
