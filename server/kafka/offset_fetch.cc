#include "server/kafka/offset_fetch.h"

#include "io/assert.h"
#include "server/kafka/api_keys.h"
#include "server/kafka/field_reader.h"

namespace sluice::server::kafka {

namespace {

// Every OffsetFetch version sluiced advertises comes before its flexible versions (api_keys.cc).
constexpr bool kFlexible = false;

}  // namespace

Result<OffsetFetchRequest> decode_offset_fetch_request(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(ApiKey::offset_fetch, version, "request"));
  FieldReader f(in, kFlexible);
  OffsetFetchRequest request;
  request.group_id = f.string("group_id");
  // Each topic: name (int16 length) and partition_indexes (int32 count).
  std::optional<int32_t> count = f.nullable_array("topics", 6);
  if (count) {
    request.topics.emplace();
    request.topics->reserve(static_cast<size_t>(*count));
    for (int32_t i = 0; i < *count && f.ok(); ++i) {
      OffsetFetchTopic& topic = request.topics->emplace_back();
      topic.name = f.string("topics[].name");
      topic.partition_indexes = f.int32_array("topics[].partition_indexes");
    }
  } else if (f.ok() && version < 2) {
    f.fail("topics", "null array (all topics needs v2+)");
  }
  SLUICE_TRY(f.finish(ApiKey::offset_fetch, version, "request"));
  return request;
}

void encode_offset_fetch_request(Writer& out, const OffsetFetchRequest& request, int16_t version) {
  assert_version(ApiKey::offset_fetch, version);
  out.string(request.group_id);
  if (!request.topics) {
    SLUICE_ASSERT_MSG(version >= 2, "OffsetFetch asks for all topics from v2 only");
    out.array_length(-1);
    return;
  }
  write_array_length(out, request.topics->size(), kFlexible);
  for (const OffsetFetchTopic& topic : *request.topics) {
    out.string(topic.name);
    write_int32_array(out, topic.partition_indexes, kFlexible);
  }
}

void encode_offset_fetch_response(Writer& out, const OffsetFetchResponse& response,
                                  int16_t version) {
  assert_version(ApiKey::offset_fetch, version);
  if (version >= 3) out.int32(response.throttle_time_ms);
  write_array_length(out, response.topics.size(), kFlexible);
  for (const OffsetFetchTopicResponse& topic : response.topics) {
    out.string(topic.name);
    write_array_length(out, topic.partitions.size(), kFlexible);
    for (const OffsetFetchPartitionResponse& partition : topic.partitions) {
      out.int32(partition.partition_index);
      out.int64(partition.committed_offset);
      if (version >= 5) out.int32(partition.committed_leader_epoch);
      out.nullable_string(as_view(partition.metadata));
      out.int16(code(partition.error));
    }
  }
  if (version >= 2) out.int16(code(response.error));
}

namespace {

void read_partitions(FieldReader& f, int16_t version,
                     std::vector<OffsetFetchPartitionResponse>* out) {
  // partition_index, committed_offset, [leader epoch], metadata (int16 length), error_code.
  size_t min_bytes = 4 + 8 + (version >= 5 ? 4 : 0) + 2 + 2;
  int32_t count = f.array("topics[].partitions", min_bytes);
  out->reserve(static_cast<size_t>(count));
  for (int32_t i = 0; i < count && f.ok(); ++i) {
    OffsetFetchPartitionResponse& partition = out->emplace_back();
    partition.partition_index = f.int32("topics[].partitions[].partition_index");
    partition.committed_offset = f.int64("topics[].partitions[].committed_offset");
    if (version >= 5) {
      partition.committed_leader_epoch = f.int32("topics[].partitions[].committed_leader_epoch");
    }
    partition.metadata = to_owned(f.nullable_string("topics[].partitions[].metadata"));
    partition.error = static_cast<ErrorCode>(f.int16("topics[].partitions[].error_code"));
  }
}

}  // namespace

Result<OffsetFetchResponse> decode_offset_fetch_response(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(ApiKey::offset_fetch, version, "response"));
  FieldReader f(in, kFlexible);
  OffsetFetchResponse response;
  if (version >= 3) response.throttle_time_ms = f.int32("throttle_time_ms");
  int32_t count = f.array("topics", 6);
  response.topics.reserve(static_cast<size_t>(count));
  for (int32_t i = 0; i < count && f.ok(); ++i) {
    OffsetFetchTopicResponse& topic = response.topics.emplace_back();
    topic.name = f.string("topics[].name");
    read_partitions(f, version, &topic.partitions);
  }
  if (version >= 2) response.error = static_cast<ErrorCode>(f.int16("error_code"));
  SLUICE_TRY(f.finish(ApiKey::offset_fetch, version, "response"));
  return response;
}

}  // namespace sluice::server::kafka
