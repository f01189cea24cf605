#include "server/kafka/create_topics.h"

#include "tests/server/kafka/codec_testing.h"

#include <gtest/gtest.h>

namespace sluice::server::kafka {
namespace {

using namespace codec_testing;

constexpr int16_t kMin = 0;
constexpr int16_t kMax = 4;

auto decode_request(int16_t version) {
  return [version](Reader& in) { return decode_create_topics_request(in, version); };
}
auto decode_response(int16_t version) {
  return [version](Reader& in) { return decode_create_topics_response(in, version); };
}

CreateTopicsRequest sample_request() {
  CreateTopicsRequest r;
  CreatableTopic orders;
  orders.name = "orders";
  orders.num_partitions = 6;
  orders.replication_factor = 1;
  orders.configs = {{"retention.ms", "86400000"}, {"cleanup.policy", std::nullopt}};
  CreatableTopic manual;
  manual.name = "manual";
  manual.assignments = {{0, {1}}, {1, {1, 2}}};
  r.topics = {orders, manual};
  r.timeout_ms = 5000;
  r.validate_only = true;
  return r;
}

TEST(CreateTopicsTest, RequestV0Layout) {
  CreateTopicsRequest r;
  CreatableTopic t;
  t.name = "t";
  t.num_partitions = 3;
  t.replication_factor = 1;
  t.configs = {{"k", "v"}};
  r.topics = {t};
  r.timeout_ms = 1000;
  std::vector<std::byte> bytes = encoded([&](Writer& w) { encode_create_topics_request(w, r, 0); });
  EXPECT_EQ(hex(bytes),
            "00 00 00 01 00 01 74 00 00 00 03 00 01 "  // topics: ["t", 3 partitions, 1 replica,
            "00 00 00 00 "                             // no assignments,
            "00 00 00 01 00 01 6b 00 01 76 "           // configs: [k=v]]
            "00 00 03 e8");                            // timeout 1000
  std::vector<std::byte> v1 = encoded([&](Writer& w) { encode_create_topics_request(w, r, 1); });
  EXPECT_EQ(v1.size(), bytes.size() + 1);  // validate_only
}

TEST(CreateTopicsTest, RequestRoundTripsAtEveryVersion) {
  for (int16_t v = kMin; v <= kMax; ++v) {
    SCOPED_TRACE(v);
    const CreateTopicsRequest request = sample_request();
    std::vector<std::byte> bytes =
        encoded([&](Writer& w) { encode_create_topics_request(w, request, v); });
    auto decoded = decode_in(bytes, decode_request(v));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    ASSERT_EQ(decoded->topics.size(), 2u);
    const CreatableTopic& orders = decoded->topics[0];
    EXPECT_EQ(orders.name, "orders");
    EXPECT_EQ(orders.num_partitions, 6);
    ASSERT_EQ(orders.configs.size(), 2u);
    EXPECT_EQ(orders.configs[0].name, "retention.ms");
    EXPECT_EQ(orders.configs[0].value, std::optional<std::string_view>("86400000"));
    EXPECT_FALSE(orders.configs[1].value.has_value());
    const CreatableTopic& manual = decoded->topics[1];
    EXPECT_EQ(manual.num_partitions, -1);
    ASSERT_EQ(manual.assignments.size(), 2u);
    EXPECT_EQ(manual.assignments[1].broker_ids, (std::vector<int32_t>{1, 2}));
    EXPECT_EQ(decoded->timeout_ms, 5000);
    EXPECT_EQ(decoded->validate_only, v >= 1);
    expect_reencodes(bytes, decode_request(v), [v](Writer& w, const CreateTopicsRequest& r) {
      encode_create_topics_request(w, r, v);
    });
    expect_truncations_fail(bytes, decode_request(v));
    expect_garbage_survives(bytes, decode_request(v), static_cast<uint32_t>(v));
  }
}

TEST(CreateTopicsTest, ResponseLayoutByVersion) {
  CreateTopicsResponse r;
  r.throttle_time_ms = 2;
  r.topics = {{"t", 36, "exists"}};
  EXPECT_EQ(hex(encoded([&](Writer& w) { encode_create_topics_response(w, r, 0); })),
            "00 00 00 01 00 01 74 00 24");
  EXPECT_EQ(hex(encoded([&](Writer& w) { encode_create_topics_response(w, r, 1); })),
            "00 00 00 01 00 01 74 00 24 00 06 65 78 69 73 74 73");
  EXPECT_EQ(hex(encoded([&](Writer& w) { encode_create_topics_response(w, r, 2); })),
            "00 00 00 02 00 00 00 01 00 01 74 00 24 00 06 65 78 69 73 74 73");
}

TEST(CreateTopicsTest, ResponseRoundTripsAtEveryVersion) {
  for (int16_t v = kMin; v <= kMax; ++v) {
    SCOPED_TRACE(v);
    CreateTopicsResponse r;
    r.throttle_time_ms = 8;
    r.topics = {{"a", 0, std::nullopt}, {"b", 36, "Topic 'b' already exists."}, {"", 17, ""}};
    std::vector<std::byte> bytes =
        encoded([&](Writer& w) { encode_create_topics_response(w, r, v); });
    auto decoded = decode_copy(bytes, decode_response(v));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    std::vector<CreatableTopicResult> expected = r.topics;
    if (v < 1) {
      for (auto& t : expected)
        t.error_message.reset();
    }
    EXPECT_EQ(decoded->topics, expected);
    EXPECT_EQ(decoded->throttle_time_ms, v >= 2 ? 8 : 0);
    expect_truncations_fail(bytes, decode_response(v));
    expect_garbage_survives(bytes, decode_response(v), 60 + static_cast<uint32_t>(v));
  }
}

TEST(CreateTopicsTest, NullTopicNameNamesTheField) {
  auto bytes = bytes_of(
      {0, 0, 0, 1, 0xff, 0xff, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0xe8});
  auto decoded = decode_in(bytes, decode_request(0));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message(), "CreateTopics v0 request: topics[].name: null string");
}

}  // namespace
}  // namespace sluice::server::kafka
