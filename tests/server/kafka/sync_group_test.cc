#include "server/kafka/sync_group.h"

#include "server/kafka/api_keys.h"
#include "tests/server/kafka/codec_testing.h"

#include <gtest/gtest.h>

namespace sluice::server::kafka {
namespace {

using namespace codec_testing;

constexpr int16_t kMin = 0;
constexpr int16_t kMax = 3;

auto decode_request(int16_t version) {
  return [version](Reader& in) { return decode_sync_group_request(in, version); };
}
auto decode_response(int16_t version) {
  return [version](Reader& in) { return decode_sync_group_response(in, version); };
}
std::vector<std::byte> request_bytes(const SyncGroupRequest& r, int16_t version) {
  return encoded([&](Writer& w) { encode_sync_group_request(w, r, version); });
}
std::vector<std::byte> response_bytes(const SyncGroupResponse& r, int16_t version) {
  return encoded([&](Writer& w) { encode_sync_group_response(w, r, version); });
}

std::string str(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

SyncGroupRequest sample_request() {
  SyncGroupRequest r;
  r.group_id = "orders";
  r.generation_id = 7;
  r.member_id = "m-1";
  r.group_instance_id = "host-a";
  r.assignments = {{"m-1", as_bytes("assign-1")}, {"m-2", as_bytes("")}};
  return r;
}

TEST(SyncGroupTest, CoversTheAdvertisedRange) {
  std::optional<ApiRange> api = find_api(static_cast<int16_t>(ApiKey::sync_group));
  ASSERT_TRUE(api);
  EXPECT_EQ(api->min_version, kMin);
  EXPECT_EQ(api->max_version, kMax);
  EXPECT_FALSE(is_flexible(ApiKey::sync_group, kMax));
}

TEST(SyncGroupTest, RequestLayout) {
  std::vector<std::byte> assignment = bytes_of({1});
  SyncGroupRequest r{"g", 1, "m", std::nullopt, {{"m", assignment}}};
  // v0: group_id, generation_id, member_id, assignments [member_id, assignment (int32 length)].
  EXPECT_EQ(hex(request_bytes(r, 0)),
            "00 01 67 00 00 00 01 00 01 6d 00 00 00 01 00 01 6d 00 00 00 01 01");
  // v3: group_instance_id (null: -1) after member_id.
  EXPECT_EQ(hex(request_bytes(r, 3)),
            "00 01 67 00 00 00 01 00 01 6d ff ff 00 00 00 01 00 01 6d 00 00 00 01 01");
}

TEST(SyncGroupTest, RequestRoundTripsAtEveryVersion) {
  for (int16_t v = kMin; v <= kMax; ++v) {
    SCOPED_TRACE(v);
    std::vector<std::byte> bytes = request_bytes(sample_request(), v);
    auto decoded = decode_in(bytes, decode_request(v));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(decoded->group_id, "orders");
    EXPECT_EQ(decoded->generation_id, 7);
    EXPECT_EQ(decoded->member_id, "m-1");
    EXPECT_EQ(decoded->group_instance_id,
              v >= 3 ? std::optional<std::string_view>("host-a") : std::nullopt);
    ASSERT_EQ(decoded->assignments.size(), 2u);
    EXPECT_EQ(decoded->assignments[0].member_id, "m-1");
    EXPECT_EQ(str(decoded->assignments[0].assignment), "assign-1");
    EXPECT_EQ(decoded->assignments[1].member_id, "m-2");
    EXPECT_TRUE(decoded->assignments[1].assignment.empty());
    expect_reencodes(bytes, decode_request(v), [v](Writer& w, const SyncGroupRequest& req) {
      encode_sync_group_request(w, req, v);
    });
    expect_truncations_fail(bytes, decode_request(v));
    expect_garbage_survives(bytes, decode_request(v), static_cast<uint32_t>(v));
  }
}

TEST(SyncGroupTest, AFollowersRequestHasNoAssignments) {
  SyncGroupRequest r{"g", 2, "m-2", std::nullopt, {}};
  auto decoded = decode_in(request_bytes(r, 3), decode_request(3));
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(decoded->assignments.empty());
  EXPECT_FALSE(decoded->group_instance_id.has_value());
}

TEST(SyncGroupTest, ResponseLayout) {
  SyncGroupResponse r{9, ErrorCode::none, "\xaa\xbb"};
  // v0: error_code, assignment (int32 length).
  EXPECT_EQ(hex(response_bytes(r, 0)), "00 00 00 00 00 02 aa bb");
  // v1+: throttle_time_ms first.
  EXPECT_EQ(hex(response_bytes(r, 1)), "00 00 00 09 00 00 00 00 00 02 aa bb");
}

TEST(SyncGroupTest, ResponseRoundTripsAtEveryVersion) {
  for (int16_t v = kMin; v <= kMax; ++v) {
    SCOPED_TRACE(v);
    SyncGroupResponse r{15, ErrorCode::rebalance_in_progress, std::string("\x00\x01\x02", 3)};
    std::vector<std::byte> bytes = response_bytes(r, v);
    auto decoded = decode_copy(bytes, decode_response(v));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    if (v < 1) r.throttle_time_ms = 0;
    EXPECT_EQ(*decoded, r);
    expect_truncations_fail(bytes, decode_response(v));
    expect_garbage_survives(bytes, decode_response(v), 50 + static_cast<uint32_t>(v));
  }
}

TEST(SyncGroupTest, NullAssignmentNamesTheField) {
  Writer w;
  w.string("g");
  w.int32(1);
  w.string("m");
  w.int32(1);
  w.string("m");
  w.null_bytes();
  auto decoded = decode_in(w.buffer(), decode_request(1));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message(),
            "SyncGroup v1 request: assignments[].assignment: null bytes");
  // The response's assignment may not be null either.
  auto response = decode_in(bytes_of({0, 0, 0xff, 0xff, 0xff, 0xff}), decode_response(0));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().message(), "SyncGroup v0 response: assignment: null bytes");
}

TEST(SyncGroupTest, VersionsOutsideTheRangeAreRefused) {
  std::vector<std::byte> bytes = request_bytes(sample_request(), kMax);
  for (int16_t v : {int16_t{-1}, int16_t{4}, int16_t{5}}) {
    EXPECT_EQ(decode_in(bytes, decode_request(v)).code(), Errc::invalid_argument) << v;
    EXPECT_EQ(decode_in(bytes, decode_response(v)).code(), Errc::invalid_argument) << v;
  }
}

}  // namespace
}  // namespace sluice::server::kafka
