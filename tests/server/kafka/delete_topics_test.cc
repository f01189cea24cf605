#include "server/kafka/delete_topics.h"

#include "tests/server/kafka/codec_testing.h"

#include <gtest/gtest.h>

namespace sluice::server::kafka {
namespace {

using namespace codec_testing;

constexpr int16_t kMin = 0;
constexpr int16_t kMax = 3;

auto decode_request(int16_t version) {
  return [version](Reader& in) { return decode_delete_topics_request(in, version); };
}
auto decode_response(int16_t version) {
  return [version](Reader& in) { return decode_delete_topics_response(in, version); };
}

TEST(DeleteTopicsTest, RequestLayout) {
  DeleteTopicsRequest r{{"a", "bc"}, 30000};
  // The same bytes at every version.
  for (int16_t v = kMin; v <= kMax; ++v) {
    EXPECT_EQ(hex(encoded([&](Writer& w) { encode_delete_topics_request(w, r, v); })),
              "00 00 00 02 00 01 61 00 02 62 63 00 00 75 30");
  }
}

TEST(DeleteTopicsTest, RequestRoundTripsAtEveryVersion) {
  for (int16_t v = kMin; v <= kMax; ++v) {
    SCOPED_TRACE(v);
    DeleteTopicsRequest r{{"orders", "payments", ""}, 1000};
    std::vector<std::byte> bytes =
        encoded([&](Writer& w) { encode_delete_topics_request(w, r, v); });
    auto decoded = decode_in(bytes, decode_request(v));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(decoded->topic_names, r.topic_names);
    EXPECT_EQ(decoded->timeout_ms, 1000);
    expect_reencodes(bytes, decode_request(v), [v](Writer& w, const DeleteTopicsRequest& req) {
      encode_delete_topics_request(w, req, v);
    });
    expect_truncations_fail(bytes, decode_request(v));
    expect_garbage_survives(bytes, decode_request(v), static_cast<uint32_t>(v));
  }
}

TEST(DeleteTopicsTest, ResponseLayoutByVersion) {
  DeleteTopicsResponse r{5, {{"a", 3}}};
  EXPECT_EQ(hex(encoded([&](Writer& w) { encode_delete_topics_response(w, r, 0); })),
            "00 00 00 01 00 01 61 00 03");
  EXPECT_EQ(hex(encoded([&](Writer& w) { encode_delete_topics_response(w, r, 1); })),
            "00 00 00 05 00 00 00 01 00 01 61 00 03");
}

TEST(DeleteTopicsTest, ResponseRoundTripsAtEveryVersion) {
  for (int16_t v = kMin; v <= kMax; ++v) {
    SCOPED_TRACE(v);
    DeleteTopicsResponse r{6, {{"orders", 0}, {"missing", 3}}};
    std::vector<std::byte> bytes =
        encoded([&](Writer& w) { encode_delete_topics_response(w, r, v); });
    auto decoded = decode_copy(bytes, decode_response(v));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(decoded->responses, r.responses);
    EXPECT_EQ(decoded->throttle_time_ms, v >= 1 ? 6 : 0);
    expect_truncations_fail(bytes, decode_response(v));
    expect_garbage_survives(bytes, decode_response(v), 70 + static_cast<uint32_t>(v));
  }
}

TEST(DeleteTopicsTest, NullNameNamesTheField) {
  auto bytes = bytes_of({0, 0, 0, 1, 0xff, 0xff, 0, 0, 0, 0});
  auto decoded = decode_in(bytes, decode_request(1));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message(), "DeleteTopics v1 request: topic_names[]: null string");
}

}  // namespace
}  // namespace sluice::server::kafka
