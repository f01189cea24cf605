#include "server/kafka/decode_any.h"

#include "server/kafka/api_keys.h"
#include "server/kafka/heartbeat.h"
#include "server/kafka/metadata.h"
#include "server/kafka/request_header.h"
#include "tests/server/kafka/codec_testing.h"

#include <gtest/gtest.h>

namespace sluice::server::kafka {
namespace {

using namespace codec_testing;

TEST(DecodeAnyTest, RunsTheDecoderOfTheApi) {
  std::vector<std::byte> bytes =
      encoded([](Writer& w) { encode_metadata_request(w, MetadataRequest{}, 4); });
  Reader ok(bytes);
  EXPECT_TRUE(decode_any_request(static_cast<int16_t>(ApiKey::metadata), 4, ok).ok());
  // The same bytes are not a valid Produce request.
  Reader bad(bytes);
  auto result = decode_any_request(static_cast<int16_t>(ApiKey::produce), 3, bad);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.code(), Errc::invalid_argument);
}

TEST(DecodeAnyTest, VersionOutsideTheRangeFails) {
  std::vector<std::byte> bytes;
  Reader in(bytes);
  auto result = decode_any_request(static_cast<int16_t>(ApiKey::api_versions), 9, in);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.code(), Errc::invalid_argument);
}

TEST(DecodeAnyTest, UnknownApiIsUnsupported) {
  std::vector<std::byte> bytes;
  for (int16_t key : {int16_t{-1}, int16_t{17}, int16_t{1000}}) {
    Reader in(bytes);
    auto result = decode_any_request(key, 0, in);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.code(), Errc::unsupported);
  }
}

TEST(DecodeAnyTest, RunsTheGroupApisDecoders) {
  // An empty body is a whole ListGroups request and a truncated one of every other group API:
  // each reaches its own decoder (invalid_argument, not unsupported).
  std::vector<std::byte> empty;
  for (ApiKey key :
       {ApiKey::offset_commit, ApiKey::offset_fetch, ApiKey::find_coordinator, ApiKey::join_group,
        ApiKey::heartbeat, ApiKey::leave_group, ApiKey::sync_group, ApiKey::describe_groups}) {
    Reader in(empty);
    auto result = decode_any_request(static_cast<int16_t>(key), 0, in);
    ASSERT_FALSE(result.ok()) << api_name(static_cast<int16_t>(key));
    EXPECT_EQ(result.code(), Errc::invalid_argument);
  }
  Reader list_groups(empty);
  EXPECT_TRUE(decode_any_request(static_cast<int16_t>(ApiKey::list_groups), 2, list_groups).ok());
  std::vector<std::byte> heartbeat = encoded([](Writer& w) {
    encode_heartbeat_request(w, HeartbeatRequest{"g", 1, "m", "i"}, 3);
  });
  Reader in(heartbeat);
  EXPECT_TRUE(decode_any_request(static_cast<int16_t>(ApiKey::heartbeat), 3, in).ok());
}

TEST(DecodeAnyTest, AFrameFromAClient) {
  // ApiVersions v3 as librdkafka sends it: header v2 (key 18, version 3, correlation 1, client
  // id "rdkafka", no tags), then the body.
  auto frame = bytes_of({0x00, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x07, 'r', 'd',
                         'k',  'a',  'f',  'k',  'a',  0x00, 0x0b, 'l',  'i',  'b',  'r', 'd',
                         'k',  'a',  'f',  'k',  'a',  0x06, '2',  '.',  '0',  '.',  '2', 0x00});
  Reader in(frame);
  RequestHeader header = read_request_header(in);
  ASSERT_TRUE(in.ok());
  EXPECT_TRUE(header.flexible);
  EXPECT_TRUE(decode_any_request(header.api_key, header.api_version, in).ok());
}

}  // namespace
}  // namespace sluice::server::kafka
