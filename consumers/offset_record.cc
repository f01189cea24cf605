#include "consumers/offset_record.h"

#include "consumers/names.h"
#include "io/assert.h"
#include "partitions/byte_codec.h"

#include <optional>

namespace sluice::consumers {
namespace {

// What is wrong with a record, or nothing. Encoding checks it before writing and decoding
// after reading, so both sides hold to the same rules.
std::optional<std::string> broken_rule(const std::string& group, const std::string& topic,
                                       int32_t partition) {
  if (!valid_group_id(group)) return "group id of " + std::to_string(group.size()) + " bytes";
  if (topic.empty()) {
    if (partition != -1) return "partition " + std::to_string(partition) + " without a topic";
    return std::nullopt;
  }
  if (!valid_topic_name(topic)) return "invalid topic name '" + topic + "'";
  if (partition < -1) return "partition " + std::to_string(partition);
  return std::nullopt;
}

std::optional<std::string> broken_rule(const OffsetCommit& commit) {
  const CommittedOffset& c = commit.committed;
  if (commit.partition.topic.empty()) return std::string("a commit without a topic");
  if (commit.partition.partition < 0) {
    return "a commit for partition " + std::to_string(commit.partition.partition);
  }
  if (c.offset < 0) return "offset " + std::to_string(c.offset);
  if (c.leader_epoch < -1) return "leader epoch " + std::to_string(c.leader_epoch);
  if (c.commit_time_ms < 0) return "commit time " + std::to_string(c.commit_time_ms);
  if (c.metadata.size() > kOffsetMetadataBytesMax) {
    return "metadata of " + std::to_string(c.metadata.size()) + " bytes";
  }
  return broken_rule(commit.group, commit.partition.topic, commit.partition.partition);
}

std::optional<std::string> broken_rule(const OffsetTombstone& tombstone) {
  return broken_rule(tombstone.group, tombstone.topic, tombstone.partition);
}

using Writer = partitions::ByteWriter;
using Reader = partitions::ByteReader;

std::string encode_key(const std::string& group, const std::string& topic, int32_t partition) {
  Writer key(kOffsetKeyFixedBytes + group.size() + topic.size());
  key.integer(kOffsetKeyVersion);
  key.string16(group);
  key.string16(topic);
  key.integer(partition);
  return key.take();
}

std::string encode_value(const CommittedOffset& committed) {
  Writer value(kOffsetValueFixedBytes + committed.metadata.size());
  value.integer(kOffsetValueVersion);
  value.integer(committed.offset);
  value.integer(committed.leader_epoch);
  value.integer(committed.commit_time_ms);
  value.string16(committed.metadata);
  return value.take();
}

bool read_version(Reader& in, int16_t expected, const char* field) {
  int16_t version = 0;
  if (!in.integer(version, field)) return false;
  if (version == expected) return true;
  return in.fail(std::string("unknown ") + field + " " + std::to_string(version));
}

bool decode_key(OffsetTombstone& key, Reader& in) {
  return read_version(in, kOffsetKeyVersion, "key_version") &&
         in.string16(key.group, kGroupIdBytesMax, "group_length") &&
         in.string16(key.topic, kTopicNameBytesMax, "topic_length") &&
         in.integer(key.partition, "partition") && in.finish();
}

bool decode_value(CommittedOffset& committed, Reader& in) {
  return read_version(in, kOffsetValueVersion, "value_version") &&
         in.integer(committed.offset, "offset") &&
         in.integer(committed.leader_epoch, "leader_epoch") &&
         in.integer(committed.commit_time_ms, "commit_time_ms") &&
         in.string16(committed.metadata, kOffsetMetadataBytesMax, "metadata_length") && in.finish();
}

}  // namespace

Result<EncodedOffsetRecord> encode_offset_record(const OffsetRecord& record) {
  if (const auto* commit = std::get_if<OffsetCommit>(&record)) {
    if (auto problem = broken_rule(*commit)) {
      return Error(Errc::invalid_argument, "offset commit: " + *problem);
    }
    return EncodedOffsetRecord{
        encode_key(commit->group, commit->partition.topic, commit->partition.partition),
        encode_value(commit->committed)};
  }
  const auto& tombstone = std::get<OffsetTombstone>(record);
  if (auto problem = broken_rule(tombstone)) {
    return Error(Errc::invalid_argument, "offset tombstone: " + *problem);
  }
  return EncodedOffsetRecord{encode_key(tombstone.group, tombstone.topic, tombstone.partition),
                             std::string()};
}

Result<OffsetRecord> decode_offset_record(std::string_view key, std::string_view value) {
  OffsetTombstone scope;
  Reader key_in(key, "offset record key");
  if (!decode_key(scope, key_in)) return key_in.error();
  if (value.empty()) {
    if (auto problem = broken_rule(scope)) {
      return Error(Errc::corruption, "offset tombstone: " + *problem);
    }
    return OffsetRecord(std::move(scope));
  }
  OffsetCommit commit{std::move(scope.group), {std::move(scope.topic), scope.partition}, {}};
  Reader value_in(value, "offset record value");
  if (!decode_value(commit.committed, value_in)) return value_in.error();
  if (auto problem = broken_rule(commit)) {
    return Error(Errc::corruption, "offset commit: " + *problem);
  }
  return OffsetRecord(std::move(commit));
}

}  // namespace sluice::consumers
