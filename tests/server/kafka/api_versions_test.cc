#include "server/kafka/api_versions.h"

#include "server/kafka/api_keys.h"
#include "server/kafka/error_code.h"
#include "tests/server/kafka/codec_testing.h"

#include <gtest/gtest.h>

namespace sluice::server::kafka {
namespace {

using namespace codec_testing;

constexpr int16_t kMin = 0;
constexpr int16_t kMax = 3;

auto decode_request(int16_t version) {
  return [version](Reader& in) { return decode_api_versions_request(in, version); };
}
auto decode_response(int16_t version) {
  return [version](Reader& in) { return decode_api_versions_response(in, version); };
}

ApiVersionsRequest sample_request() {
  return {.client_software_name = "librdkafka", .client_software_version = "2.0.2"};
}

TEST(ApiVersionsTest, RequestV0IsEmptyAndV3CarriesTheClient) {
  EXPECT_TRUE(
      encoded([](Writer& w) { encode_api_versions_request(w, sample_request(), 0); }).empty());
  // v3: compact strings (length + 1) and an empty tagged-field section.
  std::vector<std::byte> v3 =
      encoded([](Writer& w) { encode_api_versions_request(w, sample_request(), 3); });
  EXPECT_EQ(hex(v3), "0b 6c 69 62 72 64 6b 61 66 6b 61 06 32 2e 30 2e 32 00");
  auto decoded = decode_in(v3, decode_request(3));
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  EXPECT_EQ(decoded->client_software_name, "librdkafka");
  EXPECT_EQ(decoded->client_software_version, "2.0.2");
}

TEST(ApiVersionsTest, RequestRoundTripsAtEveryVersion) {
  for (int16_t v = kMin; v <= kMax; ++v) {
    SCOPED_TRACE(v);
    std::vector<std::byte> bytes =
        encoded([&](Writer& w) { encode_api_versions_request(w, sample_request(), v); });
    expect_reencodes(bytes, decode_request(v), [v](Writer& w, const ApiVersionsRequest& r) {
      encode_api_versions_request(w, r, v);
    });
    if (!bytes.empty()) expect_truncations_fail(bytes, decode_request(v));
    expect_garbage_survives(bytes, decode_request(v), static_cast<uint32_t>(v));
  }
}

TEST(ApiVersionsTest, RequestWithTaggedFieldsIsAccepted) {
  // v3 with one unknown tagged field (tag 5, 2 bytes).
  auto bytes = bytes_of({0x02, 'k', 0x02, '1', 0x01, 0x05, 0x02, 0xAA, 0xBB});
  auto decoded = decode_in(bytes, decode_request(3));
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  EXPECT_EQ(decoded->client_software_name, "k");
}

TEST(ApiVersionsTest, RequestV0WithABodyFails) {
  auto bytes = bytes_of({0x00});
  auto decoded = decode_in(bytes, decode_request(0));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.code(), Errc::invalid_argument);
}

TEST(ApiVersionsTest, NullClientNameFailsNamingTheField) {
  auto bytes = bytes_of({0x00, 0x01, 0x00});
  auto decoded = decode_in(bytes, decode_request(3));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message(),
            "ApiVersions v3 request: client_software_name: null compact string");
}

TEST(ApiVersionsTest, UnsupportedVersionIsRefused) {
  std::vector<std::byte> empty;
  for (int16_t v : {int16_t{-1}, int16_t{4}, int16_t{100}}) {
    auto decoded = decode_in(empty, decode_request(v));
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.code(), Errc::invalid_argument);
  }
}

TEST(ApiVersionsTest, NormalResponseListsEverySupportedApi) {
  ApiVersionsResponse response = make_api_versions_response();
  EXPECT_EQ(response.error_code, 0);
  ASSERT_EQ(response.api_keys.size(), supported_apis().size());
  for (size_t i = 0; i < supported_apis().size(); ++i) {
    const ApiRange& api = supported_apis()[i];
    EXPECT_EQ(response.api_keys[i].api_key, static_cast<int16_t>(api.key));
    EXPECT_EQ(response.api_keys[i].min_version, api.min_version);
    EXPECT_EQ(response.api_keys[i].max_version, api.max_version);
  }
}

TEST(ApiVersionsTest, ResponseV3Layout) {
  ApiVersionsResponse response;
  response.api_keys = {{0, 3, 7}, {18, 0, 3}};
  response.throttle_time_ms = 5;
  std::vector<std::byte> bytes =
      encoded([&](Writer& w) { encode_api_versions_response(w, response, 3); });
  // error, compact array of 2 (3), entries each with an empty tagged section, throttle, tags.
  EXPECT_EQ(hex(bytes), "00 00 03 00 00 00 03 00 07 00 00 12 00 00 00 03 00 00 00 00 05 00");
  std::vector<std::byte> v0 =
      encoded([&](Writer& w) { encode_api_versions_response(w, response, 0); });
  EXPECT_EQ(hex(v0), "00 00 00 00 00 02 00 00 00 03 00 07 00 12 00 00 00 03");
}

TEST(ApiVersionsTest, ResponseRoundTripsAtEveryVersion) {
  for (int16_t v = kMin; v <= kMax; ++v) {
    SCOPED_TRACE(v);
    ApiVersionsResponse response = make_api_versions_response();
    response.throttle_time_ms = 7;
    std::vector<std::byte> bytes =
        encoded([&](Writer& w) { encode_api_versions_response(w, response, v); });
    auto decoded = decode_copy(bytes, decode_response(v));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(decoded->api_keys, response.api_keys);
    EXPECT_EQ(decoded->throttle_time_ms, v >= 1 ? 7 : 0);
    expect_truncations_fail(bytes, decode_response(v));
    expect_garbage_survives(bytes, decode_response(v), 10 + static_cast<uint32_t>(v));
  }
}

TEST(ApiVersionsTest, UnsupportedAnswerIsTheV0BodyWithOurApis) {
  std::vector<std::byte> bytes = encoded([](Writer& w) { encode_api_versions_unsupported(w); });
  // UNSUPPORTED_VERSION, then the classic array; the first entry is Produce 0-7.
  ASSERT_GE(bytes.size(), 12u);
  EXPECT_EQ(hex(std::span(bytes).first(12)), "00 23 00 00 00 11 00 00 00 00 00 07");
  EXPECT_EQ(bytes.size(), 2 + 4 + 6 * supported_apis().size());
  auto decoded = decode_copy(bytes, decode_response(0));
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  EXPECT_EQ(decoded->error_code, code(ErrorCode::unsupported_version));
  EXPECT_EQ(decoded->api_keys, make_api_versions_response().api_keys);
}

}  // namespace
}  // namespace sluice::server::kafka
