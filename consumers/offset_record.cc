#include "consumers/offset_record.h"

#include "consumers/names.h"
#include "io/assert.h"
#include "partitions/endian.h"

#include <optional>

namespace sluice::consumers {
namespace {

using partitions::load_be;
using partitions::store_be;

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

// Appends big-endian integers and length-prefixed strings to a std::string.
class Writer {
 public:
  explicit Writer(size_t bytes) { out_.reserve(bytes); }
  template <typename T>
  void integer(T value) {
    std::byte raw[sizeof(T)];
    store_be(raw, value);
    out_.append(reinterpret_cast<const char*>(raw), sizeof(T));
  }
  void string16(const std::string& text) {
    SLUICE_ASSERT(text.size() <= INT16_MAX);
    integer(static_cast<int16_t>(text.size()));
    out_ += text;
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// Reads what Writer writes; the first short read makes the whole record corrupt.
class Reader {
 public:
  Reader(std::string_view bytes, const char* what) : bytes_(bytes), what_(what) {}
  template <typename T>
  bool integer(T& value, const char* field) {
    if (!need(sizeof(T), field)) return false;
    value = load_be<T>(reinterpret_cast<const std::byte*>(bytes_.data() + position_));
    position_ += sizeof(T);
    return true;
  }
  bool string16(std::string& text, size_t bytes_max, const char* field) {
    int16_t length = 0;
    if (!integer(length, field)) return false;
    if (length < 0 || static_cast<size_t>(length) > bytes_max) {
      return fail(std::string(field) + " " + std::to_string(length) + " outside [0, " +
                  std::to_string(bytes_max) + "]");
    }
    if (!need(static_cast<size_t>(length), field)) return false;
    text.assign(bytes_.substr(position_, static_cast<size_t>(length)));
    position_ += static_cast<size_t>(length);
    return true;
  }
  bool finish() {
    if (position_ == bytes_.size()) return true;
    return fail(std::to_string(bytes_.size() - position_) + " bytes after the last field");
  }
  bool fail(std::string problem) {
    if (problem_.empty()) problem_ = std::string(what_) + ": " + problem;
    return false;
  }
  Error error() const { return Error(Errc::corruption, problem_); }

 private:
  bool need(size_t bytes, const char* field) {
    if (bytes_.size() - position_ >= bytes) return true;
    return fail("truncated: " + std::string(field) + " at byte " + std::to_string(position_) +
                " needs " + std::to_string(bytes) + " bytes, " +
                std::to_string(bytes_.size() - position_) + " left");
  }

  std::string_view bytes_;
  const char* what_;
  size_t position_ = 0;
  std::string problem_;
};

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
