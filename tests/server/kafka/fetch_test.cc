#include "server/kafka/fetch.h"

#include "tests/server/kafka/codec_testing.h"

#include <gtest/gtest.h>

namespace sluice::server::kafka {
namespace {

using namespace codec_testing;

constexpr int16_t kMin = 4;
constexpr int16_t kMax = 11;

auto decode_request(int16_t version) {
  return [version](Reader& in) { return decode_fetch_request(in, version); };
}
auto decode_response(int16_t version) {
  return [version](Reader& in) { return decode_fetch_response(in, version); };
}

FetchRequest sample_request() {
  FetchRequest r;
  r.replica_id = -1;
  r.max_wait_ms = 500;
  r.min_bytes = 1;
  r.max_bytes = 52428800;
  r.isolation_level = 1;
  r.session_id = 0;
  r.session_epoch = -1;
  r.topics.push_back({"orders", {{0, 5, 100, -1, 1048576}, {1, 5, 0, -1, 1048576}}});
  r.topics.push_back({"logs", {}});
  r.forgotten_topics.push_back({"old", {1, 2}});
  r.rack_id = "rack-a";
  return r;
}

TEST(FetchTest, RequestV4Layout) {
  FetchRequest r;
  r.max_wait_ms = 100;
  r.min_bytes = 1;
  r.max_bytes = 1000;
  r.topics.push_back({"t", {{0, -1, 7, -1, 512}}});
  std::vector<std::byte> bytes = encoded([&](Writer& w) { encode_fetch_request(w, r, 4); });
  EXPECT_EQ(hex(bytes),
            "ff ff ff ff 00 00 00 64 00 00 00 01 00 00 03 e8 00 "  // replica, wait, min, max, iso
            "00 00 00 01 00 01 74 00 00 00 01 "                    // topics: ["t", [
            "00 00 00 00 00 00 00 00 00 00 00 07 00 00 02 00");    // 0, offset 7, 512 bytes]]
}

TEST(FetchTest, RequestV11Layout) {
  FetchRequest r;
  r.max_wait_ms = 100;
  r.min_bytes = 1;
  r.max_bytes = 1000;
  r.topics.push_back({"t", {{0, 3, 7, 2, 512}}});
  r.rack_id = "r";
  std::vector<std::byte> bytes = encoded([&](Writer& w) { encode_fetch_request(w, r, 11); });
  EXPECT_EQ(hex(bytes),
            "ff ff ff ff 00 00 00 64 00 00 00 01 00 00 03 e8 00 "
            "00 00 00 00 ff ff ff ff "                          // session 0, epoch -1
            "00 00 00 01 00 01 74 00 00 00 01 "                 // topics: ["t", [
            "00 00 00 00 00 00 00 03 00 00 00 00 00 00 00 07 "  // 0, leader epoch 3, offset 7
            "00 00 00 00 00 00 00 02 00 00 02 00 "              // log start 2, 512 bytes]]
            "00 00 00 00 "                                      // forgotten: []
            "00 01 72");                                        // rack "r"
}

TEST(FetchTest, RequestRoundTripsAtEveryVersion) {
  for (int16_t v = kMin; v <= kMax; ++v) {
    SCOPED_TRACE(v);
    const FetchRequest request = sample_request();
    std::vector<std::byte> bytes = encoded([&](Writer& w) { encode_fetch_request(w, request, v); });
    auto decoded = decode_in(bytes, decode_request(v));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(decoded->max_wait_ms, 500);
    EXPECT_EQ(decoded->max_bytes, 52428800);
    EXPECT_EQ(decoded->isolation_level, 1);
    ASSERT_EQ(decoded->topics.size(), 2u);
    EXPECT_EQ(decoded->topics[0].topic, "orders");
    ASSERT_EQ(decoded->topics[0].partitions.size(), 2u);
    const FetchPartition& p = decoded->topics[0].partitions[0];
    EXPECT_EQ(p.fetch_offset, 100);
    EXPECT_EQ(p.partition_max_bytes, 1048576);
    EXPECT_EQ(p.current_leader_epoch, v >= 9 ? 5 : -1);
    EXPECT_EQ(decoded->forgotten_topics.size(), v >= 7 ? 1u : 0u);
    EXPECT_EQ(decoded->rack_id, v >= 11 ? "rack-a" : "");
    expect_reencodes(bytes, decode_request(v),
                     [v](Writer& w, const FetchRequest& r) { encode_fetch_request(w, r, v); });
    expect_truncations_fail(bytes, decode_request(v));
    expect_garbage_survives(bytes, decode_request(v), static_cast<uint32_t>(v));
  }
}

TEST(FetchTest, ResponseAppendsRecordSpansUnderOneLength) {
  auto first = bytes_of({1, 2, 3});
  auto second = bytes_of({4, 5});
  FetchResponse response;
  FetchPartitionResponse p;
  p.partition = 0;
  p.high_watermark = 10;
  p.last_stable_offset = 10;
  p.log_start_offset = 0;
  p.records = {first, second};
  response.topics.push_back({"t", {p}});
  std::vector<std::byte> bytes =
      encoded([&](Writer& w) { encode_fetch_response(w, response, 11); });
  EXPECT_EQ(hex(bytes),
            "00 00 00 00 00 00 00 00 00 00 "                    // throttle, error, session 0
            "00 00 00 01 00 01 74 00 00 00 01 "                 // topics: ["t", [
            "00 00 00 00 00 00 "                                // partition 0, no error
            "00 00 00 00 00 00 00 0a 00 00 00 00 00 00 00 0a "  // high watermark, LSO
            "00 00 00 00 00 00 00 00 "                          // log start offset
            "ff ff ff ff ff ff ff ff "      // aborted: null, preferred replica -1
            "00 00 00 05 01 02 03 04 05");  // records: 5 bytes from two spans
  EXPECT_EQ(records_bytes(p), 5u);
  auto decoded = decode_in(bytes, decode_response(11));
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  ASSERT_EQ(decoded->topics[0].partitions[0].records.size(), 1u);
  EXPECT_EQ(hex(decoded->topics[0].partitions[0].records[0]), "01 02 03 04 05");
  EXPECT_FALSE(decoded->topics[0].partitions[0].aborted_transactions.has_value());
}

TEST(FetchTest, ResponseV4HasNoSessionNoLogStartNoPreferredReplica) {
  FetchResponse response;
  FetchPartitionResponse p;
  p.high_watermark = 1;
  p.last_stable_offset = 1;
  p.aborted_transactions.emplace();
  response.topics.push_back({"t", {p}});
  std::vector<std::byte> bytes = encoded([&](Writer& w) { encode_fetch_response(w, response, 4); });
  EXPECT_EQ(hex(bytes),
            "00 00 00 00 "                                      // throttle
            "00 00 00 01 00 01 74 00 00 00 01 "                 // topics: ["t", [
            "00 00 00 00 00 00 "                                // partition 0, no error
            "00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 01 "  // high watermark, LSO
            "00 00 00 00 "                                      // aborted: []
            "00 00 00 00");                                     // records: empty
}

TEST(FetchTest, ResponseRoundTripsAtEveryVersion) {
  auto batch = bytes_of({0xde, 0xad, 0xbe, 0xef});
  for (int16_t v = kMin; v <= kMax; ++v) {
    SCOPED_TRACE(v);
    FetchResponse response;
    response.throttle_time_ms = 9;
    response.error_code = 0;
    response.session_id = 0;
    FetchPartitionResponse a;
    a.partition = 0;
    a.high_watermark = 50;
    a.last_stable_offset = 50;
    a.log_start_offset = 3;
    a.aborted_transactions = std::vector<AbortedTransaction>{{7, 20}, {8, 30}};
    a.preferred_read_replica = -1;
    a.records = {batch, batch};
    FetchPartitionResponse b;
    b.partition = 1;
    b.error_code = 1;  // offset out of range: no records
    response.topics.push_back({"orders", {a, b}});
    std::vector<std::byte> bytes =
        encoded([&](Writer& w) { encode_fetch_response(w, response, v); });
    auto decoded = decode_in(bytes, decode_response(v));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(decoded->throttle_time_ms, 9);
    ASSERT_EQ(decoded->topics.size(), 1u);
    ASSERT_EQ(decoded->topics[0].partitions.size(), 2u);
    const FetchPartitionResponse& da = decoded->topics[0].partitions[0];
    EXPECT_EQ(da.high_watermark, 50);
    EXPECT_EQ(da.last_stable_offset, 50);
    EXPECT_EQ(da.log_start_offset, v >= 5 ? 3 : -1);
    EXPECT_EQ(da.aborted_transactions, a.aborted_transactions);
    EXPECT_EQ(records_bytes(da), 8u);
    const FetchPartitionResponse& db = decoded->topics[0].partitions[1];
    EXPECT_EQ(db.error_code, 1);
    EXPECT_TRUE(db.records.empty());
    expect_reencodes(bytes, decode_response(v),
                     [v](Writer& w, const FetchResponse& r) { encode_fetch_response(w, r, v); });
    expect_truncations_fail(bytes, decode_response(v));
    expect_garbage_survives(bytes, decode_response(v), 40 + static_cast<uint32_t>(v));
  }
}

TEST(FetchTest, NullRecordsDecodeAsNone) {
  FetchResponse response;
  FetchPartitionResponse p;
  response.topics.push_back({"t", {p}});
  std::vector<std::byte> bytes = encoded([&](Writer& w) { encode_fetch_response(w, response, 4); });
  // Turn the empty records into null (-1).
  for (size_t i = bytes.size() - 4; i < bytes.size(); ++i)
    bytes[i] = std::byte{0xff};
  auto decoded = decode_in(bytes, decode_response(4));
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  EXPECT_TRUE(decoded->topics[0].partitions[0].records.empty());
}

TEST(FetchTest, NegativeForgottenCountNamesTheField) {
  FetchRequest r;
  std::vector<std::byte> bytes = encoded([&](Writer& w) { encode_fetch_request(w, r, 7); });
  // The forgotten topics' count is the last field at v7: make it -2.
  for (size_t i = bytes.size() - 4; i < bytes.size(); ++i)
    bytes[i] = std::byte{0xff};
  bytes.back() = std::byte{0xfe};
  auto decoded = decode_in(bytes, decode_request(7));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message(), "Fetch v7 request: forgotten_topics: bad array length");
  // A null forgotten array is not allowed either.
  bytes.back() = std::byte{0xff};
  decoded = decode_in(bytes, decode_request(7));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message(), "Fetch v7 request: forgotten_topics: null array");
}

TEST(FetchTest, VersionsBeforeRecordBatchesAreRefused) {
  std::vector<std::byte> bytes = encoded([](Writer& w) { encode_fetch_request(w, {}, 4); });
  for (int16_t v : {int16_t{0}, int16_t{3}, int16_t{12}}) {
    auto decoded = decode_in(bytes, decode_request(v));
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.code(), Errc::invalid_argument);
  }
}

}  // namespace
}  // namespace sluice::server::kafka
