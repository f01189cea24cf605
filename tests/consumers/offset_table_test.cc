#include "consumers/offset_table.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <thread>

namespace sluice::consumers {
namespace {

using TP = TopicPartition;

OffsetCommit commit(std::string group, std::string topic, int32_t partition, int64_t offset,
                    std::string metadata = "") {
  return {
      std::move(group), {std::move(topic), partition}, {offset, -1, std::move(metadata), offset}};
}

// The engine's rebuild: every record of the log, in order.
void rebuild(OffsetTable& table, const std::vector<EncodedOffsetRecord>& log) {
  for (const auto& record : log)
    ASSERT_TRUE(table.apply_encoded(record.key, record.value).ok());
}

EncodedOffsetRecord encoded(const OffsetRecord& record) {
  auto out = encode_offset_record(record);
  EXPECT_TRUE(out.ok());
  return out.value();
}

TEST(OffsetTable, NothingCommitted) {
  OffsetTable table;
  EXPECT_FALSE(table.committed("g", TP{"t", 0}).has_value());
  EXPECT_TRUE(table.committed("g").empty());
  EXPECT_TRUE(table.groups().empty());
  EXPECT_EQ(table.size(), 0u);
}

TEST(OffsetTable, RebuildLaterRecordsWin) {
  OffsetTable table;
  rebuild(table, {encoded(commit("g", "t", 0, 5)), encoded(commit("g", "t", 1, 7)),
                  encoded(commit("g", "t", 0, 9, "later")), encoded(commit("h", "t", 0, 1)),
                  encoded(commit("g", "t", 0, 3, "rewound"))});
  const auto committed = table.committed("g", TP{"t", 0});
  ASSERT_TRUE(committed.has_value());
  EXPECT_EQ(committed->offset, 3);  // later wins, even when it moves back (a seek and commit)
  EXPECT_EQ(committed->metadata, "rewound");
  EXPECT_EQ(committed->commit_time_ms, 3);
  EXPECT_EQ(table.committed("g", TP{"t", 1})->offset, 7);
  EXPECT_EQ(table.committed("h", TP{"t", 0})->offset, 1);
  EXPECT_EQ(table.groups(), (std::vector<std::string>{"g", "h"}));
  EXPECT_EQ(table.size(), 3u);
}

TEST(OffsetTable, TombstonesDeleteTheirScope) {
  OffsetTable table;
  rebuild(table, {encoded(commit("g", "t", 0, 5)), encoded(commit("g", "t", 1, 6)),
                  encoded(commit("g", "t2", 0, 7)), encoded(commit("g", "u", 0, 8)),
                  encoded(commit("h", "t", 0, 9))});
  table.apply(OffsetTombstone{"g", "t", 1});
  EXPECT_FALSE(table.committed("g", TP{"t", 1}));
  EXPECT_TRUE(table.committed("g", TP{"t", 0}));
  table.apply(OffsetTombstone{"g", "t", -1});  // topic t deleted: t2 ("t" is its prefix) stays
  EXPECT_FALSE(table.committed("g", TP{"t", 0}));
  EXPECT_TRUE(table.committed("g", TP{"t2", 0}));
  EXPECT_TRUE(table.committed("g", TP{"u", 0}));
  EXPECT_TRUE(table.committed("h", TP{"t", 0}));  // another group's offsets stay
  table.apply(OffsetTombstone{"g", "", -1});      // group g deleted
  EXPECT_TRUE(table.committed("g").empty());
  EXPECT_EQ(table.groups(), std::vector<std::string>{"h"});
  table.apply(OffsetTombstone{"nobody", "", -1});  // nothing to delete
  EXPECT_EQ(table.size(), 1u);
}

TEST(OffsetTable, CommitAfterTombstoneCountsAgain) {
  OffsetTable table;
  rebuild(table, {encoded(commit("g", "t", 0, 5)), encoded(OffsetTombstone{"g", "t", -1}),
                  encoded(commit("g", "t", 0, 2))});
  EXPECT_EQ(table.committed("g", TP{"t", 0})->offset, 2);
}

TEST(OffsetTable, GroupsOfTopic) {
  OffsetTable table;
  table.apply(commit("a", "t", 3, 1));
  table.apply(commit("b", "t2", 0, 1));
  table.apply(commit("c", "s", 0, 1));
  table.apply(commit("c", "t", 0, 1));
  EXPECT_EQ(table.groups_of_topic("t"), (std::vector<std::string>{"a", "c"}));
  EXPECT_TRUE(table.groups_of_topic("x").empty());
}

TEST(OffsetTable, CorruptRecordIsRefusedAndNotApplied) {
  OffsetTable table;
  EncodedOffsetRecord record = encoded(commit("g", "t", 0, 5));
  record.value.pop_back();
  auto applied = table.apply_encoded(record.key, record.value);
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.code(), Errc::corruption);
  EXPECT_EQ(table.size(), 0u);
}

// Against a plain map as the model, over random commits and tombstones; the snapshot, applied to
// an empty table, rebuilds the same table.
TEST(OffsetTable, RandomHistoryMatchesModelAndSnapshotRebuilds) {
  std::mt19937 rng(5);
  const std::vector<std::string> groups = {"g0", "g1", "g2"};
  const std::vector<std::string> topics = {"t", "t.a", "u"};
  for (int round = 0; round < 50; ++round) {
    OffsetTable table;
    std::map<std::tuple<std::string, std::string, int32_t>, int64_t> model;
    for (int step = 0; step < 200; ++step) {
      const std::string& group = groups[rng() % groups.size()];
      const std::string& topic = topics[rng() % topics.size()];
      const auto partition = static_cast<int32_t>(rng() % 3);
      const uint32_t action = rng() % 10;
      if (action < 7) {
        const auto offset = static_cast<int64_t>(rng() % 1000);
        table.apply(commit(group, topic, partition, offset));
        model[{group, topic, partition}] = offset;
      } else if (action == 7) {
        table.apply(OffsetTombstone{group, topic, partition});
        model.erase({group, topic, partition});
      } else if (action == 8) {
        table.apply(OffsetTombstone{group, topic, -1});
        std::erase_if(model, [&](const auto& e) {
          return std::get<0>(e.first) == group && std::get<1>(e.first) == topic;
        });
      } else {
        table.apply(OffsetTombstone{group, "", -1});
        std::erase_if(model, [&](const auto& e) { return std::get<0>(e.first) == group; });
      }
    }
    ASSERT_EQ(table.size(), model.size());
    for (const auto& [key, offset] : model) {
      const auto& [group, topic, partition] = key;
      ASSERT_EQ(table.committed(group, TP{topic, partition})->offset, offset);
    }
    OffsetTable copy;
    std::vector<EncodedOffsetRecord> log;
    for (const OffsetCommit& c : table.snapshot())
      log.push_back(encoded(c));
    rebuild(copy, log);
    EXPECT_EQ(copy.snapshot(), table.snapshot());
  }
}

TEST(OffsetTable, ConcurrentCommitsAndReads) {
  OffsetTable table;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&table, t] {
      const std::string group = "g" + std::to_string(t % 2);
      for (int i = 0; i < 2000; ++i) {
        table.apply(commit(group, "t", t, i));
        (void)table.committed(group, TP{"t", t});
        if (i % 100 == 0) (void)table.snapshot();
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  for (int t = 0; t < 4; ++t) {
    EXPECT_EQ(table.committed("g" + std::to_string(t % 2), TP{"t", t})->offset, 1999);
  }
}

}  // namespace
}  // namespace sluice::consumers
