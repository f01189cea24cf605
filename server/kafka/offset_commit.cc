#include "server/kafka/offset_commit.h"

#include "server/kafka/api_keys.h"
#include "server/kafka/field_reader.h"

namespace sluice::server::kafka {

namespace {

// Every OffsetCommit version sluiced advertises comes before its flexible versions (api_keys.cc).
constexpr bool kFlexible = false;

void read_partitions(FieldReader& f, int16_t version, std::vector<OffsetCommitPartition>* out) {
  // partition_index, committed_offset, [leader epoch], [timestamp], metadata (int16 length).
  size_t min_bytes = 4 + 8 + (version >= 6 ? 4 : 0) + (version == 1 ? 8 : 0) + 2;
  int32_t count = f.array("topics[].partitions", min_bytes);
  out->reserve(static_cast<size_t>(count));
  for (int32_t i = 0; i < count && f.ok(); ++i) {
    OffsetCommitPartition& partition = out->emplace_back();
    partition.partition_index = f.int32("topics[].partitions[].partition_index");
    partition.committed_offset = f.int64("topics[].partitions[].committed_offset");
    if (version >= 6) {
      partition.committed_leader_epoch = f.int32("topics[].partitions[].committed_leader_epoch");
    }
    if (version == 1) {
      partition.commit_timestamp = f.int64("topics[].partitions[].commit_timestamp");
    }
    partition.committed_metadata = f.nullable_string("topics[].partitions[].committed_metadata");
  }
}

}  // namespace

Result<OffsetCommitRequest> decode_offset_commit_request(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(ApiKey::offset_commit, version, "request"));
  FieldReader f(in, kFlexible);
  OffsetCommitRequest request;
  request.group_id = f.string("group_id");
  if (version >= 1) {
    request.generation_id = f.int32("generation_id");
    request.member_id = f.string("member_id");
  }
  if (version >= 7) request.group_instance_id = f.nullable_string("group_instance_id");
  if (version >= 2 && version <= 4) request.retention_time_ms = f.int64("retention_time_ms");
  // Each topic: name (int16 length) and partitions (int32 count).
  int32_t count = f.array("topics", 6);
  request.topics.reserve(static_cast<size_t>(count));
  for (int32_t i = 0; i < count && f.ok(); ++i) {
    OffsetCommitTopic& topic = request.topics.emplace_back();
    topic.name = f.string("topics[].name");
    read_partitions(f, version, &topic.partitions);
  }
  SLUICE_TRY(f.finish(ApiKey::offset_commit, version, "request"));
  return request;
}

void encode_offset_commit_request(Writer& out, const OffsetCommitRequest& request,
                                  int16_t version) {
  assert_version(ApiKey::offset_commit, version);
  out.string(request.group_id);
  if (version >= 1) {
    out.int32(request.generation_id);
    out.string(request.member_id);
  }
  if (version >= 7) out.nullable_string(request.group_instance_id);
  if (version >= 2 && version <= 4) out.int64(request.retention_time_ms);
  write_array_length(out, request.topics.size(), kFlexible);
  for (const OffsetCommitTopic& topic : request.topics) {
    out.string(topic.name);
    write_array_length(out, topic.partitions.size(), kFlexible);
    for (const OffsetCommitPartition& partition : topic.partitions) {
      out.int32(partition.partition_index);
      out.int64(partition.committed_offset);
      if (version >= 6) out.int32(partition.committed_leader_epoch);
      if (version == 1) out.int64(partition.commit_timestamp);
      out.nullable_string(partition.committed_metadata);
    }
  }
}

void encode_offset_commit_response(Writer& out, const OffsetCommitResponse& response,
                                   int16_t version) {
  assert_version(ApiKey::offset_commit, version);
  if (version >= 3) out.int32(response.throttle_time_ms);
  write_array_length(out, response.topics.size(), kFlexible);
  for (const OffsetCommitTopicResponse& topic : response.topics) {
    out.string(topic.name);
    write_array_length(out, topic.partitions.size(), kFlexible);
    for (const OffsetCommitPartitionResponse& partition : topic.partitions) {
      out.int32(partition.partition_index);
      out.int16(code(partition.error));
    }
  }
}

Result<OffsetCommitResponse> decode_offset_commit_response(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(ApiKey::offset_commit, version, "response"));
  FieldReader f(in, kFlexible);
  OffsetCommitResponse response;
  if (version >= 3) response.throttle_time_ms = f.int32("throttle_time_ms");
  int32_t topic_count = f.array("topics", 6);
  response.topics.reserve(static_cast<size_t>(topic_count));
  for (int32_t i = 0; i < topic_count && f.ok(); ++i) {
    OffsetCommitTopicResponse& topic = response.topics.emplace_back();
    topic.name = f.string("topics[].name");
    // Each partition: partition_index and error_code.
    int32_t count = f.array("topics[].partitions", 6);
    topic.partitions.reserve(static_cast<size_t>(count));
    for (int32_t p = 0; p < count && f.ok(); ++p) {
      OffsetCommitPartitionResponse& partition = topic.partitions.emplace_back();
      partition.partition_index = f.int32("topics[].partitions[].partition_index");
      partition.error = static_cast<ErrorCode>(f.int16("topics[].partitions[].error_code"));
    }
  }
  SLUICE_TRY(f.finish(ApiKey::offset_commit, version, "response"));
  return response;
}

}  // namespace sluice::server::kafka
