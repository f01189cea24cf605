#include "server/kafka/list_offsets.h"

#include "tests/server/kafka/codec_testing.h"

#include <gtest/gtest.h>

namespace sluice::server::kafka {
namespace {

using namespace codec_testing;

constexpr int16_t kMin = 0;
constexpr int16_t kMax = 3;

auto decode_request(int16_t version) {
  return [version](Reader& in) { return decode_list_offsets_request(in, version); };
}
auto decode_response(int16_t version) {
  return [version](Reader& in) { return decode_list_offsets_response(in, version); };
}

TEST(ListOffsetsTest, RequestLayoutV0AndV2) {
  ListOffsetsRequest r;
  r.isolation_level = 1;
  r.topics.push_back({"t", {{0, kListOffsetsEarliest, 1}}});
  std::vector<std::byte> v0 = encoded([&](Writer& w) { encode_list_offsets_request(w, r, 0); });
  EXPECT_EQ(hex(v0),
            "ff ff ff ff 00 00 00 01 00 01 74 00 00 00 01 "      // replica -1, topics: ["t", [
            "00 00 00 00 ff ff ff ff ff ff ff fe 00 00 00 01");  // 0, earliest, max 1]]
  std::vector<std::byte> v2 = encoded([&](Writer& w) { encode_list_offsets_request(w, r, 2); });
  EXPECT_EQ(hex(v2),
            "ff ff ff ff 01 00 00 00 01 00 01 74 00 00 00 01 "  // isolation level 1
            "00 00 00 00 ff ff ff ff ff ff ff fe");
}

TEST(ListOffsetsTest, RequestRoundTripsAtEveryVersion) {
  for (int16_t v = kMin; v <= kMax; ++v) {
    SCOPED_TRACE(v);
    ListOffsetsRequest r;
    r.replica_id = -1;
    r.isolation_level = 1;
    r.topics.push_back({"orders", {{0, kListOffsetsLatest, 5}, {1, 1700000000000, 1}}});
    r.topics.push_back({"empty", {}});
    std::vector<std::byte> bytes =
        encoded([&](Writer& w) { encode_list_offsets_request(w, r, v); });
    auto decoded = decode_in(bytes, decode_request(v));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(decoded->isolation_level, v >= 2 ? 1 : 0);
    ASSERT_EQ(decoded->topics.size(), 2u);
    ASSERT_EQ(decoded->topics[0].partitions.size(), 2u);
    EXPECT_EQ(decoded->topics[0].partitions[1].timestamp, 1700000000000);
    EXPECT_EQ(decoded->topics[0].partitions[0].max_num_offsets, v == 0 ? 5 : 1);
    expect_reencodes(bytes, decode_request(v), [v](Writer& w, const ListOffsetsRequest& req) {
      encode_list_offsets_request(w, req, v);
    });
    expect_truncations_fail(bytes, decode_request(v));
    expect_garbage_survives(bytes, decode_request(v), static_cast<uint32_t>(v));
  }
}

TEST(ListOffsetsTest, ResponseV0CarriesOldStyleOffsets) {
  ListOffsetsResponse r;
  r.topics.push_back({"t", {{0, 0, {42}, -1, -1}}});
  std::vector<std::byte> v0 = encoded([&](Writer& w) { encode_list_offsets_response(w, r, 0); });
  EXPECT_EQ(hex(v0),
            "00 00 00 01 00 01 74 00 00 00 01 "                        // topics: ["t", [
            "00 00 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 2a");  // 0, ok, [42]]]
  r.topics[0].partitions[0].timestamp = 5;
  r.topics[0].partitions[0].offset = 42;
  std::vector<std::byte> v1 = encoded([&](Writer& w) { encode_list_offsets_response(w, r, 1); });
  EXPECT_EQ(hex(v1),
            "00 00 00 01 00 01 74 00 00 00 01 "
            "00 00 00 00 00 00 00 00 00 00 00 00 00 05 00 00 00 00 00 00 00 2a");
}

TEST(ListOffsetsTest, ResponseRoundTripsAtEveryVersion) {
  for (int16_t v = kMin; v <= kMax; ++v) {
    SCOPED_TRACE(v);
    ListOffsetsResponse r;
    r.throttle_time_ms = 4;
    r.topics.push_back({"orders", {{0, 0, {10, 0}, 1000, 10}, {1, 3, {}, -1, -1}}});
    std::vector<std::byte> bytes =
        encoded([&](Writer& w) { encode_list_offsets_response(w, r, v); });
    auto decoded = decode_copy(bytes, decode_response(v));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    std::vector<ListOffsetsTopicResponse> expected = r.topics;
    for (auto& p : expected[0].partitions) {
      if (v == 0) {
        p.timestamp = -1;
        p.offset = -1;
      } else {
        p.old_style_offsets.clear();
      }
    }
    EXPECT_EQ(decoded->topics, expected);
    EXPECT_EQ(decoded->throttle_time_ms, v >= 2 ? 4 : 0);
    expect_truncations_fail(bytes, decode_response(v));
    expect_garbage_survives(bytes, decode_response(v), 50 + static_cast<uint32_t>(v));
  }
}

TEST(ListOffsetsTest, PartitionsTheBytesCannotHoldFailAtTheirCount) {
  auto bytes =
      bytes_of({0xff, 0xff, 0xff, 0xff, 0, 0,    0,    1,    0,    1,    't',  0,    0,   0,
                1,    0,    0,    0,    0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  auto decoded = decode_in(bytes, decode_request(1));
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  bytes.pop_back();
  decoded = decode_in(bytes, decode_request(1));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message(),
            "ListOffsets v1 request: topics[].partitions: bad array length");
}

}  // namespace
}  // namespace sluice::server::kafka
