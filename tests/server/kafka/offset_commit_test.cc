#include "server/kafka/offset_commit.h"

#include "server/kafka/api_keys.h"
#include "tests/server/kafka/codec_testing.h"

#include <gtest/gtest.h>

namespace sluice::server::kafka {
namespace {

using namespace codec_testing;

constexpr int16_t kMin = 0;
constexpr int16_t kMax = 7;

auto decode_request(int16_t version) {
  return [version](Reader& in) { return decode_offset_commit_request(in, version); };
}
auto decode_response(int16_t version) {
  return [version](Reader& in) { return decode_offset_commit_response(in, version); };
}
std::vector<std::byte> request_bytes(const OffsetCommitRequest& r, int16_t version) {
  return encoded([&](Writer& w) { encode_offset_commit_request(w, r, version); });
}
std::vector<std::byte> response_bytes(const OffsetCommitResponse& r, int16_t version) {
  return encoded([&](Writer& w) { encode_offset_commit_response(w, r, version); });
}

OffsetCommitRequest sample_request() {
  OffsetCommitRequest r;
  r.group_id = "orders";
  r.generation_id = 3;
  r.member_id = "m-1";
  r.group_instance_id = "host-a";
  r.retention_time_ms = 86400000;
  OffsetCommitPartition p0{0, 42, 5, 1700000000000, "meta"};
  OffsetCommitPartition p1{3, 0, -1, -1, std::nullopt};
  r.topics = {{"payments", {p0, p1}}, {"empty", {}}};
  return r;
}

// The layouts below commit offset 5 of partition 0 of topic "t" in group "g", by member "m" of
// generation 1, with a null metadata, a commit timestamp of 10 and a leader epoch of 2.
OffsetCommitRequest layout_request() {
  OffsetCommitRequest r;
  r.group_id = "g";
  r.generation_id = 1;
  r.member_id = "m";
  r.topics = {{"t", {{0, 5, 2, 10, std::nullopt}}}};
  return r;
}

TEST(OffsetCommitTest, CoversTheAdvertisedRange) {
  std::optional<ApiRange> api = find_api(static_cast<int16_t>(ApiKey::offset_commit));
  ASSERT_TRUE(api);
  EXPECT_EQ(api->min_version, kMin);
  EXPECT_EQ(api->max_version, kMax);
  EXPECT_FALSE(is_flexible(ApiKey::offset_commit, kMax));
}

TEST(OffsetCommitTest, RequestLayoutByVersion) {
  // v0: group_id, topics [name, partitions [partition_index, committed_offset, metadata]].
  EXPECT_EQ(hex(request_bytes(layout_request(), 0)),
            "00 01 67 00 00 00 01 00 01 74 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 05 ff ff");
  // v1: generation_id and member_id; commit_timestamp after each offset.
  EXPECT_EQ(hex(request_bytes(layout_request(), 1)),
            "00 01 67 00 00 00 01 00 01 6d 00 00 00 01 00 01 74 00 00 00 01 00 00 00 00 00 00 00 "
            "00 00 00 00 05 00 00 00 00 00 00 00 0a ff ff");
  // v2-4: retention_time_ms (-1) before the topics, no timestamp.
  EXPECT_EQ(hex(request_bytes(layout_request(), 2)),
            "00 01 67 00 00 00 01 00 01 6d ff ff ff ff ff ff ff ff 00 00 00 01 00 01 74 00 00 00 "
            "01 00 00 00 00 00 00 00 00 00 00 00 05 ff ff");
  // v5: no retention.
  EXPECT_EQ(hex(request_bytes(layout_request(), 5)),
            "00 01 67 00 00 00 01 00 01 6d 00 00 00 01 00 01 74 00 00 00 01 00 00 00 00 00 00 00 "
            "00 00 00 00 05 ff ff");
  // v6: committed_leader_epoch after each offset. v7: group_instance_id after member_id.
  EXPECT_EQ(hex(request_bytes(layout_request(), 7)),
            "00 01 67 00 00 00 01 00 01 6d ff ff 00 00 00 01 00 01 74 00 00 00 01 00 00 00 00 00 "
            "00 00 00 00 00 00 05 00 00 00 02 ff ff");
}

TEST(OffsetCommitTest, RequestRoundTripsAtEveryVersion) {
  for (int16_t v = kMin; v <= kMax; ++v) {
    SCOPED_TRACE(v);
    std::vector<std::byte> bytes = request_bytes(sample_request(), v);
    auto decoded = decode_in(bytes, decode_request(v));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(decoded->group_id, "orders");
    EXPECT_EQ(decoded->generation_id, v >= 1 ? 3 : -1);
    EXPECT_EQ(decoded->member_id, v >= 1 ? "m-1" : "");
    EXPECT_EQ(decoded->group_instance_id,
              v >= 7 ? std::optional<std::string_view>("host-a") : std::nullopt);
    EXPECT_EQ(decoded->retention_time_ms, v >= 2 && v <= 4 ? 86400000 : -1);
    ASSERT_EQ(decoded->topics.size(), 2u);
    EXPECT_EQ(decoded->topics[0].name, "payments");
    ASSERT_EQ(decoded->topics[0].partitions.size(), 2u);
    const OffsetCommitPartition& p0 = decoded->topics[0].partitions[0];
    EXPECT_EQ(p0.partition_index, 0);
    EXPECT_EQ(p0.committed_offset, 42);
    EXPECT_EQ(p0.committed_leader_epoch, v >= 6 ? 5 : -1);
    EXPECT_EQ(p0.commit_timestamp, v == 1 ? 1700000000000 : -1);
    EXPECT_EQ(p0.committed_metadata, "meta");
    const OffsetCommitPartition& p1 = decoded->topics[0].partitions[1];
    EXPECT_EQ(p1.partition_index, 3);
    EXPECT_FALSE(p1.committed_metadata.has_value());
    EXPECT_EQ(decoded->topics[1].name, "empty");
    EXPECT_TRUE(decoded->topics[1].partitions.empty());
    expect_reencodes(bytes, decode_request(v), [v](Writer& w, const OffsetCommitRequest& req) {
      encode_offset_commit_request(w, req, v);
    });
    expect_truncations_fail(bytes, decode_request(v));
    expect_garbage_survives(bytes, decode_request(v), static_cast<uint32_t>(v));
  }
}

TEST(OffsetCommitTest, ResponseLayout) {
  OffsetCommitResponse r{8, {{"t", {{0, ErrorCode::none}, {1, ErrorCode::illegal_generation}}}}};
  // v0-2: topics [name, partitions [partition_index, error_code]].
  EXPECT_EQ(hex(response_bytes(r, 0)),
            "00 00 00 01 00 01 74 00 00 00 02 00 00 00 00 00 00 00 00 00 01 00 16");
  // v3+: throttle_time_ms first.
  EXPECT_EQ(hex(response_bytes(r, 3)),
            "00 00 00 08 00 00 00 01 00 01 74 00 00 00 02 00 00 00 00 00 00 00 00 00 01 00 16");
}

TEST(OffsetCommitTest, ResponseRoundTripsAtEveryVersion) {
  for (int16_t v = kMin; v <= kMax; ++v) {
    SCOPED_TRACE(v);
    OffsetCommitResponse r{
        30,
        {{"payments", {{0, ErrorCode::none}, {3, ErrorCode::unknown_topic_or_partition}}},
         {"orders", {{1, ErrorCode::rebalance_in_progress}}},
         {"none", {}}}};
    std::vector<std::byte> bytes = response_bytes(r, v);
    auto decoded = decode_copy(bytes, decode_response(v));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    if (v < 3) r.throttle_time_ms = 0;
    EXPECT_EQ(*decoded, r);
    expect_truncations_fail(bytes, decode_response(v));
    expect_garbage_survives(bytes, decode_response(v), 50 + static_cast<uint32_t>(v));
  }
}

TEST(OffsetCommitTest, MalformedFieldsAreNamed) {
  // v2 with a null topic name.
  Writer w;
  w.string("g");
  w.int32(1);
  w.string("m");
  w.int64(-1);
  w.int32(1);
  w.int16(-1);
  w.int32(0);
  auto decoded = decode_in(w.buffer(), decode_request(2));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message(), "OffsetCommit v2 request: topics[].name: null string");

  // v0 with a partition count its bytes cannot hold.
  Writer big;
  big.string("g");
  big.int32(1);
  big.string("t");
  big.int32(1000);
  big.int32(0);
  big.int64(0);
  big.int16(-1);
  decoded = decode_in(big.buffer(), decode_request(0));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message(),
            "OffsetCommit v0 request: topics[].partitions: bad array length");
}

TEST(OffsetCommitTest, VersionsOutsideTheRangeAreRefused) {
  std::vector<std::byte> bytes = request_bytes(sample_request(), kMax);
  for (int16_t v : {int16_t{-1}, int16_t{8}, int16_t{9}}) {
    EXPECT_EQ(decode_in(bytes, decode_request(v)).code(), Errc::invalid_argument) << v;
    EXPECT_EQ(decode_in(bytes, decode_response(v)).code(), Errc::invalid_argument) << v;
  }
}

}  // namespace
}  // namespace sluice::server::kafka
