// Random sequences of what Kafka clients do (join and sync, polled; heartbeats; leaves; hangs;
// metadata changes; a leader asking for a rebalance; joins that need a known member id) and
// of clock jumps against a Kafka-mode group, checking after every step:
// - no two clients that are still members own the same partition, whatever generation each
//   believes in (the leader deals the partitions; a client gives its own up when it rejoins);
// - every complete join answer for one generation names the same leader and protocol;
// - a client never believes in a generation beyond the group's, and one that holds the
//   current stable generation holds exactly what the leader assigned it.
#include "consumers/group_coordinator.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

namespace sluice::consumers {
namespace {

constexpr int32_t kPartitions = 6;

enum class Phase { joining, syncing, stable };

struct Client {
  std::string member_id;
  Phase phase = Phase::joining;
  KafkaJoinResult joined;  // the last complete join answer
  std::set<int32_t> owned;
  std::string tag;  // part of its metadata: changing it is a metadata change
  bool hung = false;
};

struct Stats {
  int32_t generations = 0;
  size_t removed = 0;
  size_t waits = 0;
  size_t rebalance_answers = 0;
  size_t member_id_required = 0;
};

// The leader's assignor: partitions dealt round-robin over the members (sorted by id).
std::vector<KafkaAssignment> deal(const std::vector<KafkaMember>& members) {
  std::vector<KafkaAssignment> out;
  for (const KafkaMember& member : members)
    out.push_back({member.member_id, ""});
  for (int32_t p = 0; p < kPartitions && !out.empty(); ++p) {
    std::string& bytes = out[static_cast<size_t>(p) % out.size()].assignment;
    bytes += std::to_string(p) + ",";
  }
  return out;
}

std::set<int32_t> parse(const std::string& bytes) {
  std::set<int32_t> out;
  size_t begin = 0;
  for (size_t comma = bytes.find(','); comma != std::string::npos; comma = bytes.find(',', begin)) {
    out.insert(std::stoi(bytes.substr(begin, comma - begin)));
    begin = comma + 1;
  }
  return out;
}

class Simulation {
 public:
  Simulation(uint32_t seed, Stats& stats) : rng_(seed), stats_(stats), coordinator_(options()) {}

  void step() {
    const uint32_t action = rng_() % 100;
    if (action < 55) {
      if (!clients_.empty()) poll(clients_[rng_() % clients_.size()]);
    } else if (action < 63) {
      for (Client& client : clients_)
        poll(client);
    } else if (action < 75) {
      now_ms_ += rng_() % 400;
      if (rng_() % 2 == 0) stats_.removed += coordinator_.expire();
    } else if (action < 81) {
      if (clients_.size() < 7) add_client();
    } else if (action < 85) {
      leave_some();
    } else if (action < 87) {
      if (!clients_.empty()) clients_[rng_() % clients_.size()].hung = true;
    } else if (action < 93) {
      if (!clients_.empty()) change_metadata(clients_[rng_() % clients_.size()]);
    } else {
      leader_asks_for_rebalance();
    }
    check();
  }

 private:
  CoordinatorOptions options() {
    CoordinatorOptions out;
    out.now_ms = [this] { return now_ms_; };
    out.incarnation = 1;
    return out;
  }

  KafkaJoinRequest request(const Client& client) {
    KafkaJoinRequest out;
    out.group = "g";
    out.member_id = client.member_id;
    out.client_id = "c";
    out.session_timeout_ms = 1000;
    out.rebalance_timeout_ms = 1500;
    out.protocol_type = "consumer";
    out.protocols = {{"range", "sub" + client.tag}, {"roundrobin", "sub" + client.tag}};
    out.require_known_member_id = rng_() % 2 == 0;
    return out;
  }

  static void give_up(Client& client) {
    client.phase = Phase::joining;
    client.owned.clear();
  }

  void poll(Client& client) {
    if (client.hung) return;
    switch (client.phase) {
      case Phase::joining:
        return join(client);
      case Phase::syncing:
        return sync(client);
      case Phase::stable:
        return heartbeat(client);
    }
  }

  void join(Client& client) {
    ASSERT_TRUE(client.owned.empty());
    auto answer = coordinator_.join(request(client));
    if (!answer.ok()) {
      ASSERT_EQ(answer.error(), GroupError::unknown_member) << answer.failure().message;
      client.member_id.clear();
      return;
    }
    client.member_id = answer->member_id;
    if (answer->status == KafkaJoinStatus::member_id_required) stats_.member_id_required += 1;
    if (answer->status != KafkaJoinStatus::complete) return;
    const KafkaJoinResult& got = answer.value();
    auto [seen, fresh] = generations_.try_emplace(got.generation, got.leader_id, got.protocol_name);
    if (!fresh) {
      ASSERT_EQ(seen->second.first, got.leader_id) << "two leaders in one generation";
      ASSERT_EQ(seen->second.second, got.protocol_name);
    }
    ASSERT_EQ(got.members.empty(), got.leader_id != got.member_id);
    client.joined = got;
    client.phase = Phase::syncing;
    stats_.generations = std::max(stats_.generations, got.generation);
  }

