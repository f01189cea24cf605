#include "server/kafka/offset_fetch.h"

#include "server/kafka/api_keys.h"
#include "tests/server/kafka/codec_testing.h"

#include <gtest/gtest.h>

namespace sluice::server::kafka {
namespace {

using namespace codec_testing;

constexpr int16_t kMin = 0;
constexpr int16_t kMax = 5;

auto decode_request(int16_t version) {
  return [version](Reader& in) { return decode_offset_fetch_request(in, version); };
}
auto decode_response(int16_t version) {
  return [version](Reader& in) { return decode_offset_fetch_response(in, version); };
}
std::vector<std::byte> request_bytes(const OffsetFetchRequest& r, int16_t version) {
  return encoded([&](Writer& w) { encode_offset_fetch_request(w, r, version); });
}
std::vector<std::byte> response_bytes(const OffsetFetchResponse& r, int16_t version) {
  return encoded([&](Writer& w) { encode_offset_fetch_response(w, r, version); });
}

OffsetFetchResponse sample_response() {
  OffsetFetchResponse r;
  r.throttle_time_ms = 11;
  r.topics = {{"payments",
               {{0, 42, 5, "meta", ErrorCode::none},
                {1, kNoCommittedOffset, -1, std::nullopt, ErrorCode::none},
                {9, kNoCommittedOffset, -1, "", ErrorCode::unknown_topic_or_partition}}},
              {"empty", {}}};
  r.error = ErrorCode::coordinator_load_in_progress;
  return r;
}

OffsetFetchResponse at_version(OffsetFetchResponse r, int16_t version) {
  if (version < 3) r.throttle_time_ms = 0;
  if (version < 2) r.error = ErrorCode::none;
  if (version < 5) {
    for (OffsetFetchTopicResponse& t : r.topics) {
      for (OffsetFetchPartitionResponse& p : t.partitions)
        p.committed_leader_epoch = -1;
    }
  }
  return r;
}

TEST(OffsetFetchTest, CoversTheAdvertisedRange) {
  std::optional<ApiRange> api = find_api(static_cast<int16_t>(ApiKey::offset_fetch));
  ASSERT_TRUE(api);
  EXPECT_EQ(api->min_version, kMin);
  EXPECT_EQ(api->max_version, kMax);
  EXPECT_FALSE(is_flexible(ApiKey::offset_fetch, kMax));
}

TEST(OffsetFetchTest, RequestLayout) {
  OffsetFetchRequest r{"g", std::vector<OffsetFetchTopic>{{"t", {0, 1}}}};
  // Every version: group_id, topics [name, partition_indexes [int32]].
  for (int16_t v = kMin; v <= kMax; ++v) {
    EXPECT_EQ(hex(request_bytes(r, v)),
              "00 01 67 00 00 00 01 00 01 74 00 00 00 02 00 00 00 00 00 00 00 01");
  }
  // v2+: a null topic array asks for every committed offset.
  EXPECT_EQ(hex(request_bytes({"g", std::nullopt}, 2)), "00 01 67 ff ff ff ff");
}

TEST(OffsetFetchTest, RequestRoundTripsAtEveryVersion) {
  for (int16_t v = kMin; v <= kMax; ++v) {
    SCOPED_TRACE(v);
    OffsetFetchRequest r{"orders",
                         std::vector<OffsetFetchTopic>{{"payments", {0, 1, 7}}, {"other", {}}}};
    std::vector<std::byte> bytes = request_bytes(r, v);
    auto decoded = decode_in(bytes, decode_request(v));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(decoded->group_id, "orders");
    ASSERT_TRUE(decoded->topics.has_value());
    ASSERT_EQ(decoded->topics->size(), 2u);
    EXPECT_EQ((*decoded->topics)[0].name, "payments");
    EXPECT_EQ((*decoded->topics)[0].partition_indexes, (std::vector<int32_t>{0, 1, 7}));
    EXPECT_EQ((*decoded->topics)[1].name, "other");
    EXPECT_TRUE((*decoded->topics)[1].partition_indexes.empty());
    expect_reencodes(bytes, decode_request(v), [v](Writer& w, const OffsetFetchRequest& req) {
      encode_offset_fetch_request(w, req, v);
    });
    expect_truncations_fail(bytes, decode_request(v));
    expect_garbage_survives(bytes, decode_request(v), static_cast<uint32_t>(v));
  }
}

TEST(OffsetFetchTest, AllTopicsFromV2Only) {
  std::vector<std::byte> all = bytes_of({0, 1, 'g', 0xff, 0xff, 0xff, 0xff});
  for (int16_t v = 2; v <= kMax; ++v) {
    auto decoded = decode_in(all, decode_request(v));
    ASSERT_TRUE(decoded.ok()) << v << ": " << decoded.error().to_string();
    EXPECT_FALSE(decoded->topics.has_value());
    expect_truncations_fail(all, decode_request(v));
  }
  for (int16_t v : {0, 1}) {
    auto decoded = decode_in(all, decode_request(v));
    ASSERT_FALSE(decoded.ok()) << v;
    EXPECT_EQ(decoded.error().message(), "OffsetFetch v" + std::to_string(v) +
                                             " request: topics: null array (all topics needs v2+)");
  }
}

TEST(OffsetFetchTest, ResponseLayoutByVersion) {
  OffsetFetchResponse r{1, {{"t", {{0, 5, 2, "", ErrorCode::none}}}}, ErrorCode::none};
  // v0-1: topics [name, partitions [partition_index, committed_offset, metadata, error_code]].
  EXPECT_EQ(hex(response_bytes(r, 0)),
            "00 00 00 01 00 01 74 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 05 00 00 00 00");
  // v2: the group's error_code after the topics.
  EXPECT_EQ(hex(response_bytes(r, 2)),
            "00 00 00 01 00 01 74 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 05 00 00 00 00 00 "
            "00");
  // v3: throttle_time_ms first. v5: committed_leader_epoch after the offset.
  EXPECT_EQ(hex(response_bytes(r, 5)),
            "00 00 00 01 00 00 00 01 00 01 74 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 05 00 "
            "00 00 02 00 00 00 00 00 00");
}

TEST(OffsetFetchTest, ResponseRoundTripsAtEveryVersion) {
  for (int16_t v = kMin; v <= kMax; ++v) {
    SCOPED_TRACE(v);
    std::vector<std::byte> bytes = response_bytes(sample_response(), v);
    auto decoded = decode_copy(bytes, decode_response(v));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(*decoded, at_version(sample_response(), v));
    expect_truncations_fail(bytes, decode_response(v));
    expect_garbage_survives(bytes, decode_response(v), 50 + static_cast<uint32_t>(v));
  }
}

TEST(OffsetFetchTest, NoCommittedOffsetIsMinusOne) {
  OffsetFetchResponse r{0, {{"t", {{0, kNoCommittedOffset, -1, "", ErrorCode::none}}}}, {}};
  std::vector<std::byte> bytes = response_bytes(r, 1);
  // partition 0, offset -1 (eight 0xff bytes).
  EXPECT_NE(hex(bytes).find("00 00 00 00 ff ff ff ff ff ff ff ff"), std::string::npos);
  OffsetFetchPartitionResponse fresh;
  EXPECT_EQ(fresh.committed_offset, -1);
}

TEST(OffsetFetchTest, MalformedPartitionIndexesNameTheField) {
  auto bytes = bytes_of({0, 1, 'g', 0, 0, 0, 1, 0, 1, 't', 0xff, 0xff, 0xff, 0xff});
  auto decoded = decode_in(bytes, decode_request(3));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message(),
            "OffsetFetch v3 request: topics[].partition_indexes: null array");
}

TEST(OffsetFetchTest, VersionsOutsideTheRangeAreRefused) {
  std::vector<std::byte> bytes = request_bytes({"g", std::nullopt}, kMax);
  for (int16_t v : {int16_t{-1}, int16_t{6}, int16_t{7}}) {
    EXPECT_EQ(decode_in(bytes, decode_request(v)).code(), Errc::invalid_argument) << v;
    EXPECT_EQ(decode_in(bytes, decode_response(v)).code(), Errc::invalid_argument) << v;
  }
}

TEST(OffsetFetchDeathTest, AllTopicsBeforeV2IsABug) {
  EXPECT_DEATH((void)request_bytes({"g", std::nullopt}, 1), "from v2 only");
}

}  // namespace
}  // namespace sluice::server::kafka
