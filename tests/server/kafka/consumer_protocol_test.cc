#include "server/kafka/consumer_protocol.h"

#include "tests/server/kafka/codec_testing.h"

#include <gtest/gtest.h>

namespace sluice::server::kafka {
namespace {

using namespace codec_testing;

std::vector<std::byte> subscription_bytes(const ConsumerSubscription& s) {
  return encoded([&](Writer& w) { encode_consumer_subscription(w, s); });
}
std::vector<std::byte> assignment_bytes(const ConsumerAssignment& a) {
  return encoded([&](Writer& w) { encode_consumer_assignment(w, a); });
}

ConsumerSubscription sample_subscription(int16_t version) {
  ConsumerSubscription s;
  s.version = version;
  s.topics = {"orders", "payments"};
  s.user_data = std::string("\x00\x07sticky", 8);
  if (version >= 1) s.owned_partitions = {{"orders", {0, 2}}, {"payments", {}}};
  if (version >= 2) s.generation_id = 9;
  if (version >= 3) s.rack_id = "rack-1";
  return s;
}

ConsumerAssignment sample_assignment(int16_t version) {
  ConsumerAssignment a;
  a.version = version;
  a.assigned_partitions = {{"orders", {1, 3, 5}}, {"payments", {0}}};
  a.user_data = "u";
  return a;
}

// Every strict prefix of a valid encoding but the empty one (which reads as an empty value)
// fails, and so does the encoding with a byte appended.
template <typename Decode>
void expect_truncations_fail_but_empty(const std::vector<std::byte>& full, Decode decode) {
  for (size_t n = 1; n < full.size(); ++n) {
    auto result = decode(std::span(full).first(n));
    ASSERT_FALSE(result.ok()) << "a prefix of " << n << " bytes decoded";
    EXPECT_EQ(result.code(), Errc::invalid_argument);
  }
  std::vector<std::byte> longer = full;
  longer.push_back(std::byte{0});
  auto result = decode(longer);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message().find("trailing"), std::string::npos);
}

// The consumer protocol decoders take a span, not a Reader: adapt them to the shared attacks.
auto subscription_from_reader = [](Reader& in) {
  return decode_consumer_subscription(in.raw(in.remaining()));
};
auto assignment_from_reader = [](Reader& in) {
  return decode_consumer_assignment(in.raw(in.remaining()));
};

// Copies into an exact-size buffer so that ASan sees any read past the end.
Result<ConsumerSubscription> subscription_copy(std::span<const std::byte> data) {
  return decode_copy(data, subscription_from_reader);
}
Result<ConsumerAssignment> assignment_copy(std::span<const std::byte> data) {
  return decode_copy(data, assignment_from_reader);
}

TEST(ConsumerProtocolTest, SubscriptionLayoutByVersion) {
  ConsumerSubscription s;
  s.topics = {"t"};
  // v0: version, topics [string], user_data (null: -1).
  EXPECT_EQ(hex(subscription_bytes(s)), "00 00 00 00 00 01 00 01 74 ff ff ff ff");
  // v1: owned_partitions [topic, partitions [int32]] after user_data.
  s.version = 1;
  s.owned_partitions = {{"t", {0}}};
  EXPECT_EQ(hex(subscription_bytes(s)),
            "00 01 00 00 00 01 00 01 74 ff ff ff ff 00 00 00 01 00 01 74 00 00 00 01 00 00 00 00");
  // v2: generation_id; v3: rack_id (null: -1).
  s.version = 3;
  s.generation_id = 5;
  EXPECT_EQ(hex(subscription_bytes(s)),
            "00 03 00 00 00 01 00 01 74 ff ff ff ff 00 00 00 01 00 01 74 00 00 00 01 00 00 00 00 "
            "00 00 00 05 ff ff");
}

TEST(ConsumerProtocolTest, AssignmentLayout) {
  ConsumerAssignment a;
  a.assigned_partitions = {{"t", {0, 1}}};
  a.user_data = "";
  // version, assigned_partitions [topic, partitions [int32]], user_data (empty: length 0).
  EXPECT_EQ(hex(assignment_bytes(a)),
            "00 00 00 00 00 01 00 01 74 00 00 00 02 00 00 00 00 00 00 00 01 00 00 00 00");
}

TEST(ConsumerProtocolTest, SubscriptionRoundTripsAtEveryKnownVersion) {
  for (int16_t v = 0; v <= kConsumerSubscriptionMaxVersion; ++v) {
    SCOPED_TRACE(v);
    std::vector<std::byte> bytes = subscription_bytes(sample_subscription(v));
    auto decoded = subscription_copy(bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(*decoded, sample_subscription(v));
    expect_truncations_fail_but_empty(bytes, subscription_copy);
    expect_garbage_survives(bytes, subscription_from_reader, static_cast<uint32_t>(v));
  }
}

TEST(ConsumerProtocolTest, AssignmentRoundTripsAtEveryKnownVersion) {
  for (int16_t v = 0; v <= kConsumerAssignmentMaxVersion; ++v) {
    SCOPED_TRACE(v);
    std::vector<std::byte> bytes = assignment_bytes(sample_assignment(v));
    auto decoded = assignment_copy(bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(*decoded, sample_assignment(v));
    expect_truncations_fail_but_empty(bytes, assignment_copy);
    expect_garbage_survives(bytes, assignment_from_reader, 50 + static_cast<uint32_t>(v));
  }
  ConsumerAssignment null_user_data = sample_assignment(1);
  null_user_data.user_data.reset();
  auto decoded = assignment_copy(assignment_bytes(null_user_data));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, null_user_data);
}

TEST(ConsumerProtocolTest, NewerVersionsKeepTheKnownFieldsAndIgnoreTheRest) {
  // A subscription of a future version 7: the v3 fields, then fields unknown here.
  std::vector<std::byte> bytes = subscription_bytes(sample_subscription(3));
  bytes[1] = std::byte{7};
  for (int extra : {0x00, 0x00, 0x00, 0x2a, 0x01})
    bytes.push_back(static_cast<std::byte>(extra));
  auto decoded = subscription_copy(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  ConsumerSubscription expected = sample_subscription(3);
  expected.version = 7;
  EXPECT_EQ(*decoded, expected);

  // An assignment of version 4 with a trailing int32.
  std::vector<std::byte> assignment = assignment_bytes(sample_assignment(3));
  assignment[1] = std::byte{4};
  for (int extra : {0x00, 0x00, 0x00, 0x09})
    assignment.push_back(static_cast<std::byte>(extra));
  auto decoded_assignment = assignment_copy(assignment);
  ASSERT_TRUE(decoded_assignment.ok()) << decoded_assignment.error().to_string();
  EXPECT_EQ(decoded_assignment->version, 4);
  EXPECT_EQ(decoded_assignment->assigned_partitions, sample_assignment(3).assigned_partitions);
  EXPECT_EQ(decoded_assignment->user_data, "u");

  // A newer version still needs every known field.
  std::vector<std::byte> truncated = subscription_bytes(sample_subscription(3));
  truncated[1] = std::byte{7};
  truncated.resize(truncated.size() - 1);
  EXPECT_FALSE(subscription_copy(truncated).ok());
}

TEST(ConsumerProtocolTest, EmptyBytesAreAnEmptyValue) {
  auto subscription = decode_consumer_subscription({});
  ASSERT_TRUE(subscription.ok());
  EXPECT_EQ(*subscription, ConsumerSubscription{});
  auto assignment = decode_consumer_assignment({});
  ASSERT_TRUE(assignment.ok());
  EXPECT_EQ(*assignment, ConsumerAssignment{});
}

TEST(ConsumerProtocolTest, MalformedFieldsAreNamed) {
  auto negative = bytes_of({0xff, 0xfe, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff});
  auto decoded = subscription_copy(negative);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message(),
            "ConsumerProtocolSubscription v-2: version: negative version");

  auto null_topic = bytes_of({0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  decoded = subscription_copy(null_topic);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message(), "ConsumerProtocolSubscription v0: topics[]: null string");

  auto null_partitions = bytes_of({0, 1, 0, 0, 0, 1, 0, 1, 't', 0xff, 0xff, 0xff, 0xff, 0, 0});
  auto assignment = assignment_copy(null_partitions);
  ASSERT_FALSE(assignment.ok());
  EXPECT_EQ(assignment.error().message(),
            "ConsumerProtocolAssignment v1: assigned_partitions[].partitions: null array");
}

TEST(ConsumerProtocolTest, ReadsWhatJoinGroupCarries) {
  // A v1 subscription as a cooperative consumer sends it on rejoin: two topics, no user data,
  // owning partition 3 of "b".
  auto bytes = bytes_of({0, 1, 0, 0, 0, 2, 0,   1, 'a', 0, 1, 'b', 0xff, 0xff, 0xff, 0xff,
                         0, 0, 0, 1, 0, 1, 'b', 0, 0,   0, 1, 0,   0,    0,    3});
  auto decoded = subscription_copy(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  EXPECT_EQ(decoded->version, 1);
  EXPECT_EQ(decoded->topics, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(decoded->user_data.has_value());
  ASSERT_EQ(decoded->owned_partitions.size(), 1u);
  EXPECT_EQ(decoded->owned_partitions[0].topic, "b");
  EXPECT_EQ(decoded->owned_partitions[0].partitions, (std::vector<int32_t>{3}));
  EXPECT_EQ(decoded->generation_id, -1);
}

}  // namespace
}  // namespace sluice::server::kafka
