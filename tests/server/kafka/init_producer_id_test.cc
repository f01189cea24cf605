#include "server/kafka/init_producer_id.h"

#include "tests/server/kafka/codec_testing.h"

#include <gtest/gtest.h>

namespace sluice::server::kafka {
namespace {

using namespace codec_testing;

constexpr int16_t kMin = 0;
constexpr int16_t kMax = 4;

auto decode_request(int16_t version) {
  return [version](Reader& in) { return decode_init_producer_id_request(in, version); };
}
auto decode_response(int16_t version) {
  return [version](Reader& in) { return decode_init_producer_id_response(in, version); };
}

TEST(InitProducerIdTest, RequestLayoutClassicAndFlexible) {
  InitProducerIdRequest r{std::nullopt, 60000, 1000, 2};
  // v0-1: int16 -1 for the null id; no producer id or epoch.
  EXPECT_EQ(hex(encoded([&](Writer& w) { encode_init_producer_id_request(w, r, 1); })),
            "ff ff 00 00 ea 60");
  // v2: a compact null (0) and an empty tagged-field section.
  EXPECT_EQ(hex(encoded([&](Writer& w) { encode_init_producer_id_request(w, r, 2); })),
            "00 00 00 ea 60 00");
  // v3 adds the producer id and epoch.
  EXPECT_EQ(hex(encoded([&](Writer& w) { encode_init_producer_id_request(w, r, 3); })),
            "00 00 00 ea 60 00 00 00 00 00 00 03 e8 00 02 00");
  r.transactional_id = "tx";
  EXPECT_EQ(hex(encoded([&](Writer& w) { encode_init_producer_id_request(w, r, 4); })),
            "03 74 78 00 00 ea 60 00 00 00 00 00 00 03 e8 00 02 00");
}

TEST(InitProducerIdTest, RequestRoundTripsAtEveryVersion) {
  for (int16_t v = kMin; v <= kMax; ++v) {
    SCOPED_TRACE(v);
    for (std::optional<std::string_view> id :
         {std::optional<std::string_view>(), std::optional<std::string_view>("txn-1"),
          std::optional<std::string_view>("")}) {
      InitProducerIdRequest r{id, 60000, 77, 3};
      std::vector<std::byte> bytes =
          encoded([&](Writer& w) { encode_init_producer_id_request(w, r, v); });
      auto decoded = decode_in(bytes, decode_request(v));
      ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
      EXPECT_EQ(decoded->transactional_id, id);
      EXPECT_EQ(decoded->transaction_timeout_ms, 60000);
      EXPECT_EQ(decoded->producer_id, v >= 3 ? 77 : -1);
      EXPECT_EQ(decoded->producer_epoch, v >= 3 ? 3 : -1);
      expect_reencodes(bytes, decode_request(v), [v](Writer& w, const InitProducerIdRequest& req) {
        encode_init_producer_id_request(w, req, v);
      });
      expect_truncations_fail(bytes, decode_request(v));
      expect_garbage_survives(bytes, decode_request(v), static_cast<uint32_t>(v));
    }
  }
}

TEST(InitProducerIdTest, FlexibleRequestSkipsTaggedFields) {
  // v4: null id, timeout, producer id -1, epoch -1, then two tagged fields.
  auto bytes = bytes_of({0x00, 0,    0,    0x03, 0xe8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                         0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x01, 0x07, 0x09, 0x00});
  auto decoded = decode_in(bytes, decode_request(4));
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  EXPECT_EQ(decoded->transaction_timeout_ms, 1000);
  // A tagged field longer than the frame fails, naming the section.
  bytes[17] = std::byte{0x7f};
  decoded = decode_in(bytes, decode_request(4));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message(), "InitProducerId v4 request: tagged_fields: truncated");
}

TEST(InitProducerIdTest, ResponseLayoutClassicAndFlexible) {
  InitProducerIdResponse r{0, 0, 4096, 0};
  EXPECT_EQ(hex(encoded([&](Writer& w) { encode_init_producer_id_response(w, r, 0); })),
            "00 00 00 00 00 00 00 00 00 00 00 00 10 00 00 00");
  EXPECT_EQ(hex(encoded([&](Writer& w) { encode_init_producer_id_response(w, r, 2); })),
            "00 00 00 00 00 00 00 00 00 00 00 00 10 00 00 00 00");
}

TEST(InitProducerIdTest, ResponseRoundTripsAtEveryVersion) {
  for (int16_t v = kMin; v <= kMax; ++v) {
    SCOPED_TRACE(v);
    InitProducerIdResponse r{3, 0, 123456789, 7};
    std::vector<std::byte> bytes =
        encoded([&](Writer& w) { encode_init_producer_id_response(w, r, v); });
    auto decoded = decode_copy(bytes, decode_response(v));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(*decoded, r);
    expect_truncations_fail(bytes, decode_response(v));
    expect_garbage_survives(bytes, decode_response(v), 80 + static_cast<uint32_t>(v));
  }
}

}  // namespace
}  // namespace sluice::server::kafka
