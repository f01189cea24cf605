#include "server/kafka/heartbeat.h"

#include "server/kafka/api_keys.h"
#include "tests/server/kafka/codec_testing.h"

#include <gtest/gtest.h>

namespace sluice::server::kafka {
namespace {

using namespace codec_testing;

constexpr int16_t kMin = 0;
constexpr int16_t kMax = 3;

auto decode_request(int16_t version) {
  return [version](Reader& in) { return decode_heartbeat_request(in, version); };
}
auto decode_response(int16_t version) {
  return [version](Reader& in) { return decode_heartbeat_response(in, version); };
}
std::vector<std::byte> request_bytes(const HeartbeatRequest& r, int16_t version) {
  return encoded([&](Writer& w) { encode_heartbeat_request(w, r, version); });
}
std::vector<std::byte> response_bytes(const HeartbeatResponse& r, int16_t version) {
  return encoded([&](Writer& w) { encode_heartbeat_response(w, r, version); });
}

TEST(HeartbeatTest, CoversTheAdvertisedRange) {
  std::optional<ApiRange> api = find_api(static_cast<int16_t>(ApiKey::heartbeat));
  ASSERT_TRUE(api);
  EXPECT_EQ(api->min_version, kMin);
  EXPECT_EQ(api->max_version, kMax);
  EXPECT_FALSE(is_flexible(ApiKey::heartbeat, kMax));
}

TEST(HeartbeatTest, RequestLayout) {
  HeartbeatRequest r{"g", 1, "m", "i"};
  // v0: group_id, generation_id, member_id.
  EXPECT_EQ(hex(request_bytes(r, 0)), "00 01 67 00 00 00 01 00 01 6d");
  // v3: group_instance_id after them.
  EXPECT_EQ(hex(request_bytes(r, 3)), "00 01 67 00 00 00 01 00 01 6d 00 01 69");
  r.group_instance_id.reset();
  EXPECT_EQ(hex(request_bytes(r, 3)), "00 01 67 00 00 00 01 00 01 6d ff ff");
}

TEST(HeartbeatTest, RequestRoundTripsAtEveryVersion) {
  for (int16_t v = kMin; v <= kMax; ++v) {
    SCOPED_TRACE(v);
    HeartbeatRequest r{"orders", 12, "m-1", "host-a"};
    std::vector<std::byte> bytes = request_bytes(r, v);
    auto decoded = decode_in(bytes, decode_request(v));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(decoded->group_id, "orders");
    EXPECT_EQ(decoded->generation_id, 12);
    EXPECT_EQ(decoded->member_id, "m-1");
    EXPECT_EQ(decoded->group_instance_id,
              v >= 3 ? std::optional<std::string_view>("host-a") : std::nullopt);
    expect_reencodes(bytes, decode_request(v), [v](Writer& w, const HeartbeatRequest& req) {
      encode_heartbeat_request(w, req, v);
    });
    expect_truncations_fail(bytes, decode_request(v));
    expect_garbage_survives(bytes, decode_request(v), static_cast<uint32_t>(v));
  }
}

TEST(HeartbeatTest, ResponseLayout) {
  HeartbeatResponse r{3, ErrorCode::rebalance_in_progress};
  EXPECT_EQ(hex(response_bytes(r, 0)), "00 1b");
  EXPECT_EQ(hex(response_bytes(r, 1)), "00 00 00 03 00 1b");
}

TEST(HeartbeatTest, ResponseRoundTripsAtEveryVersion) {
  for (int16_t v = kMin; v <= kMax; ++v) {
    SCOPED_TRACE(v);
    HeartbeatResponse r{25, ErrorCode::fenced_instance_id};
    std::vector<std::byte> bytes = response_bytes(r, v);
    auto decoded = decode_copy(bytes, decode_response(v));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    if (v < 1) r.throttle_time_ms = 0;
    EXPECT_EQ(*decoded, r);
    expect_truncations_fail(bytes, decode_response(v));
    expect_garbage_survives(bytes, decode_response(v), 50 + static_cast<uint32_t>(v));
  }
}

TEST(HeartbeatTest, NullMemberIdNamesTheField) {
  auto bytes = bytes_of({0, 1, 'g', 0, 0, 0, 1, 0xff, 0xff});
  auto decoded = decode_in(bytes, decode_request(2));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message(), "Heartbeat v2 request: member_id: null string");
}

TEST(HeartbeatTest, VersionsOutsideTheRangeAreRefused) {
  std::vector<std::byte> bytes = request_bytes({"g", 1, "m", std::nullopt}, kMax);
  for (int16_t v : {int16_t{-1}, int16_t{4}}) {
    EXPECT_EQ(decode_in(bytes, decode_request(v)).code(), Errc::invalid_argument) << v;
    EXPECT_EQ(decode_in(bytes, decode_response(v)).code(), Errc::invalid_argument) << v;
  }
}

}  // namespace
}  // namespace sluice::server::kafka
