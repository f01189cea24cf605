#include "server/kafka/find_coordinator.h"

#include "tests/server/kafka/group_codec_testing.h"

#include <gtest/gtest.h>

namespace sluice::server::kafka {
namespace {

using testing::hex;

constexpr int16_t kMaxVersion = 2;

FindCoordinatorRequest sample_request() {
  FindCoordinatorRequest request;
  request.key = "orders-group";
  request.key_type = static_cast<int8_t>(CoordinatorKeyType::transaction);
  return request;
}

FindCoordinatorResponse sample_response() {
  FindCoordinatorResponse response;
  response.throttle_time_ms = 7;
  response.error = ErrorCode::coordinator_not_available;
  response.error_message = "loading";
  response.node_id = 3;
  response.host = "127.0.0.1";
  response.port = 9092;
  return response;
}

// What survives a trip at `version`: the fields it lacks come back as their defaults.
FindCoordinatorResponse at_version(FindCoordinatorResponse response, int16_t version) {
  if (version < 1) {
    response.throttle_time_ms = 0;
    response.error_message.reset();
  }
  return response;
}

std::vector<std::byte> encode_request(const FindCoordinatorRequest& request, int16_t version) {
  Writer w;
  encode_find_coordinator_request(w, request, version);
  return w.buffer();
}

std::vector<std::byte> encode_response(const FindCoordinatorResponse& response, int16_t version) {
  Writer w;
  encode_find_coordinator_response(w, response, version);
  return w.buffer();
}

TEST(FindCoordinatorTest, RequestRoundTripsAtEveryVersion) {
  for (int16_t v = 0; v <= kMaxVersion; ++v) {
    std::vector<std::byte> frame = encode_request(sample_request(), v);
    Reader in(frame);
    auto decoded = decode_find_coordinator_request(in, v);
    ASSERT_TRUE(decoded.ok()) << v << ": " << decoded.error().to_string();
    EXPECT_EQ(decoded->key, "orders-group");
    EXPECT_EQ(decoded->key_type, v >= 1 ? 1 : 0) << v;
  }
}

TEST(FindCoordinatorTest, ResponseRoundTripsAtEveryVersion) {
  for (int16_t v = 0; v <= kMaxVersion; ++v) {
    std::vector<std::byte> frame = encode_response(sample_response(), v);
    Reader in(frame);
    auto decoded = decode_find_coordinator_response(in, v);
    ASSERT_TRUE(decoded.ok()) << v << ": " << decoded.error().to_string();
    EXPECT_EQ(*decoded, at_version(sample_response(), v)) << v;
  }
  // A null error message (the usual answer) stays null.
  FindCoordinatorResponse ok = sample_response();
  ok.error = ErrorCode::none;
  ok.error_message.reset();
  std::vector<std::byte> frame = encode_response(ok, 2);
  Reader in(frame);
  auto decoded = decode_find_coordinator_response(in, 2);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, ok);
}

TEST(FindCoordinatorTest, RequestBytesMatchTheGuide) {
  FindCoordinatorRequest request;
  request.key = "g1";
  request.key_type = 0;
  // v0: key (int16 length + bytes).
  EXPECT_EQ(hex(encode_request(request, 0)), "00 02 67 31");
  // v1: key, key_type (int8).
  EXPECT_EQ(hex(encode_request(request, 1)), "00 02 67 31 00");
}

TEST(FindCoordinatorTest, ResponseBytesMatchTheGuide) {
  FindCoordinatorResponse response;
  response.node_id = 1;
  response.host = "h";
  response.port = 9092;
  // v0: error_code, node_id, host, port.
  EXPECT_EQ(hex(encode_response(response, 0)), "00 00 00 00 00 01 00 01 68 00 00 23 84");
  // v1: throttle_time_ms, error_code, error_message (null: -1), node_id, host, port.
  EXPECT_EQ(hex(encode_response(response, 1)),
            "00 00 00 00 00 00 ff ff 00 00 00 01 00 01 68 00 00 23 84");
}

TEST(FindCoordinatorTest, TruncatedOrLongerFramesFailAtEveryVersion) {
  for (int16_t v = 0; v <= kMaxVersion; ++v) {
    SCOPED_TRACE(v);
    testing::expect_truncations_fail(encode_request(sample_request(), v), [v](Reader& in) {
      return decode_find_coordinator_request(in, v);
    });
    testing::expect_truncations_fail(encode_response(sample_response(), v), [v](Reader& in) {
      return decode_find_coordinator_response(in, v);
    });
  }
}

TEST(FindCoordinatorTest, GarbageFailsCleanly) {
  for (int16_t v = 0; v <= kMaxVersion; ++v) {
    testing::expect_garbage_survives(
        encode_request(sample_request(), v),
        [v](Reader& in) { return decode_find_coordinator_request(in, v); }, v);
    testing::expect_garbage_survives(
        encode_response(sample_response(), v),
        [v](Reader& in) { return decode_find_coordinator_response(in, v); }, v);
  }
}

TEST(FindCoordinatorTest, NullKeyIsRefusedNamingTheField) {
  Writer w;
  w.int16(-1);
  w.int8(0);
  Reader in(w.buffer());
  auto decoded = decode_find_coordinator_request(in, 1);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.code(), Errc::invalid_argument);
  EXPECT_EQ(decoded.error().message(), "FindCoordinator v1 request: key: null string");
}

TEST(FindCoordinatorTest, VersionsOutsideTheRangeAreRefused) {
  std::vector<std::byte> frame = encode_request(sample_request(), 2);
  for (int16_t v : {-1, 3, 4}) {
    Reader in(frame);
    auto decoded = decode_find_coordinator_request(in, v);
    ASSERT_FALSE(decoded.ok()) << v;
    EXPECT_EQ(decoded.code(), Errc::invalid_argument);
  }
}

}  // namespace
}  // namespace sluice::server::kafka
