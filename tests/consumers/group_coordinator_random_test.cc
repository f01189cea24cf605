// Random sequences of joins, polls, leaves, hangs, subscription and partition-count changes and
// clock jumps against a GroupCoordinator, checking after every step:
// - a stable generation gives every partition of the subscribed topics to exactly one member,
//   which subscribes to its topic;
// - no two clients that are still members believe they own the same partition, whatever
//   generation each believes in (a client that rejoins gives its partitions up first);
// - a client that believes in the current stable generation holds exactly its assignment.
#include "consumers/group_coordinator.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

namespace sluice::consumers {
namespace {

using TP = TopicPartition;

struct Client {
  std::string member_id;
  std::vector<std::string> topics;
  bool stable = false;
  int32_t generation = -1;
  std::vector<TP> owned;
  bool hung = false;  // stopped calling the coordinator, like a stuck process
};

struct Stats {
  int32_t generations = 0;
  size_t expired = 0;
  size_t unknown_member = 0;
  size_t rebalance_answers = 0;
};

class Simulation {
 public:
  Simulation(uint32_t seed, Stats& stats) : rng_(seed), stats_(stats), coordinator_(options()) {
    strategy_ = rng_() % 2 == 0 ? AssignmentStrategy::range : AssignmentStrategy::round_robin;
    coordinator_.set_topic_partitions("t", 4);
    coordinator_.set_topic_partitions("u", 3);
  }

