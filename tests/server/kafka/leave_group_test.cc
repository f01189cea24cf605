#include "server/kafka/leave_group.h"

#include "server/kafka/api_keys.h"
#include "tests/server/kafka/codec_testing.h"

#include <gtest/gtest.h>

namespace sluice::server::kafka {
namespace {

using namespace codec_testing;

constexpr int16_t kMin = 0;
constexpr int16_t kMax = 3;

auto decode_request(int16_t version) {
  return [version](Reader& in) { return decode_leave_group_request(in, version); };
}
auto decode_response(int16_t version) {
  return [version](Reader& in) { return decode_leave_group_response(in, version); };
}
std::vector<std::byte> request_bytes(const LeaveGroupRequest& r, int16_t version) {
  return encoded([&](Writer& w) { encode_leave_group_request(w, r, version); });
}
std::vector<std::byte> response_bytes(const LeaveGroupResponse& r, int16_t version) {
  return encoded([&](Writer& w) { encode_leave_group_response(w, r, version); });
}

LeaveGroupResponse sample_response() {
  LeaveGroupResponse r;
  r.throttle_time_ms = 4;
  r.error = ErrorCode::none;
  r.members = {{"m-1", std::nullopt, ErrorCode::none},
               {"", "host-b", ErrorCode::unknown_member_id}};
  return r;
}

TEST(LeaveGroupTest, CoversTheAdvertisedRange) {
  std::optional<ApiRange> api = find_api(static_cast<int16_t>(ApiKey::leave_group));
  ASSERT_TRUE(api);
  EXPECT_EQ(api->min_version, kMin);
  EXPECT_EQ(api->max_version, kMax);
  EXPECT_FALSE(is_flexible(ApiKey::leave_group, kMax));
}

TEST(LeaveGroupTest, RequestLayout) {
  // v0-2: group_id, member_id.
  LeaveGroupRequest one{"g", {{"m", std::nullopt}}};
  EXPECT_EQ(hex(request_bytes(one, 0)), "00 01 67 00 01 6d");
  EXPECT_EQ(hex(request_bytes(one, 2)), "00 01 67 00 01 6d");
  // v3: group_id, members [member_id, group_instance_id].
  LeaveGroupRequest two{"g", {{"m", std::nullopt}, {"", "i"}}};
  EXPECT_EQ(hex(request_bytes(two, 3)), "00 01 67 00 00 00 02 00 01 6d ff ff 00 00 00 01 69");
}

TEST(LeaveGroupTest, RequestRoundTripsAtEveryVersion) {
  for (int16_t v = kMin; v <= kMax; ++v) {
    SCOPED_TRACE(v);
    LeaveGroupRequest r{"orders", {{"m-1", std::nullopt}}};
    if (v >= 3) r.members.push_back({"m-2", "host-b"});
    std::vector<std::byte> bytes = request_bytes(r, v);
    auto decoded = decode_in(bytes, decode_request(v));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(decoded->group_id, "orders");
    // Every version decodes into the list form.
    ASSERT_EQ(decoded->members.size(), v >= 3 ? 2u : 1u);
    EXPECT_EQ(decoded->members[0].member_id, "m-1");
    EXPECT_FALSE(decoded->members[0].group_instance_id.has_value());
    if (v >= 3) {
      EXPECT_EQ(decoded->members[1].member_id, "m-2");
      EXPECT_EQ(decoded->members[1].group_instance_id, "host-b");
    }
    expect_reencodes(bytes, decode_request(v), [v](Writer& w, const LeaveGroupRequest& req) {
      encode_leave_group_request(w, req, v);
    });
    expect_truncations_fail(bytes, decode_request(v));
    expect_garbage_survives(bytes, decode_request(v), static_cast<uint32_t>(v));
  }
}

TEST(LeaveGroupTest, ResponseLayout) {
  LeaveGroupResponse r;
  r.throttle_time_ms = 1;
  r.members = {{"m", std::nullopt, ErrorCode::none}, {"", "i", ErrorCode::unknown_member_id}};
  // v0: error_code.
  EXPECT_EQ(hex(response_bytes(r, 0)), "00 00");
  // v1-2: throttle_time_ms, error_code.
  EXPECT_EQ(hex(response_bytes(r, 2)), "00 00 00 01 00 00");
  // v3: then members [member_id, group_instance_id, error_code].
  EXPECT_EQ(hex(response_bytes(r, 3)),
            "00 00 00 01 00 00 00 00 00 02 00 01 6d ff ff 00 00 00 00 00 01 69 00 19");
}

TEST(LeaveGroupTest, ResponseRoundTripsAtEveryVersion) {
  for (int16_t v = kMin; v <= kMax; ++v) {
    SCOPED_TRACE(v);
    std::vector<std::byte> bytes = response_bytes(sample_response(), v);
    auto decoded = decode_copy(bytes, decode_response(v));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    LeaveGroupResponse expected = sample_response();
    if (v < 1) expected.throttle_time_ms = 0;
    if (v < 3) expected.members.clear();
    EXPECT_EQ(*decoded, expected);
    expect_truncations_fail(bytes, decode_response(v));
    expect_garbage_survives(bytes, decode_response(v), 50 + static_cast<uint32_t>(v));
  }
}

TEST(LeaveGroupTest, MalformedMembersNameTheField) {
  auto null_members = bytes_of({0, 1, 'g', 0xff, 0xff, 0xff, 0xff});
  auto decoded = decode_in(null_members, decode_request(3));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message(), "LeaveGroup v3 request: members: null array");

  auto null_member_id = bytes_of({0, 1, 'g', 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff});
  decoded = decode_in(null_member_id, decode_request(3));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message(), "LeaveGroup v3 request: members[].member_id: null string");
}

TEST(LeaveGroupTest, VersionsOutsideTheRangeAreRefused) {
  std::vector<std::byte> bytes = request_bytes({"g", {{"m", std::nullopt}}}, kMax);
  for (int16_t v : {int16_t{-1}, int16_t{4}}) {
    EXPECT_EQ(decode_in(bytes, decode_request(v)).code(), Errc::invalid_argument) << v;
    EXPECT_EQ(decode_in(bytes, decode_response(v)).code(), Errc::invalid_argument) << v;
  }
}

TEST(LeaveGroupDeathTest, EncodingSeveralMembersBeforeV3IsABug) {
  LeaveGroupRequest r{"g", {{"a", std::nullopt}, {"b", std::nullopt}}};
  EXPECT_DEATH((void)request_bytes(r, 2), "exactly one member");
}

}  // namespace
}  // namespace sluice::server::kafka
