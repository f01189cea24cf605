#include "consumers/offset_record.h"

#include "consumers/names.h"

#include <gtest/gtest.h>

#include <random>

namespace sluice::consumers {
namespace {

OffsetCommit sample_commit() {
  return {"g", {"t", 3}, {42, 7, "hi", 1700000000000}};
}

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values)
    out.push_back(static_cast<char>(v));
  return out;
}

EncodedOffsetRecord encode(const OffsetRecord& record) {
  auto encoded = encode_offset_record(record);
  EXPECT_TRUE(encoded.ok()) << encoded.error().to_string();
  return encoded.ok() ? encoded.value() : EncodedOffsetRecord{};
}

void expect_corrupt(std::string_view key, std::string_view value, std::string_view why) {
  auto decoded = decode_offset_record(key, value);
  ASSERT_FALSE(decoded.ok()) << why;
  EXPECT_EQ(decoded.code(), Errc::corruption) << why;
}

// The worked example of consumers/FORMAT.md, byte for byte.
TEST(OffsetRecord, WorkedExampleBytes) {
  const EncodedOffsetRecord encoded = encode(sample_commit());
  EXPECT_EQ(encoded.key, bytes({0, 1, 0, 1, 'g', 0, 1, 't', 0, 0, 0, 3}));
  EXPECT_EQ(encoded.value, bytes({0, 1,                                    // value_version
                                  0, 0, 0,    0,    0,    0,    0,    42,  // offset
                                  0, 0, 0,    7,                           // leader_epoch
                                  0, 0, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0,   // commit_time_ms
                                  0, 2, 'h',  'i'}));                      // metadata
  const EncodedOffsetRecord tombstone = encode(OffsetTombstone{"g", "t", -1});
  EXPECT_EQ(tombstone.key, bytes({0, 1, 0, 1, 'g', 0, 1, 't', 0xff, 0xff, 0xff, 0xff}));
  EXPECT_TRUE(tombstone.value.empty());
}

TEST(OffsetRecord, CommitsRoundTrip) {
  const std::vector<OffsetCommit> commits = {
      sample_commit(),
      {"group with spaces", {"orders.v2", 0}, {0, -1, "", 0}},
      {std::string(kGroupIdBytesMax, 'x'),
       {std::string(kTopicNameBytesMax, 'y'), INT32_MAX},
       {INT64_MAX, INT32_MAX, std::string(kOffsetMetadataBytesMax, '\xff'), INT64_MAX}},
      {std::string("\0bin\xfe", 5), {"t", 1}, {5, 0, std::string("\0\n", 2), 9}},
  };
  for (const OffsetCommit& commit : commits) {
    const EncodedOffsetRecord encoded = encode(commit);
    EXPECT_EQ(encoded.key.size(),
              kOffsetKeyFixedBytes + commit.group.size() + commit.partition.topic.size());
    EXPECT_EQ(encoded.value.size(), kOffsetValueFixedBytes + commit.committed.metadata.size());
    auto decoded = decode_offset_record(encoded.key, encoded.value);
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(std::get<OffsetCommit>(decoded.value()), commit);
  }
}

TEST(OffsetRecord, TombstonesRoundTrip) {
  for (const OffsetTombstone& tombstone :
       {OffsetTombstone{"g", "", -1}, OffsetTombstone{"g", "t", -1},
        OffsetTombstone{"g", "t", 5}}) {
    const EncodedOffsetRecord encoded = encode(tombstone);
    auto decoded = decode_offset_record(encoded.key, encoded.value);
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(std::get<OffsetTombstone>(decoded.value()), tombstone);
  }
}

TEST(OffsetRecord, PartitionTombstoneHasTheCommitsKey) {
  EXPECT_EQ(encode(sample_commit()).key, encode(OffsetTombstone{"g", "t", 3}).key);
}

TEST(OffsetRecord, EncodeRefusesBrokenRules) {
  const auto refuse = [](const OffsetRecord& record) {
    auto encoded = encode_offset_record(record);
    ASSERT_FALSE(encoded.ok());
    EXPECT_EQ(encoded.code(), Errc::invalid_argument);
  };
  auto commit = sample_commit();
  commit.group = "";
  refuse(commit);
  commit = sample_commit();
  commit.group = std::string(kGroupIdBytesMax + 1, 'g');
  refuse(commit);
  commit = sample_commit();
  commit.partition = {"", 0};
  refuse(commit);
  commit.partition = {"bad/topic", 0};
  refuse(commit);
  commit.partition = {"t", -1};
  refuse(commit);
  commit = sample_commit();
  commit.committed.offset = -1;
  refuse(commit);
  commit = sample_commit();
  commit.committed.leader_epoch = -2;
  refuse(commit);
  commit = sample_commit();
  commit.committed.commit_time_ms = -5;
  refuse(commit);
  commit = sample_commit();
  commit.committed.metadata.assign(kOffsetMetadataBytesMax + 1, 'm');
  refuse(commit);
  refuse(OffsetTombstone{"", "t", -1});
  refuse(OffsetTombstone{"g", "", 0});
  refuse(OffsetTombstone{"g", "t", -2});
  refuse(OffsetTombstone{"g", "..", -1});
}

