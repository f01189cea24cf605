#include "consumers/lag.h"

#include <gtest/gtest.h>

namespace sluice::consumers {
namespace {

TEST(Lag, LatestMinusCommitted) {
  EXPECT_EQ(offset_lag(40, 0, 100), 60);
  EXPECT_EQ(offset_lag(100, 0, 100), 0);
  EXPECT_EQ(offset_lag(0, 0, 0), 0);
}

TEST(Lag, NothingCommittedCountsFromTheEarliest) {
  EXPECT_EQ(offset_lag(std::nullopt, 30, 100), 70);
  EXPECT_EQ(offset_lag(std::nullopt, 0, 0), 0);
}

TEST(Lag, CommittedBeforeTheEarliestCountsFromTheCommitted) {
  EXPECT_EQ(offset_lag(10, 30, 100), 90);  // retention deleted what the group had not read
}

TEST(Lag, CommittedPastTheLatestIsNoLag) {
  EXPECT_EQ(offset_lag(150, 0, 100), 0);
}

TEST(Lag, PartitionLagFromState) {
  PartitionState state;
  state.partition = 2;
  state.earliest_offset = 5;
  state.latest_offset = 50;
  const PartitionLag committed = partition_lag({"t", 2}, 45, 40, state);
  EXPECT_EQ(committed.partition, (TopicPartition{"t", 2}));
  EXPECT_EQ(committed.position, 45);
  EXPECT_EQ(committed.committed, 40);
  EXPECT_EQ(committed.latest, 50);
  EXPECT_EQ(committed.lag, 10);
  const PartitionLag none = partition_lag({"t", 2}, 5, std::nullopt, state);
  EXPECT_EQ(none.committed, -1);
  EXPECT_EQ(none.lag, 45);
}

}  // namespace
}  // namespace sluice::consumers
