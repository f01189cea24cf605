#include "server/kafka/describe_groups.h"

#include "server/kafka/api_keys.h"
#include "tests/server/kafka/codec_testing.h"

#include <gtest/gtest.h>

namespace sluice::server::kafka {
namespace {

using namespace codec_testing;

constexpr int16_t kMin = 0;
constexpr int16_t kMax = 4;

auto decode_request(int16_t version) {
  return [version](Reader& in) { return decode_describe_groups_request(in, version); };
}
auto decode_response(int16_t version) {
  return [version](Reader& in) { return decode_describe_groups_response(in, version); };
}
std::vector<std::byte> request_bytes(const DescribeGroupsRequest& r, int16_t version) {
  return encoded([&](Writer& w) { encode_describe_groups_request(w, r, version); });
}
std::vector<std::byte> response_bytes(const DescribeGroupsResponse& r, int16_t version) {
  return encoded([&](Writer& w) { encode_describe_groups_response(w, r, version); });
}

DescribeGroupsResponse sample_response() {
  DescribedGroup stable;
  stable.group_id = "orders";
  stable.group_state = "Stable";
  stable.protocol_type = "consumer";
  stable.protocol_data = "range";
  stable.members = {
      {"m-1", "host-a", "rdkafka", "/127.0.0.1", std::string("\x00\x01sub", 5), "\x00\x02"},
      {"m-2", std::nullopt, "kafkajs", "/10.0.0.2", "", ""}};
  stable.authorized_operations = 0x0f00;
  DescribedGroup dead;
  dead.error = ErrorCode::group_id_not_found;
  dead.group_id = "gone";
  dead.group_state = "Dead";
  return DescribeGroupsResponse{17, {stable, dead}};
}

DescribeGroupsResponse at_version(DescribeGroupsResponse r, int16_t version) {
  if (version < 1) r.throttle_time_ms = 0;
  for (DescribedGroup& g : r.groups) {
    if (version < 3) g.authorized_operations = kAuthorizedOperationsOmitted;
    if (version < 4) {
      for (DescribedGroupMember& m : g.members)
        m.group_instance_id.reset();
    }
  }
  return r;
}

TEST(DescribeGroupsTest, CoversTheAdvertisedRange) {
  std::optional<ApiRange> api = find_api(static_cast<int16_t>(ApiKey::describe_groups));
  ASSERT_TRUE(api);
  EXPECT_EQ(api->min_version, kMin);
  EXPECT_EQ(api->max_version, kMax);
  EXPECT_FALSE(is_flexible(ApiKey::describe_groups, kMax));
}

TEST(DescribeGroupsTest, RequestLayout) {
  DescribeGroupsRequest r{{"g"}, true};
  // v0-2: groups [string].
  EXPECT_EQ(hex(request_bytes(r, 0)), "00 00 00 01 00 01 67");
  // v3+: include_authorized_operations (int8) after them.
  EXPECT_EQ(hex(request_bytes(r, 3)), "00 00 00 01 00 01 67 01");
}

TEST(DescribeGroupsTest, RequestRoundTripsAtEveryVersion) {
  for (int16_t v = kMin; v <= kMax; ++v) {
    SCOPED_TRACE(v);
    DescribeGroupsRequest r{{"orders", "payments", ""}, true};
    std::vector<std::byte> bytes = request_bytes(r, v);
    auto decoded = decode_in(bytes, decode_request(v));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(decoded->groups, r.groups);
    EXPECT_EQ(decoded->include_authorized_operations, v >= 3);
    expect_reencodes(bytes, decode_request(v), [v](Writer& w, const DescribeGroupsRequest& req) {
      encode_describe_groups_request(w, req, v);
    });
    expect_truncations_fail(bytes, decode_request(v));
    expect_garbage_survives(bytes, decode_request(v), static_cast<uint32_t>(v));
  }
}

TEST(DescribeGroupsTest, ResponseLayout) {
  DescribedGroup g;
  g.group_id = "g";
  g.group_state = "S";
  g.protocol_type = "c";
  g.protocol_data = "r";
  g.members = {{"m", std::nullopt, "c", "h", "\x01", "\x02"}};
  DescribeGroupsResponse r{0, {g}};
  // v0: groups [error_code, group_id, group_state, protocol_type, protocol_data, members
  // [member_id, client_id, client_host, member_metadata, member_assignment]].
  EXPECT_EQ(hex(response_bytes(r, 0)),
            "00 00 00 01 00 00 00 01 67 00 01 53 00 01 63 00 01 72 00 00 00 01 00 01 6d 00 01 63 "
            "00 01 68 00 00 00 01 01 00 00 00 01 02");
  // v1: throttle_time_ms first. v3: authorized_operations ends each group (not asked for:
  // INT32_MIN). v4: each member's group_instance_id after its member_id.
  EXPECT_EQ(hex(response_bytes(r, 4)),
            "00 00 00 00 00 00 00 01 00 00 00 01 67 00 01 53 00 01 63 00 01 72 00 00 00 01 00 01 "
            "6d ff ff 00 01 63 00 01 68 00 00 00 01 01 00 00 00 01 02 80 00 00 00");
}

TEST(DescribeGroupsTest, ResponseRoundTripsAtEveryVersion) {
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

TEST(DescribeGroupsTest, MalformedFieldsAreNamed) {
  auto null_group = bytes_of({0, 0, 0, 1, 0xff, 0xff});
  auto decoded = decode_in(null_group, decode_request(0));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message(), "DescribeGroups v0 request: groups[]: null string");

  // A response member whose assignment is null.
  DescribedGroup g;
  g.members = {{"m", std::nullopt, "c", "h", "", ""}};
  std::vector<std::byte> bytes = response_bytes({0, {g}}, 0);
  for (size_t i = bytes.size() - 4; i < bytes.size(); ++i)
    bytes[i] = std::byte{0xff};
  auto response = decode_copy(bytes, decode_response(0));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().message(),
            "DescribeGroups v0 response: groups[].members[].member_assignment: null bytes");
}

TEST(DescribeGroupsTest, VersionsOutsideTheRangeAreRefused) {
  std::vector<std::byte> bytes = request_bytes({{"g"}, false}, kMax);
  for (int16_t v : {int16_t{-1}, int16_t{5}, int16_t{6}}) {
    EXPECT_EQ(decode_in(bytes, decode_request(v)).code(), Errc::invalid_argument) << v;
    EXPECT_EQ(decode_in(bytes, decode_response(v)).code(), Errc::invalid_argument) << v;
  }
}

}  // namespace
}  // namespace sluice::server::kafka