TEST(OffsetRecord, EveryTruncationIsCorrupt) {
  const EncodedOffsetRecord encoded = encode(sample_commit());
  for (size_t size = 0; size < encoded.key.size(); ++size) {
    expect_corrupt(std::string_view(encoded.key).substr(0, size), encoded.value,
                   "key cut at " + std::to_string(size));
    expect_corrupt(std::string_view(encoded.key).substr(0, size), "",
                   "tombstone key cut at " + std::to_string(size));
  }
  // An empty value is a tombstone by definition; every other cut is corrupt.
  for (size_t size = 1; size < encoded.value.size(); ++size) {
    expect_corrupt(encoded.key, std::string_view(encoded.value).substr(0, size),
                   "value cut at " + std::to_string(size));
  }
}

TEST(OffsetRecord, TrailingBytesAreCorrupt) {
  const EncodedOffsetRecord encoded = encode(sample_commit());
  expect_corrupt(encoded.key + '\0', encoded.value, "key + 1");
  expect_corrupt(encoded.key, encoded.value + '\0', "value + 1");
}

TEST(OffsetRecord, UnknownVersionsAreCorrupt) {
  const EncodedOffsetRecord encoded = encode(sample_commit());
  for (int version : {0, 2, 255}) {
    std::string key = encoded.key;
    key[1] = static_cast<char>(version);
    expect_corrupt(key, encoded.value, "key version " + std::to_string(version));
    std::string value = encoded.value;
    value[1] = static_cast<char>(version);
    expect_corrupt(encoded.key, value, "value version " + std::to_string(version));
  }
  std::string key = encoded.key;
  key[0] = '\x80';
  expect_corrupt(key, encoded.value, "negative key version");
}

TEST(OffsetRecord, BrokenRulesInTheBytesAreCorrupt) {
  const EncodedOffsetRecord encoded = encode(sample_commit());
  const auto with = [](std::string text, size_t at, std::initializer_list<int> values) {
    for (int v : values)
      text[at++] = static_cast<char>(v);
    return text;
  };
  const std::string& key = encoded.key;
  const std::string& value = encoded.value;
  expect_corrupt(with(key, 2, {0, 0}), value, "group length 0");
  expect_corrupt(with(key, 2, {0xff, 0xff}), value, "group length -1");
  expect_corrupt(with(key, 5, {0x7f, 0xff}), value, "topic length past the end");
  expect_corrupt(with(key, 7, {'/'}), value, "invalid topic character");
  expect_corrupt(with(key, 8, {0xff, 0xff, 0xff, 0xfe}), value, "partition -2");
  expect_corrupt(with(key, 8, {0xff, 0xff, 0xff, 0xff}), value, "commit for partition -1");
  expect_corrupt(key, with(value, 2, {0x80}), "negative offset");
  expect_corrupt(key, with(value, 10, {0xff, 0xff, 0xff, 0xfe}), "leader epoch -2");
  expect_corrupt(key, with(value, 14, {0xff}), "negative commit time");
  expect_corrupt(key, with(value, 22, {0x10, 0x01}), "metadata of 4097 bytes");
  expect_corrupt(key, with(value, 22, {0xff, 0xff}), "metadata length -1");
  // A commit needs a topic; a whole-group tombstone needs partition -1.
  expect_corrupt(bytes({0, 1, 0, 1, 'g', 0, 0, 0, 0, 0, 0}), value, "commit without topic");
  expect_corrupt(bytes({0, 1, 0, 1, 'g', 0, 0, 0, 0, 0, 0}), "", "group tombstone partition 0");
}

// A flipped byte either fails to decode or decodes to a record that encodes to the same bytes:
// decoding never accepts a form that encoding would not write.
TEST(OffsetRecord, FlippedBytesDecodeCanonicallyOrFail) {
  const EncodedOffsetRecord encoded = encode(sample_commit());
  std::mt19937 rng(11);
  for (int round = 0; round < 5000; ++round) {
    std::string key = encoded.key;
    std::string value = encoded.value;
    std::string& target = (rng() % 2 == 0) ? key : value;
    target[rng() % target.size()] ^= static_cast<char>(1 + rng() % 255);
    auto decoded = decode_offset_record(key, value);
    if (!decoded.ok()) {
      EXPECT_EQ(decoded.code(), Errc::corruption);
      continue;
    }
    const EncodedOffsetRecord again = encode(decoded.value());
    EXPECT_EQ(again.key, key);
    EXPECT_EQ(again.value, value);
  }
}

}  // namespace
}  // namespace sluice::consumers
