#include "server/kafka/join_group.h"

#include "server/kafka/api_keys.h"
#include "tests/server/kafka/codec_testing.h"

#include <gtest/gtest.h>

namespace sluice::server::kafka {
namespace {

using namespace codec_testing;

constexpr int16_t kMin = 0;
constexpr int16_t kMax = 5;

auto decode_request(int16_t version) {
  return [version](Reader& in) { return decode_join_group_request(in, version); };
}
auto decode_response(int16_t version) {
  return [version](Reader& in) { return decode_join_group_response(in, version); };
}
std::vector<std::byte> request_bytes(const JoinGroupRequest& r, int16_t version) {
  return encoded([&](Writer& w) { encode_join_group_request(w, r, version); });
}
std::vector<std::byte> response_bytes(const JoinGroupResponse& r, int16_t version) {
  return encoded([&](Writer& w) { encode_join_group_response(w, r, version); });
}

std::string str(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

JoinGroupRequest sample_request() {
  JoinGroupRequest r;
  r.group_id = "orders";
  r.session_timeout_ms = 10000;
  r.rebalance_timeout_ms = 30000;
  r.member_id = "rdkafka-1f2e";
  r.group_instance_id = "host-a";
  r.protocol_type = "consumer";
  r.protocols = {{"range", as_bytes("sub-range")}, {"roundrobin", as_bytes("")}};
  return r;
}

JoinGroupResponse sample_response() {
  JoinGroupResponse r;
  r.throttle_time_ms = 12;
  r.error = ErrorCode::none;
  r.generation_id = 4;
  r.protocol_name = "range";
  r.leader = "m-1";
  r.member_id = "m-2";
  r.members = {{"m-1", "host-a", std::string("\x00\x01", 2)}, {"m-2", std::nullopt, ""}};
  return r;
}

JoinGroupResponse at_version(JoinGroupResponse r, int16_t version) {
  if (version < 2) r.throttle_time_ms = 0;
  if (version < 5) {
    for (JoinGroupMember& m : r.members)
      m.group_instance_id.reset();
  }
  return r;
}

TEST(JoinGroupTest, CoversTheAdvertisedRange) {
  std::optional<ApiRange> api = find_api(static_cast<int16_t>(ApiKey::join_group));
  ASSERT_TRUE(api);
  EXPECT_EQ(api->min_version, kMin);
  EXPECT_EQ(api->max_version, kMax);
  EXPECT_FALSE(is_flexible(ApiKey::join_group, kMax));
}

TEST(JoinGroupTest, RequestLayout) {
  JoinGroupRequest r;
  r.group_id = "g";
  r.session_timeout_ms = 10000;
  r.rebalance_timeout_ms = 30000;
  r.protocol_type = "c";
  std::vector<std::byte> metadata = bytes_of({1, 2});  // outlives the request's view of it
  r.protocols = {{"r", metadata}};
  // v0: group_id, session_timeout_ms, member_id (empty), protocol_type, protocols [name,
  // metadata (int32 length)].
  EXPECT_EQ(hex(request_bytes(r, 0)),
            "00 01 67 00 00 27 10 00 00 00 01 63 00 00 00 01 00 01 72 00 00 00 02 01 02");
  // v1: rebalance_timeout_ms after the session timeout.
  EXPECT_EQ(hex(request_bytes(r, 1)),
            "00 01 67 00 00 27 10 00 00 75 30 00 00 00 01 63 00 00 00 01 00 01 72 00 00 00 02 01 "
            "02");
  // v5: group_instance_id (null: -1) after member_id.
  EXPECT_EQ(hex(request_bytes(r, 5)),
            "00 01 67 00 00 27 10 00 00 75 30 00 00 ff ff 00 01 63 00 00 00 01 00 01 72 00 00 00 "
            "02 01 02");
}

TEST(JoinGroupTest, RequestRoundTripsAtEveryVersion) {
  for (int16_t v = kMin; v <= kMax; ++v) {
    SCOPED_TRACE(v);
    std::vector<std::byte> bytes = request_bytes(sample_request(), v);
    auto decoded = decode_in(bytes, decode_request(v));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(decoded->group_id, "orders");
    EXPECT_EQ(decoded->session_timeout_ms, 10000);
    EXPECT_EQ(decoded->rebalance_timeout_ms, v >= 1 ? 30000 : -1);
    EXPECT_EQ(decoded->member_id, "rdkafka-1f2e");
    EXPECT_EQ(decoded->group_instance_id,
              v >= 5 ? std::optional<std::string_view>("host-a") : std::nullopt);
    EXPECT_EQ(decoded->protocol_type, "consumer");
    ASSERT_EQ(decoded->protocols.size(), 2u);
    EXPECT_EQ(decoded->protocols[0].name, "range");
    EXPECT_EQ(str(decoded->protocols[0].metadata), "sub-range");
    EXPECT_EQ(decoded->protocols[1].name, "roundrobin");
    EXPECT_TRUE(decoded->protocols[1].metadata.empty());
    expect_reencodes(bytes, decode_request(v), [v](Writer& w, const JoinGroupRequest& req) {
      encode_join_group_request(w, req, v);
    });
    expect_truncations_fail(bytes, decode_request(v));
    expect_garbage_survives(bytes, decode_request(v), static_cast<uint32_t>(v));
  }
}

TEST(JoinGroupTest, ResponseLayout) {
  JoinGroupResponse r;
  r.generation_id = 1;
  r.protocol_name = "r";
  r.leader = "m";
  r.member_id = "m";
  r.members = {{"m", "i", "\x01"}};
  // v0: error_code, generation_id, protocol_name, leader, member_id, members [member_id,
  // metadata (int32 length)].
  EXPECT_EQ(hex(response_bytes(r, 0)),
            "00 00 00 00 00 01 00 01 72 00 01 6d 00 01 6d 00 00 00 01 00 01 6d 00 00 00 01 01");
  // v2: throttle_time_ms first. v5: each member's group_instance_id after its member_id.
  EXPECT_EQ(hex(response_bytes(r, 5)),
            "00 00 00 00 00 00 00 00 00 01 00 01 72 00 01 6d 00 01 6d 00 00 00 01 00 01 6d 00 01 "
            "69 00 00 00 01 01");
}

TEST(JoinGroupTest, ResponseRoundTripsAtEveryVersion) {
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

TEST(JoinGroupTest, AFollowersAnswerHasNoMembers) {
  JoinGroupResponse r = sample_response();
  r.error = ErrorCode::member_id_required;
  r.members.clear();
  auto decoded = decode_copy(response_bytes(r, 4), decode_response(4));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, r);
}

TEST(JoinGroupTest, NullMetadataNamesTheField) {
  Writer w;
  w.string("g");
  w.int32(10000);
  w.string("");
  w.string("consumer");
  w.int32(1);
  w.string("range");
  w.null_bytes();
  auto decoded = decode_in(w.buffer(), decode_request(0));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message(), "JoinGroup v0 request: protocols[].metadata: null bytes");
}

TEST(JoinGroupTest, NullProtocolsAndHugeCountsFail) {
  for (int32_t count : {-1, 1 << 30, -7}) {
    Writer w;
    w.string("g");
    w.int32(10000);
    w.string("");
    w.string("consumer");
    w.int32(count);
    auto decoded = decode_in(w.buffer(), decode_request(0));
    ASSERT_FALSE(decoded.ok()) << count;
    EXPECT_NE(decoded.error().message().find("protocols"), std::string::npos)
        << decoded.error().message();
  }
}

TEST(JoinGroupTest, VersionsOutsideTheRangeAreRefused) {
  std::vector<std::byte> bytes = request_bytes(sample_request(), kMax);
  for (int16_t v : {int16_t{-1}, int16_t{6}, int16_t{9}}) {
    EXPECT_EQ(decode_in(bytes, decode_request(v)).code(), Errc::invalid_argument) << v;
    EXPECT_EQ(decode_in(bytes, decode_response(v)).code(), Errc::invalid_argument) << v;
  }
}

}  // namespace
}  // namespace sluice::server::kafka
