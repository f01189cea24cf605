#include "server/kafka/list_offsets.h"

#include "server/kafka/api_keys.h"
#include "server/kafka/field_reader.h"

namespace sluice::server::kafka {

namespace {

constexpr ApiKey kKey = ApiKey::list_offsets;
// The smallest encodings: a topic (name, partitions); a partition (index, timestamp); a
// partition response (index, error, then at v0 an array and at v1+ two int64s).
constexpr size_t kMinTopicBytes = 2 + 4;
constexpr size_t kMinPartitionBytes = 4 + 8;
constexpr size_t kMinPartitionResponseBytes = 4 + 2 + 4;

}  // namespace

Result<ListOffsetsRequest> decode_list_offsets_request(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(kKey, version, "request"));
  FieldReader r(in, is_flexible(kKey, version));
  ListOffsetsRequest request;
  request.replica_id = r.int32("replica_id");
  if (version >= 2) request.isolation_level = r.int8("isolation_level");
  int32_t topics = r.array("topics", kMinTopicBytes);
  request.topics.reserve(static_cast<size_t>(topics));
  for (int32_t i = 0; i < topics && r.ok(); ++i) {
    ListOffsetsTopic& t = request.topics.emplace_back();
    t.name = r.string("topics[].name");
    int32_t partitions = r.array("topics[].partitions", kMinPartitionBytes);
    t.partitions.reserve(static_cast<size_t>(partitions));
    for (int32_t j = 0; j < partitions && r.ok(); ++j) {
      ListOffsetsPartition& p = t.partitions.emplace_back();
      p.partition_index = r.int32("topics[].partitions[].partition_index");
      p.timestamp = r.int64("topics[].partitions[].timestamp");
      if (version == 0) p.max_num_offsets = r.int32("topics[].partitions[].max_num_offsets");
    }
  }
  SLUICE_TRY(r.finish(kKey, version, "request"));
  return request;
}

void encode_list_offsets_request(Writer& out, const ListOffsetsRequest& request, int16_t version) {
  assert_version(kKey, version);
  out.int32(request.replica_id);
  if (version >= 2) out.int8(request.isolation_level);
  write_array_length(out, request.topics.size(), false);
  for (const ListOffsetsTopic& t : request.topics) {
    out.string(t.name);
    write_array_length(out, t.partitions.size(), false);
    for (const ListOffsetsPartition& p : t.partitions) {
      out.int32(p.partition_index);
      out.int64(p.timestamp);
      if (version == 0) out.int32(p.max_num_offsets);
    }
  }
}

void encode_list_offsets_response(Writer& out, const ListOffsetsResponse& response,
                                  int16_t version) {
  assert_version(kKey, version);
  if (version >= 2) out.int32(response.throttle_time_ms);
  write_array_length(out, response.topics.size(), false);
  for (const ListOffsetsTopicResponse& t : response.topics) {
    out.string(t.name);
    write_array_length(out, t.partitions.size(), false);
    for (const ListOffsetsPartitionResponse& p : t.partitions) {
      out.int32(p.partition_index);
      out.int16(p.error_code);
      if (version == 0) {
        write_int64_array(out, p.old_style_offsets, false);
      } else {
        out.int64(p.timestamp);
        out.int64(p.offset);
      }
    }
  }
}

Result<ListOffsetsResponse> decode_list_offsets_response(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(kKey, version, "response"));
  FieldReader r(in, is_flexible(kKey, version));
  ListOffsetsResponse response;
  if (version >= 2) response.throttle_time_ms = r.int32("throttle_time_ms");
  int32_t topics = r.array("topics", kMinTopicBytes);
  response.topics.reserve(static_cast<size_t>(topics));
  for (int32_t i = 0; i < topics && r.ok(); ++i) {
    ListOffsetsTopicResponse& t = response.topics.emplace_back();
    t.name = r.string("topics[].name");
    int32_t partitions = r.array("topics[].partitions", kMinPartitionResponseBytes);
    t.partitions.reserve(static_cast<size_t>(partitions));
    for (int32_t j = 0; j < partitions && r.ok(); ++j) {
      ListOffsetsPartitionResponse& p = t.partitions.emplace_back();
      p.partition_index = r.int32("topics[].partitions[].partition_index");
      p.error_code = r.int16("topics[].partitions[].error_code");
      if (version == 0) {
        p.old_style_offsets = r.int64_array("topics[].partitions[].old_style_offsets");
      } else {
        p.timestamp = r.int64("topics[].partitions[].timestamp");
        p.offset = r.int64("topics[].partitions[].offset");
      }
    }
  }
  SLUICE_TRY(r.finish(kKey, version, "response"));
  return response;
}

}  // namespace sluice::server::kafka