  void sync(Client& client) {
    SyncRequest request;
    request.group = "g";
    request.member_id = client.member_id;
    request.generation = client.joined.generation;
    request.assignments = deal(client.joined.members);
    auto answer = coordinator_.sync(request);
    if (!answer.ok()) {
      const GroupError error = answer.error();
      ASSERT_TRUE(error == GroupError::rebalance_in_progress ||
                  error == GroupError::illegal_generation || error == GroupError::unknown_member)
          << answer.failure().message;
      if (error == GroupError::unknown_member) client.member_id.clear();
      if (error == GroupError::rebalance_in_progress) stats_.rebalance_answers += 1;
      give_up(client);
      return;
    }
    if (answer->status == SyncStatus::waiting) {
      stats_.waits += 1;
      return;
    }
    client.owned = parse(answer->assignment);
    client.phase = Phase::stable;
  }

  void heartbeat(Client& client) {
    const GroupError error =
        coordinator_.heartbeat("g", client.member_id, client.joined.generation).error();
    if (error == GroupError::none) return;
    if (error == GroupError::rebalance_in_progress) stats_.rebalance_answers += 1;
    if (error == GroupError::unknown_member) client.member_id.clear();
    give_up(client);
  }

  void add_client() {
    clients_.emplace_back();
    join(clients_.back());
  }

  void leave_some() {
    std::vector<LeavingMember> leaving;
    for (size_t i = 0; i < clients_.size();) {
      if (rng_() % 3 != 0) {
        ++i;
        continue;
      }
      leaving.push_back({clients_[i].member_id, ""});
      clients_.erase(clients_.begin() + static_cast<std::ptrdiff_t>(i));
    }
    auto left = coordinator_.leave_members("g", leaving);
    ASSERT_TRUE(left.ok());
    for (const auto& one : left.value()) {
      EXPECT_TRUE(one.ok() || one.error() == GroupError::unknown_member);
    }
  }

  void change_metadata(Client& client) {
    if (client.hung) return;
    client.tag = std::to_string(rng_() % 3);
    give_up(client);
    join(client);
  }

  // A stable leader joins again: Kafka's leader does so when it sees a metadata change.
  void leader_asks_for_rebalance() {
    for (Client& client : clients_) {
      if (client.hung || client.phase != Phase::stable) continue;
      if (client.joined.leader_id != client.member_id) continue;
      give_up(client);
      join(client);
      return;
    }
  }

  void check() {
    auto described = coordinator_.describe("g");
    if (!described.ok()) return;  // no client joined yet
    const GroupDescription& group = described.value();
    std::map<std::string, const MemberDescription*> members;
    for (const auto& member : group.members)
      members[member.member_id] = &member;
    std::set<int32_t> owned;
    for (const Client& client : clients_) {
      auto member = members.find(client.member_id);
      if (member == members.end()) continue;  // removed: a zombie, fenced from commits
      for (int32_t p : client.owned) {
        ASSERT_TRUE(owned.insert(p).second) << "two live members own partition " << p;
      }
      if (client.phase != Phase::joining) {
        ASSERT_LE(client.joined.generation, group.generation);
      }
      if (client.phase == Phase::stable && client.joined.generation == group.generation &&
          group.state == GroupState::stable) {
        ASSERT_EQ(client.owned, parse(member->second->assignment_bytes));
      }
    }
  }

  std::mt19937 rng_;
  Stats& stats_;
  int64_t now_ms_ = 0;
  std::vector<Client> clients_;
  std::map<int32_t, std::pair<std::string, std::string>> generations_;  // leader, protocol
  GroupCoordinator coordinator_;
};

TEST(GroupCoordinatorKafkaRandom, EveryPartitionOwnedOnceByOneLiveMember) {
  Stats stats;
  for (uint32_t seed = 1; seed <= 200; ++seed) {
    Simulation simulation(seed, stats);
    for (int step = 0; step < 500; ++step) {
      simulation.step();
      if (::testing::Test::HasFatalFailure()) {
        FAIL() << "seed " << seed << " step " << step;
      }
    }
  }
  // The sequences reached what they are meant to test.
  EXPECT_GT(stats.generations, 20);
  EXPECT_GT(stats.removed, 50u);
  EXPECT_GT(stats.waits, 200u);
  EXPECT_GT(stats.rebalance_answers, 1000u);
  EXPECT_GT(stats.member_id_required, 200u);
  std::printf(
      "highest generation %d, removed by expire() %zu, sync waits %zu, rebalance_in_progress "
      "%zu, member_id_required %zu\n",
      stats.generations, stats.removed, stats.waits, stats.rebalance_answers,
      stats.member_id_required);
}

}  // namespace
}  // namespace sluice::consumers
