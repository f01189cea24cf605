#include "server/kafka/produce.h"

#include "partitions/record_batch.h"
#include "tests/server/kafka/codec_testing.h"

#include <gtest/gtest.h>

namespace sluice::server::kafka {
namespace {

using namespace codec_testing;

constexpr int16_t kMin = 3;
constexpr int16_t kMax = 7;

auto decode_request(int16_t version) {
  return [version](Reader& in) { return decode_produce_request(in, version); };
}
auto decode_response(int16_t version) {
  return [version](Reader& in) { return decode_produce_response(in, version); };
}

TEST(ProduceTest, RequestV3Layout) {
  auto records = bytes_of({1, 2, 3});
  ProduceRequest request;
  request.acks = -1;
  request.timeout_ms = 30000;
  request.topics.push_back({"t", {{0, std::span<const std::byte>(records)}}});
  std::vector<std::byte> bytes = encoded([&](Writer& w) { encode_produce_request(w, request, 3); });
  EXPECT_EQ(hex(bytes),
            "ff ff "                                          // transactional_id: null
            "ff ff "                                          // acks: -1
            "00 00 75 30 "                                    // timeout_ms: 30000
            "00 00 00 01 00 01 74 "                           // topics: ["t"
            "00 00 00 01 00 00 00 00 00 00 00 03 01 02 03");  // partitions: [0, 3 bytes]]
}

TEST(ProduceTest, RecordsAreAViewIntoTheFrame) {
  partitions::BatchBuilder builder;
  builder.add("key", "value", 1000);
  builder.add("key", "value2", 1001);
  std::span<const std::byte> finished = builder.finish();
  std::vector<std::byte> batch(finished.begin(), finished.end());
  ProduceRequest request;
  request.transactional_id = "txn";
  request.acks = 1;
  request.timeout_ms = 1500;
  request.topics.push_back({"orders", {{3, std::span<const std::byte>(batch)}}});
  std::vector<std::byte> bytes = encoded([&](Writer& w) { encode_produce_request(w, request, 7); });
  auto decoded = decode_in(bytes, decode_request(7));
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  ASSERT_EQ(decoded->topics.size(), 1u);
  ASSERT_EQ(decoded->topics[0].partitions.size(), 1u);
  const ProducePartitionData& p = decoded->topics[0].partitions[0];
  ASSERT_TRUE(p.records.has_value());
  EXPECT_GE(p.records->data(), bytes.data());
  EXPECT_LE(p.records->data() + p.records->size(), bytes.data() + bytes.size());
  auto header = partitions::validate_batch(*p.records);
  ASSERT_TRUE(header.ok()) << header.error().to_string();
  EXPECT_EQ(header->record_count, 2);
}

TEST(ProduceTest, RequestRoundTripsAtEveryVersion) {
  auto a = bytes_of({9, 8, 7, 6});
  auto b = bytes_of({});
  for (int16_t v = kMin; v <= kMax; ++v) {
    SCOPED_TRACE(v);
    ProduceRequest request;
    request.transactional_id =
        (v % 2 == 0) ? std::optional<std::string_view>("tx") : std::optional<std::string_view>();
    request.acks = 0;
    request.timeout_ms = 100;
    request.topics.push_back({"a", {{0, std::span<const std::byte>(a)}, {1, std::nullopt}}});
    request.topics.push_back({"b", {{2, std::span<const std::byte>(b)}}});
    request.topics.push_back({"c", {}});
    std::vector<std::byte> bytes =
        encoded([&](Writer& w) { encode_produce_request(w, request, v); });
    auto decoded = decode_in(bytes, decode_request(v));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(decoded->transactional_id, request.transactional_id);
    EXPECT_EQ(decoded->acks, 0);
    EXPECT_EQ(decoded->timeout_ms, 100);
    ASSERT_EQ(decoded->topics.size(), 3u);
    EXPECT_EQ(decoded->topics[0].name, "a");
    ASSERT_EQ(decoded->topics[0].partitions.size(), 2u);
    EXPECT_EQ(hex(*decoded->topics[0].partitions[0].records), "09 08 07 06");
    EXPECT_FALSE(decoded->topics[0].partitions[1].records.has_value());
    ASSERT_TRUE(decoded->topics[1].partitions[0].records.has_value());
    EXPECT_TRUE(decoded->topics[1].partitions[0].records->empty());
    EXPECT_TRUE(decoded->topics[2].partitions.empty());
    expect_reencodes(bytes, decode_request(v),
                     [v](Writer& w, const ProduceRequest& r) { encode_produce_request(w, r, v); });
    expect_truncations_fail(bytes, decode_request(v));
    expect_garbage_survives(bytes, decode_request(v), static_cast<uint32_t>(v));
  }
}

TEST(ProduceTest, ResponseLayoutByVersion) {
  ProduceResponse response;
  response.topics.push_back({"t", {{0, 0, 42, -1, 5}}});
  response.throttle_time_ms = 0;
  std::vector<std::byte> v3 = encoded([&](Writer& w) { encode_produce_response(w, response, 3); });
  EXPECT_EQ(hex(v3),
            "00 00 00 01 00 01 74 00 00 00 01 "           // topics: ["t", partitions: [
            "00 00 00 00 00 00 00 00 00 00 00 00 00 2a "  // 0, no error, base offset 42,
            "ff ff ff ff ff ff ff ff "                    // log append time -1]]
            "00 00 00 00");                               // throttle
  std::vector<std::byte> v5 = encoded([&](Writer& w) { encode_produce_response(w, response, 5); });
  EXPECT_EQ(v5.size(), v3.size() + 8);  // log_start_offset
}

TEST(ProduceTest, ResponseRoundTripsAtEveryVersion) {
  for (int16_t v = kMin; v <= kMax; ++v) {
    SCOPED_TRACE(v);
    ProduceResponse response;
    response.topics.push_back({"orders", {{0, 0, 100, -1, 7}, {1, 3, -1, -1, -1}}});
    response.topics.push_back({"logs", {{4, 0, 5, 1700000000000, 0}}});
    response.throttle_time_ms = 12;
    std::vector<std::byte> bytes =
        encoded([&](Writer& w) { encode_produce_response(w, response, v); });
    auto decoded = decode_copy(bytes, decode_response(v));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    std::vector<ProduceTopicResponse> expected = response.topics;
    if (v < 5) {
      for (auto& t : expected)
        for (auto& p : t.partitions)
          p.log_start_offset = -1;
    }
    EXPECT_EQ(decoded->topics, expected);
    EXPECT_EQ(decoded->throttle_time_ms, 12);
    expect_truncations_fail(bytes, decode_response(v));
    expect_garbage_survives(bytes, decode_response(v), 30 + static_cast<uint32_t>(v));
  }
}

TEST(ProduceTest, MalformedRecordsLengthNamesTheField) {
  // One topic, one partition whose records claim 100 bytes but carry 2.
  auto bytes = bytes_of({0xff, 0xff, 0x00, 0x01, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00,
                         0x00, 0x01, 0x00, 0x01, 't',  0x00, 0x00, 0x00, 0x01, 0x00,
                         0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64, 0x01, 0x02});
  auto decoded = decode_in(bytes, decode_request(3));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message(),
            "Produce v3 request: topics[].partitions[].records: truncated");
  // A records length below -1.
  bytes[23] = std::byte{0xff};
  bytes[24] = std::byte{0xff};
  bytes[25] = std::byte{0xff};
  bytes[26] = std::byte{0xfe};
  decoded = decode_in(bytes, decode_request(3));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message(),
            "Produce v3 request: topics[].partitions[].records: bad bytes length");
}

TEST(ProduceTest, OldAndNewerVersionsAreRefused) {
  std::vector<std::byte> bytes =
      encoded([](Writer& w) { encode_produce_request(w, ProduceRequest{}, 3); });
  for (int16_t v : {int16_t{0}, int16_t{2}, int16_t{8}, int16_t{9}}) {
    auto decoded = decode_in(bytes, decode_request(v));
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.code(), Errc::invalid_argument);
  }
}

}  // namespace
}  // namespace sluice::server::kafka
