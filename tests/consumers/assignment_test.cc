#include "consumers/assignment.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace sluice::consumers {
namespace {

using TP = TopicPartition;

TEST(Assignment, RangeSplitsEachTopicIntoContiguousRanges) {
  const auto out = assign(AssignmentStrategy::range, {{"b", {"t"}}, {"a", {"t"}}}, {{"t", 5}});
  EXPECT_EQ(out.at("a"), (std::vector<TP>{{"t", 0}, {"t", 1}, {"t", 2}}));
  EXPECT_EQ(out.at("b"), (std::vector<TP>{{"t", 3}, {"t", 4}}));
}

TEST(Assignment, RoundRobinDealsAcrossTopics) {
  const auto out = assign(AssignmentStrategy::round_robin, {{"a", {"t", "u"}}, {"b", {"t", "u"}}},
                          {{"t", 3}, {"u", 1}});
  EXPECT_EQ(out.at("a"), (std::vector<TP>{{"t", 0}, {"t", 2}}));
  EXPECT_EQ(out.at("b"), (std::vector<TP>{{"t", 1}, {"u", 0}}));
}

TEST(Assignment, MembersWithoutTheTopicGetNothingOfIt) {
  for (auto strategy : {AssignmentStrategy::range, AssignmentStrategy::round_robin}) {
    const auto out = assign(strategy, {{"a", {"t"}}, {"b", {"u"}}}, {{"t", 2}, {"u", 2}});
    EXPECT_EQ(out.at("a"), (std::vector<TP>{{"t", 0}, {"t", 1}}));
    EXPECT_EQ(out.at("b"), (std::vector<TP>{{"u", 0}, {"u", 1}}));
  }
}

TEST(Assignment, MoreMembersThanPartitionsLeavesSomeIdle) {
  const auto out =
      assign(AssignmentStrategy::range, {{"a", {"t"}}, {"b", {"t"}}, {"c", {"t"}}}, {{"t", 2}});
  EXPECT_EQ(out.at("a").size(), 1u);
  EXPECT_EQ(out.at("b").size(), 1u);
  EXPECT_TRUE(out.at("c").empty());
}

TEST(Assignment, NoMembersNoAssignment) {
  EXPECT_TRUE(assign(AssignmentStrategy::range, {}, {{"t", 3}}).empty());
}

// Every partition exactly once, to a subscriber, balanced within one for a single topic.
TEST(Assignment, RandomInputsCoverEveryPartitionOnce) {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    const int members = 1 + static_cast<int>(rng() % 6);
    const int32_t partitions = 1 + static_cast<int32_t>(rng() % 20);
    std::vector<MemberSubscription> subs;
    for (int m = 0; m < members; ++m)
      subs.push_back({"m" + std::to_string(m), {"t"}});
    for (auto strategy : {AssignmentStrategy::range, AssignmentStrategy::round_robin}) {
      const auto out = assign(strategy, subs, {{"t", partitions}});
      std::set<TP> seen;
      size_t least = SIZE_MAX, most = 0;
      for (const auto& [member, list] : out) {
        least = std::min(least, list.size());
        most = std::max(most, list.size());
        for (const auto& tp : list)
          EXPECT_TRUE(seen.insert(tp).second);
      }
      EXPECT_EQ(seen.size(), static_cast<size_t>(partitions));
      EXPECT_LE(most - least, 1u);
    }
  }
}

}  // namespace
}  // namespace sluice::consumers
