#include "server/kafka/list_groups.h"

#include "server/kafka/api_keys.h"
#include "tests/server/kafka/codec_testing.h"

#include <gtest/gtest.h>

namespace sluice::server::kafka {
namespace {

using namespace codec_testing;

constexpr int16_t kMin = 0;
constexpr int16_t kMax = 2;

auto decode_request(int16_t version) {
  return [version](Reader& in) { return decode_list_groups_request(in, version); };
}
auto decode_response(int16_t version) {
  return [version](Reader& in) { return decode_list_groups_response(in, version); };
}
std::vector<std::byte> response_bytes(const ListGroupsResponse& r, int16_t version) {
  return encoded([&](Writer& w) { encode_list_groups_response(w, r, version); });
}

TEST(ListGroupsTest, CoversTheAdvertisedRange) {
  std::optional<ApiRange> api = find_api(static_cast<int16_t>(ApiKey::list_groups));
  ASSERT_TRUE(api);
  EXPECT_EQ(api->min_version, kMin);
  EXPECT_EQ(api->max_version, kMax);
  EXPECT_FALSE(is_flexible(ApiKey::list_groups, kMax));
}

TEST(ListGroupsTest, RequestIsEmptyAtEveryVersion) {
  for (int16_t v = kMin; v <= kMax; ++v) {
    SCOPED_TRACE(v);
    std::vector<std::byte> bytes =
        encoded([&](Writer& w) { encode_list_groups_request(w, ListGroupsRequest{}, v); });
    EXPECT_TRUE(bytes.empty());
    EXPECT_TRUE(decode_in(bytes, decode_request(v)).ok());
    expect_truncations_fail(bytes, decode_request(v));  // a byte after the header fails
    expect_garbage_survives(bytes, decode_request(v), static_cast<uint32_t>(v));
  }
}

TEST(ListGroupsTest, ResponseLayout) {
  ListGroupsResponse r{5, ErrorCode::none, {{"g", "c"}}};
  // v0: error_code, groups [group_id, protocol_type].
  EXPECT_EQ(hex(response_bytes(r, 0)), "00 00 00 00 00 01 00 01 67 00 01 63");
  // v1+: throttle_time_ms first.
  EXPECT_EQ(hex(response_bytes(r, 1)), "00 00 00 05 00 00 00 00 00 01 00 01 67 00 01 63");
}

TEST(ListGroupsTest, ResponseRoundTripsAtEveryVersion) {
  for (int16_t v = kMin; v <= kMax; ++v) {
    SCOPED_TRACE(v);
    ListGroupsResponse r{9,
                         ErrorCode::coordinator_load_in_progress,
                         {{"orders", "consumer"}, {"connect-x", "connect"}, {"fresh", ""}}};
    std::vector<std::byte> bytes = response_bytes(r, v);
    auto decoded = decode_copy(bytes, decode_response(v));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    if (v < 1) r.throttle_time_ms = 0;
    EXPECT_EQ(*decoded, r);
    expect_truncations_fail(bytes, decode_response(v));
    expect_garbage_survives(bytes, decode_response(v), 50 + static_cast<uint32_t>(v));
  }
}

TEST(ListGroupsTest, MalformedResponseNamesTheField) {
  auto bytes = bytes_of({0, 0, 0, 0, 0, 1, 0, 1, 'g', 0xff, 0xff});
  auto decoded = decode_in(bytes, decode_response(0));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message(),
            "ListGroups v0 response: groups[].protocol_type: null string");
}

TEST(ListGroupsTest, VersionsOutsideTheRangeAreRefused) {
  std::vector<std::byte> empty;
  for (int16_t v : {int16_t{-1}, int16_t{3}, int16_t{4}}) {
    EXPECT_EQ(decode_in(empty, decode_request(v)).code(), Errc::invalid_argument) << v;
    EXPECT_EQ(decode_in(empty, decode_response(v)).code(), Errc::invalid_argument) << v;
  }
}

}  // namespace
}  // namespace sluice::server::kafka
