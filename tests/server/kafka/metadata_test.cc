#include "server/kafka/metadata.h"

#include "tests/server/kafka/codec_testing.h"

#include <gtest/gtest.h>

namespace sluice::server::kafka {
namespace {

using namespace codec_testing;

constexpr int16_t kMin = 0;
constexpr int16_t kMax = 6;

auto decode_request(int16_t version) {
  return [version](Reader& in) { return decode_metadata_request(in, version); };
}
auto decode_response(int16_t version) {
  return [version](Reader& in) { return decode_metadata_response(in, version); };
}

MetadataResponse sample_response() {
  MetadataResponse r;
  r.throttle_time_ms = 3;
  r.brokers = {{1, "127.0.0.1", 9092, "rack-a"}, {2, "localhost", 9093, std::nullopt}};
  r.cluster_id = "sluice";
  r.controller_id = 1;
  MetadataTopic orders{0, "orders", false, {}};
  orders.partitions.push_back({0, 0, 1, {1}, {1}, {}});
  orders.partitions.push_back({0, 1, 1, {1, 2}, {1}, {2}});
  MetadataTopic missing{3, "missing", false, {}};
  MetadataTopic internal{0, "__consumer_offsets", true, {}};
  internal.partitions.push_back({5, 0, -1, {}, {}, {}});
  r.topics = {orders, missing, internal};
  return r;
}

// What a response looks like after a trip through `version`: fields the version lacks are
// their defaults.
MetadataResponse at_version(MetadataResponse r, int16_t version) {
  if (version < 3) r.throttle_time_ms = 0;
  if (version < 2) r.cluster_id.reset();
  if (version < 1) {
    r.controller_id = -1;
    for (MetadataBroker& b : r.brokers)
      b.rack.reset();
    for (MetadataTopic& t : r.topics)
      t.is_internal = false;
  }
  if (version < 5) {
    for (MetadataTopic& t : r.topics)
      for (MetadataPartition& p : t.partitions)
        p.offline_replicas.clear();
  }
  return r;
}

TEST(MetadataTest, RequestV0Layout) {
  MetadataRequest request;
  request.topics = std::vector<std::string_view>{"ab"};
  std::vector<std::byte> bytes =
      encoded([&](Writer& w) { encode_metadata_request(w, request, 0); });
  EXPECT_EQ(hex(bytes), "00 00 00 01 00 02 61 62");
  // v4 adds allow_auto_topic_creation; every topic is a null array from v1.
  request.allow_auto_topic_creation = false;
  bytes = encoded([&](Writer& w) { encode_metadata_request(w, request, 4); });
  EXPECT_EQ(hex(bytes), "00 00 00 01 00 02 61 62 00");
  bytes = encoded([](Writer& w) { encode_metadata_request(w, MetadataRequest{}, 4); });
  EXPECT_EQ(hex(bytes), "ff ff ff ff 01");
}

TEST(MetadataTest, EveryTopicIsEmptyAtV0AndNullFromV1) {
  auto empty = bytes_of({0, 0, 0, 0});
  auto v0 = decode_in(empty, decode_request(0));
  ASSERT_TRUE(v0.ok());
  EXPECT_FALSE(v0->topics.has_value());  // v0: empty means every topic
  auto v1 = decode_in(empty, decode_request(1));
  ASSERT_TRUE(v1.ok());
  ASSERT_TRUE(v1->topics.has_value());  // v1+: empty means none
  EXPECT_TRUE(v1->topics->empty());
  auto null = bytes_of({0xff, 0xff, 0xff, 0xff});
  auto v1_null = decode_in(null, decode_request(1));
  ASSERT_TRUE(v1_null.ok());
  EXPECT_FALSE(v1_null->topics.has_value());
  EXPECT_TRUE(v1_null->allow_auto_topic_creation);
  // v0 has no null array.
  auto v0_null = decode_in(null, decode_request(0));
  ASSERT_FALSE(v0_null.ok());
  EXPECT_EQ(v0_null.error().message(), "Metadata v0 request: topics: null array");
}

TEST(MetadataTest, RequestRoundTripsAtEveryVersion) {
  for (int16_t v = kMin; v <= kMax; ++v) {
    SCOPED_TRACE(v);
    MetadataRequest request;
    request.topics = std::vector<std::string_view>{"orders", "payments", ""};
    request.allow_auto_topic_creation = false;
    std::vector<std::byte> bytes =
        encoded([&](Writer& w) { encode_metadata_request(w, request, v); });
    auto decoded = decode_in(bytes, decode_request(v));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    ASSERT_TRUE(decoded->topics.has_value());
    EXPECT_EQ(*decoded->topics, *request.topics);
    EXPECT_EQ(decoded->allow_auto_topic_creation, v < 4);
    expect_reencodes(bytes, decode_request(v), [v](Writer& w, const MetadataRequest& r) {
      encode_metadata_request(w, r, v);
    });
    expect_truncations_fail(bytes, decode_request(v));
    expect_garbage_survives(bytes, decode_request(v), static_cast<uint32_t>(v));

    std::vector<std::byte> all =
        encoded([&](Writer& w) { encode_metadata_request(w, MetadataRequest{}, v); });
    auto every = decode_in(all, decode_request(v));
    ASSERT_TRUE(every.ok());
    EXPECT_FALSE(every->topics.has_value());
  }
}

TEST(MetadataTest, ResponseV0Layout) {
  MetadataResponse r;
  r.brokers = {{1, "h", 9092, "ignored at v0"}};
  MetadataTopic t{0, "t", true, {}};
  t.partitions.push_back({0, 2, 1, {1}, {1}, {7}});
  r.topics = {t};
  std::vector<std::byte> bytes = encoded([&](Writer& w) { encode_metadata_response(w, r, 0); });
  EXPECT_EQ(hex(bytes),
            // brokers: 1 x (node 1, "h", 9092)
            "00 00 00 01 00 00 00 01 00 01 68 00 00 23 84 "
            // topics: 1 x (error 0, "t", partitions: 1 x (error 0, index 2, leader 1,
            // replicas [1], isr [1]))
            "00 00 00 01 00 00 00 01 74 00 00 00 01 00 00 00 00 00 02 00 00 00 01 "
            "00 00 00 01 00 00 00 01 00 00 00 01 00 00 00 01");
}

TEST(MetadataTest, ResponseV6Layout) {
  MetadataResponse r;
  r.throttle_time_ms = 1;
  r.brokers = {{1, "h", 9092, std::nullopt}};
  r.cluster_id = "c";
  r.controller_id = 1;
  MetadataTopic t{0, "t", false, {}};
  t.partitions.push_back({0, 0, 1, {1}, {1}, {}});
  r.topics = {t};
  std::vector<std::byte> bytes = encoded([&](Writer& w) { encode_metadata_response(w, r, 6); });
  EXPECT_EQ(hex(bytes),
            "00 00 00 01 "                                         // throttle
            "00 00 00 01 00 00 00 01 00 01 68 00 00 23 84 ff ff "  // brokers, null rack
            "00 01 63 00 00 00 01 "                                // cluster id, controller
            "00 00 00 01 00 00 00 01 74 00 "                       // topic t, not internal
            "00 00 00 01 00 00 00 00 00 00 00 00 00 01 "           // partition 0, leader 1
            "00 00 00 01 00 00 00 01 00 00 00 01 00 00 00 01 00 00 00 00");  // [1] [1] []
}

TEST(MetadataTest, ResponseRoundTripsAtEveryVersion) {
  for (int16_t v = kMin; v <= kMax; ++v) {
    SCOPED_TRACE(v);
    const MetadataResponse response = sample_response();
    std::vector<std::byte> bytes =
        encoded([&](Writer& w) { encode_metadata_response(w, response, v); });
    auto decoded = decode_copy(bytes, decode_response(v));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    const MetadataResponse expected = at_version(response, v);
    EXPECT_EQ(decoded->throttle_time_ms, expected.throttle_time_ms);
    EXPECT_EQ(decoded->brokers, expected.brokers);
    EXPECT_EQ(decoded->cluster_id, expected.cluster_id);
    EXPECT_EQ(decoded->controller_id, expected.controller_id);
    EXPECT_EQ(decoded->topics, expected.topics);
    expect_truncations_fail(bytes, decode_response(v));
    expect_garbage_survives(bytes, decode_response(v), 20 + static_cast<uint32_t>(v));
  }
}

TEST(MetadataTest, HugeTopicCountFailsWithoutAllocating) {
  auto bytes = bytes_of({0x7f, 0xff, 0xff, 0xff, 0x00, 0x01, 'a'});
  auto decoded = decode_in(bytes, decode_request(1));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message(), "Metadata v1 request: topics: bad array length");
}

TEST(MetadataTest, UnsupportedVersionIsRefused) {
  std::vector<std::byte> bytes = bytes_of({0xff, 0xff, 0xff, 0xff, 0x01, 0x00, 0x00});
  auto decoded = decode_in(bytes, decode_request(7));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.code(), Errc::invalid_argument);
}

}  // namespace
}  // namespace sluice::server::kafka
