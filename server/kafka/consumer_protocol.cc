#include "server/kafka/consumer_protocol.h"

#include "io/assert.h"
#include "server/kafka/field_reader.h"
#include "server/kafka/opaque_bytes.h"

#include <algorithm>
#include <string>

namespace sluice::server::kafka {

namespace {

// The consumer protocol has no flexible version: classic strings, bytes and arrays throughout.
constexpr bool kFlexible = false;

std::vector<ConsumerTopicPartitions> read_topic_partitions(FieldReader& f, const char* field,
                                                           const char* topic_field,
                                                           const char* partitions_field) {
  // Each entry: topic (int16 length) and partitions (int32 count).
  int32_t count = f.array(field, 6);
  std::vector<ConsumerTopicPartitions> out;
  out.reserve(static_cast<size_t>(count));
  for (int32_t i = 0; i < count && f.ok(); ++i) {
    ConsumerTopicPartitions& entry = out.emplace_back();
    entry.topic = f.string(topic_field);
    entry.partitions = f.int32_array(partitions_field);
  }
  return out;
}

void write_topic_partitions(Writer& out, const std::vector<ConsumerTopicPartitions>& entries) {
  write_array_length(out, entries.size(), kFlexible);
  for (const ConsumerTopicPartitions& entry : entries) {
    out.string(entry.topic);
    write_int32_array(out, entry.partitions, kFlexible);
  }
}

std::optional<std::string> read_user_data(FieldReader& f) {
  std::optional<std::span<const std::byte>> bytes = f.nullable_bytes("user_data");
  return bytes ? std::optional<std::string>(to_byte_string(*bytes)) : std::nullopt;
}

void write_user_data(Writer& out, const std::optional<std::string>& user_data) {
  if (user_data) {
    out.bytes(as_byte_span(*user_data));
  } else {
    out.null_bytes();
  }
}

// Reads the leading version: a negative one fails the read.
int16_t read_version(FieldReader& f) {
  int16_t version = f.int16("version");
  if (f.ok() && version < 0) f.fail("version", "negative version");
  return version;
}

// Ends a decode: a newer version's fields after the known ones are skipped.
Result<void> finish(Reader& in, FieldReader& f, const char* name, int16_t version,
                    int16_t max_known) {
  if (f.ok() && version > max_known) in.raw(in.remaining());
  return f.finish(std::string(name) + " v" + std::to_string(version));
}

}  // namespace

Result<ConsumerSubscription> decode_consumer_subscription(std::span<const std::byte> data) {
  ConsumerSubscription subscription;
  if (data.empty()) return subscription;
  Reader in(data);
  FieldReader f(in, kFlexible);
  subscription.version = read_version(f);
  int16_t v = std::min(subscription.version, kConsumerSubscriptionMaxVersion);
  int32_t count = f.array("topics", 2);
  subscription.topics.reserve(static_cast<size_t>(count));
  for (int32_t i = 0; i < count && f.ok(); ++i)
    subscription.topics.emplace_back(f.string("topics[]"));
  subscription.user_data = read_user_data(f);
  if (v >= 1) {
    subscription.owned_partitions = read_topic_partitions(
        f, "owned_partitions", "owned_partitions[].topic", "owned_partitions[].partitions");
  }
  if (v >= 2) subscription.generation_id = f.int32("generation_id");
  if (v >= 3) subscription.rack_id = to_owned(f.nullable_string("rack_id"));
  SLUICE_TRY(finish(in, f, "ConsumerProtocolSubscription", subscription.version,
                    kConsumerSubscriptionMaxVersion));
  return subscription;
}

Result<ConsumerAssignment> decode_consumer_assignment(std::span<const std::byte> data) {
  ConsumerAssignment assignment;
  if (data.empty()) return assignment;
  Reader in(data);
  FieldReader f(in, kFlexible);
  assignment.version = read_version(f);
  assignment.assigned_partitions = read_topic_partitions(
      f, "assigned_partitions", "assigned_partitions[].topic", "assigned_partitions[].partitions");
  assignment.user_data = read_user_data(f);
  SLUICE_TRY(finish(in, f, "ConsumerProtocolAssignment", assignment.version,
                    kConsumerAssignmentMaxVersion));
  return assignment;
}

void encode_consumer_subscription(Writer& out, const ConsumerSubscription& subscription) {
  int16_t v = subscription.version;
  SLUICE_ASSERT_MSG(v >= 0 && v <= kConsumerSubscriptionMaxVersion,
                    "encoding a consumer subscription at an unknown version");
  out.int16(v);
  write_array_length(out, subscription.topics.size(), kFlexible);
  for (const std::string& topic : subscription.topics)
    out.string(topic);
  write_user_data(out, subscription.user_data);
  if (v >= 1) write_topic_partitions(out, subscription.owned_partitions);
  if (v >= 2) out.int32(subscription.generation_id);
  if (v >= 3) out.nullable_string(as_view(subscription.rack_id));
}

void encode_consumer_assignment(Writer& out, const ConsumerAssignment& assignment) {
  SLUICE_ASSERT_MSG(assignment.version >= 0 && assignment.version <= kConsumerAssignmentMaxVersion,
                    "encoding a consumer assignment at an unknown version");
  out.int16(assignment.version);
  write_topic_partitions(out, assignment.assigned_partitions);
  write_user_data(out, assignment.user_data);
}

}  // namespace sluice::server::kafka
