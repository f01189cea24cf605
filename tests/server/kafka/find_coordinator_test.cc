#include "server/kafka/find_coordinator.h"

#include "server/kafka/api_keys.h"
#include "tests/server/kafka/codec_testing.h"

#include <gtest/gtest.h>

namespace sluice::server::kafka {
namespace {

using namespace codec_testing;

constexpr int16_t kMin = 0;
constexpr int16_t kMax = 2;

auto decode_request(int16_t version) {
  return [version](Reader& in) { return decode_find_coordinator_request(in, version); };
}
auto decode_response(int16_t version) {
  return [version](Reader& in) { return decode_find_coordinator_response(in, version); };
}
std::vector<std::byte> request_bytes(const FindCoordinatorRequest& r, int16_t version) {
  return encoded([&](Writer& w) { encode_find_coordinator_request(w, r, version); });
}
std::vector<std::byte> response_bytes(const FindCoordinatorResponse& r, int16_t version) {
  return encoded([&](Writer& w) { encode_find_coordinator_response(w, r, version); });
}

FindCoordinatorResponse sample_response() {
  FindCoordinatorResponse r;
  r.throttle_time_ms = 7;
  r.error = ErrorCode::coordinator_not_available;
  r.error_message = "loading";
  r.node_id = 3;
  r.host = "127.0.0.1";
  r.port = 9092;
  return r;
}

// What survives a trip at `version`: the fields it lacks come back as their defaults.
FindCoordinatorResponse at_version(FindCoordinatorResponse r, int16_t version) {
  if (version < 1) {
    r.throttle_time_ms = 0;
    r.error_message.reset();
  }
  return r;
}

TEST(FindCoordinatorTest, CoversTheAdvertisedRange) {
  std::optional<ApiRange> api = find_api(static_cast<int16_t>(ApiKey::find_coordinator));
  ASSERT_TRUE(api);
  EXPECT_EQ(api->min_version, kMin);
  EXPECT_EQ(api->max_version, kMax);
  EXPECT_FALSE(is_flexible(ApiKey::find_coordinator, kMax));  // the codec is classic only
}

TEST(FindCoordinatorTest, RequestLayout) {
  FindCoordinatorRequest r{"g1", 0};
  // v0: key (int16 length, bytes).
  EXPECT_EQ(hex(request_bytes(r, 0)), "00 02 67 31");
  // v1+: key, key_type (int8).
  EXPECT_EQ(hex(request_bytes(r, 1)), "00 02 67 31 00");
}

TEST(FindCoordinatorTest, RequestRoundTripsAtEveryVersion) {
  for (int16_t v = kMin; v <= kMax; ++v) {
    SCOPED_TRACE(v);
    FindCoordinatorRequest r{"orders-group", static_cast<int8_t>(CoordinatorKeyType::transaction)};
    std::vector<std::byte> bytes = request_bytes(r, v);
    auto decoded = decode_in(bytes, decode_request(v));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(decoded->key, "orders-group");
    EXPECT_EQ(decoded->key_type, v >= 1 ? 1 : 0);  // v0 asks for a group's coordinator
    expect_reencodes(bytes, decode_request(v), [v](Writer& w, const FindCoordinatorRequest& req) {
      encode_find_coordinator_request(w, req, v);
    });
    expect_truncations_fail(bytes, decode_request(v));
    expect_garbage_survives(bytes, decode_request(v), static_cast<uint32_t>(v));
  }
}

TEST(FindCoordinatorTest, ResponseLayout) {
  FindCoordinatorResponse r;
  r.node_id = 1;
  r.host = "h";
  r.port = 9092;
  // v0: error_code, node_id, host, port.
  EXPECT_EQ(hex(response_bytes(r, 0)), "00 00 00 00 00 01 00 01 68 00 00 23 84");
  // v1+: throttle_time_ms, error_code, error_message (null: -1), node_id, host, port.
  EXPECT_EQ(hex(response_bytes(r, 1)), "00 00 00 00 00 00 ff ff 00 00 00 01 00 01 68 00 00 23 84");
}

TEST(FindCoordinatorTest, ResponseRoundTripsAtEveryVersion) {
  for (int16_t v = kMin; v <= kMax; ++v) {
    SCOPED_TRACE(v);
    std::vector<std::byte> bytes = response_bytes(sample_response(), v);
    auto decoded = decode_copy(bytes, decode_response(v));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(*decoded, at_version(sample_response(), v));
    expect_truncations_fail(bytes, decode_response(v));
    expect_garbage_survives(bytes, decode_response(v), 50 + static_cast<uint32_t>(v));
  }
  // The usual answer: no error, a null message.
  FindCoordinatorResponse ok = sample_response();
  ok.error = ErrorCode::none;
  ok.error_message.reset();
  auto decoded = decode_copy(response_bytes(ok, 2), decode_response(2));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, ok);
}

TEST(FindCoordinatorTest, NullKeyNamesTheField) {
  auto bytes = bytes_of({0xff, 0xff, 0});
  auto decoded = decode_in(bytes, decode_request(1));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.code(), Errc::invalid_argument);
  EXPECT_EQ(decoded.error().message(), "FindCoordinator v1 request: key: null string");
}

TEST(FindCoordinatorTest, VersionsOutsideTheRangeAreRefused) {
  std::vector<std::byte> bytes = request_bytes({"g", 0}, 2);
  for (int16_t v : {-1, 3, 4}) {
    auto decoded = decode_in(bytes, decode_request(v));
    ASSERT_FALSE(decoded.ok()) << v;
    EXPECT_EQ(decoded.code(), Errc::invalid_argument);
    EXPECT_EQ(decode_in(bytes, decode_response(v)).code(), Errc::invalid_argument);
  }
}

}  // namespace
}  // namespace sluice::server::kafka
