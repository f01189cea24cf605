#include "server/kafka/produce.h"

#include "server/kafka/api_keys.h"
#include "server/kafka/field_reader.h"

namespace sluice::server::kafka {

namespace {

constexpr ApiKey kKey = ApiKey::produce;
// The smallest encodings: a topic (name, partitions); a partition (index, records); a partition
// response (index, error code, base offset, at v2+ log append time).
constexpr size_t kMinTopicBytes = 2 + 4;
constexpr size_t kMinPartitionBytes = 4 + 4;
constexpr size_t min_partition_response_bytes(int16_t version) {
  return 4 + 2 + 8 + (version >= 2 ? 8 : 0);
}

}  // namespace

Result<ProduceRequest> decode_produce_request(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(kKey, version, "request"));
  FieldReader r(in, is_flexible(kKey, version));
  ProduceRequest request;
  if (version >= 3) request.transactional_id = r.nullable_string("transactional_id");
  request.acks = r.int16("acks");
  request.timeout_ms = r.int32("timeout_ms");
  int32_t topics = r.array("topics", kMinTopicBytes);
  request.topics.reserve(static_cast<size_t>(topics));
  for (int32_t i = 0; i < topics && r.ok(); ++i) {
    ProduceTopicData& t = request.topics.emplace_back();
    t.name = r.string("topics[].name");
    int32_t partitions = r.array("topics[].partitions", kMinPartitionBytes);
    t.partitions.reserve(static_cast<size_t>(partitions));
    for (int32_t j = 0; j < partitions && r.ok(); ++j) {
      ProducePartitionData& p = t.partitions.emplace_back();
      p.index = r.int32("topics[].partitions[].index");
      p.records = r.nullable_bytes("topics[].partitions[].records");
    }
  }
  SLUICE_TRY(r.finish(kKey, version, "request"));
  return request;
}

void encode_produce_request(Writer& out, const ProduceRequest& request, int16_t version) {
  assert_version(kKey, version);
  if (version >= 3) out.nullable_string(request.transactional_id);
  out.int16(request.acks);
  out.int32(request.timeout_ms);
  write_array_length(out, request.topics.size(), false);
  for (const ProduceTopicData& t : request.topics) {
    out.string(t.name);
    write_array_length(out, t.partitions.size(), false);
    for (const ProducePartitionData& p : t.partitions) {
      out.int32(p.index);
      if (p.records) {
        out.bytes(*p.records);
      } else {
        out.null_bytes();
      }
    }
  }
}

void encode_produce_response(Writer& out, const ProduceResponse& response, int16_t version) {
  assert_version(kKey, version);
  write_array_length(out, response.topics.size(), false);
  for (const ProduceTopicResponse& t : response.topics) {
    out.string(t.name);
    write_array_length(out, t.partitions.size(), false);
    for (const ProducePartitionResponse& p : t.partitions) {
      out.int32(p.index);
      out.int16(p.error_code);
      out.int64(p.base_offset);
      if (version >= 2) out.int64(p.log_append_time_ms);
      if (version >= 5) out.int64(p.log_start_offset);
    }
  }
  if (version >= 1) out.int32(response.throttle_time_ms);
}

Result<ProduceResponse> decode_produce_response(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(kKey, version, "response"));
  FieldReader r(in, is_flexible(kKey, version));
  ProduceResponse response;
  int32_t topics = r.array("topics", kMinTopicBytes);
  response.topics.reserve(static_cast<size_t>(topics));
  for (int32_t i = 0; i < topics && r.ok(); ++i) {
    ProduceTopicResponse& t = response.topics.emplace_back();
    t.name = r.string("topics[].name");
    int32_t partitions = r.array("topics[].partitions", min_partition_response_bytes(version));
    t.partitions.reserve(static_cast<size_t>(partitions));
    for (int32_t j = 0; j < partitions && r.ok(); ++j) {
      ProducePartitionResponse& p = t.partitions.emplace_back();
      p.index = r.int32("topics[].partitions[].index");
      p.error_code = r.int16("topics[].partitions[].error_code");
      p.base_offset = r.int64("topics[].partitions[].base_offset");
      if (version >= 2) p.log_append_time_ms = r.int64("topics[].partitions[].log_append_time_ms");
      if (version >= 5) p.log_start_offset = r.int64("topics[].partitions[].log_start_offset");
    }
  }
  if (version >= 1) response.throttle_time_ms = r.int32("throttle_time_ms");
  SLUICE_TRY(r.finish(kKey, version, "response"));
  return response;
}

}  // namespace sluice::server::kafka