  void step() {
    const uint32_t action = rng_() % 100;
    if (action < 50) {
      if (!clients_.empty()) poll(clients_[rng_() % clients_.size()]);
    } else if (action < 58) {
      for (Client& client : clients_)
        poll(client);
    } else if (action < 72) {
      now_ms_ += rng_() % 400;
      // Half the time expire() sees the jump first; else the next call's housekeeping does.
      if (rng_() % 2 == 0) stats_.expired += coordinator_.expire();
    } else if (action < 76) {
      stats_.expired += coordinator_.expire();
    } else if (action < 82) {
      if (clients_.size() < 8) add_client();
    } else if (action < 86) {
      leave_one();
    } else if (action < 88) {
      if (!clients_.empty()) clients_[rng_() % clients_.size()].hung = true;
    } else if (action < 94) {
      if (!clients_.empty()) resubscribe(clients_[rng_() % clients_.size()]);
    } else {
      change_partitions();
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

  JoinRequest request(const Client& client) const {
    JoinRequest out;
    out.group = "g";
    out.member_id = client.member_id;
    out.topics = client.topics;
    out.strategy = strategy_;
    out.session_timeout_ms = 1000;
    out.rebalance_timeout_ms = 1500;
    return out;
  }

  std::vector<std::string> random_topics() {
    switch (rng_() % 3) {
      case 0:
        return {"t"};
      case 1:
        return {"u"};
      default:
        return {"t", "u"};
    }
  }

  static void give_up(Client& client) {
    client.stable = false;
    client.generation = -1;
    client.owned.clear();
  }

  // What a consumer's poll does: heartbeat when stable, else (or when told to) join.
  void poll(Client& client) {
    if (client.hung) return;
    if (client.stable) {
      const GroupError error =
          coordinator_.heartbeat("g", client.member_id, client.generation).error();
      if (error == GroupError::none) return;
      give_up(client);
      if (error == GroupError::rebalance_in_progress) stats_.rebalance_answers += 1;
      if (error == GroupError::unknown_member) {
        stats_.unknown_member += 1;
        client.member_id.clear();
      }
    }
    join(client);
  }

  void join(Client& client) {
    auto result = coordinator_.join(request(client));
    if (!result.ok()) {
      ASSERT_EQ(result.error(), GroupError::unknown_member) << result.failure().message;
      stats_.unknown_member += 1;
      client.member_id.clear();
      result = coordinator_.join(request(client));
      ASSERT_TRUE(result.ok()) << result.failure().message;
    }
    client.member_id = result->member_id;
    if (result->status == JoinStatus::stable) {
      client.stable = true;
      client.generation = result->generation;
      client.owned = result->assignment;
      stats_.generations = std::max(stats_.generations, client.generation);
    }
  }

  void add_client() {
    Client client;
    client.topics = random_topics();
    clients_.push_back(client);
    join(clients_.back());
  }

  void leave_one() {
    if (clients_.empty()) return;
    const size_t index = rng_() % clients_.size();
    const Client& client = clients_[index];
    const GroupError error = coordinator_.leave("g", client.member_id).error();
    EXPECT_TRUE(error == GroupError::none || error == GroupError::unknown_member);
    clients_.erase(clients_.begin() + static_cast<std::ptrdiff_t>(index));
  }

  void resubscribe(Client& client) {
    if (client.hung) return;
    client.topics = random_topics();
    give_up(client);
    join(client);
  }

  void change_partitions() {
    const std::string topic = rng_() % 2 == 0 ? "t" : "u";
    if (rng_() % 5 == 0) {
      coordinator_.remove_topic(topic);
      partitions_.erase(topic);
    } else {
      const auto count = static_cast<int32_t>(1 + rng_() % 6);
      coordinator_.set_topic_partitions(topic, count);
      partitions_[topic] = count;
    }
  }

  void check() {
    auto described = coordinator_.describe("g");
    if (!described.ok()) return;  // no client joined yet
    const GroupDescription& group = described.value();
    std::map<std::string, const MemberDescription*> members;
    for (const auto& member : group.members)
      members[member.member_id] = &member;
    if (group.state == GroupState::stable) check_stable(group);
    std::set<TP> believed;
    for (const Client& client : clients_) {
      auto member = members.find(client.member_id);
      if (member == members.end()) continue;  // removed: a zombie, fenced from commits
      for (const TP& tp : client.owned) {
        ASSERT_TRUE(believed.insert(tp).second)
            << "two live members own " << tp.topic << "-" << tp.partition;
      }
      ASSERT_LE(client.generation, group.generation);
      if (client.stable && client.generation == group.generation &&
          group.state == GroupState::stable) {
        ASSERT_EQ(client.owned, member->second->assignment);
      }
    }
  }

  void check_stable(const GroupDescription& group) {
    std::set<TP> owned;
    std::set<std::string> topics;
    for (const auto& member : group.members) {
      ASSERT_TRUE(member.joined);
      topics.insert(member.topics.begin(), member.topics.end());
      for (const TP& tp : member.assignment) {
        ASSERT_TRUE(std::binary_search(member.topics.begin(), member.topics.end(), tp.topic));
        ASSERT_TRUE(owned.insert(tp).second);
      }
    }
    std::set<TP> expected;
    for (const auto& topic : topics) {
      auto count = partitions_.find(topic);
      if (count == partitions_.end()) continue;
      for (int32_t p = 0; p < count->second; ++p)
        expected.insert({topic, p});
    }
    ASSERT_EQ(owned, expected);
  }

  std::mt19937 rng_;
  Stats& stats_;
  int64_t now_ms_ = 0;
  AssignmentStrategy strategy_;
  std::map<std::string, int32_t> partitions_ = {{"t", 4}, {"u", 3}};
  std::vector<Client> clients_;
  GroupCoordinator coordinator_;
};

TEST(GroupCoordinatorRandom, EveryPartitionOwnedOnceByOneLiveMember) {
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
  EXPECT_GT(stats.expired, 50u);
  EXPECT_GT(stats.unknown_member, 50u);
  EXPECT_GT(stats.rebalance_answers, 1000u);
  std::printf(
      "highest generation %d, expired by expire() %zu, unknown_member %zu, "
      "rebalance_in_progress %zu\n",
      stats.generations, stats.expired, stats.unknown_member, stats.rebalance_answers);
}

}  // namespace
}  // namespace sluice::consumers
