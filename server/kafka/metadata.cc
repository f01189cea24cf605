#include "server/kafka/metadata.h"

#include "server/kafka/api_keys.h"
#include "server/kafka/field_reader.h"

namespace sluice::server::kafka {

namespace {

constexpr ApiKey kKey = ApiKey::metadata;
// The smallest encodings: a topic name (an int16 length); a broker (node id, host, port); a
// topic (error code, name, partitions); a partition (error, index, leader, two arrays).
constexpr size_t kMinNameBytes = 2;
constexpr size_t kMinBrokerBytes = 4 + 2 + 4;
constexpr size_t kMinTopicBytes = 2 + 2 + 4;
constexpr size_t kMinPartitionBytes = 2 + 4 + 4 + 4 + 4;

MetadataPartition read_partition(FieldReader& r, int16_t version) {
  MetadataPartition p;
  p.error_code = r.int16("topics[].partitions[].error_code");
  p.partition_index = r.int32("topics[].partitions[].partition_index");
  p.leader_id = r.int32("topics[].partitions[].leader_id");
  p.replica_nodes = r.int32_array("topics[].partitions[].replica_nodes");
  p.isr_nodes = r.int32_array("topics[].partitions[].isr_nodes");
  if (version >= 5) p.offline_replicas = r.int32_array("topics[].partitions[].offline_replicas");
  return p;
}

MetadataTopic read_topic(FieldReader& r, int16_t version) {
  MetadataTopic t;
  t.error_code = r.int16("topics[].error_code");
  t.name = r.string("topics[].name");
  if (version >= 1) t.is_internal = r.boolean("topics[].is_internal");
  int32_t n = r.array("topics[].partitions", kMinPartitionBytes);
  t.partitions.reserve(static_cast<size_t>(n));
  for (int32_t i = 0; i < n && r.ok(); ++i)
    t.partitions.push_back(read_partition(r, version));
  return t;
}

}  // namespace

Result<MetadataRequest> decode_metadata_request(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(kKey, version, "request"));
  FieldReader r(in, is_flexible(kKey, version));
  MetadataRequest request;
  // v0 has no null array: there an empty one means every topic.
  std::optional<int32_t> n = version >= 1
                                 ? r.nullable_array("topics", kMinNameBytes)
                                 : std::optional<int32_t>(r.array("topics", kMinNameBytes));
  if (n && !(version == 0 && *n == 0)) {
    request.topics.emplace();
    request.topics->reserve(static_cast<size_t>(*n));
    for (int32_t i = 0; i < *n && r.ok(); ++i)
      request.topics->push_back(r.string("topics[].name"));
  }
  if (version >= 4) request.allow_auto_topic_creation = r.boolean("allow_auto_topic_creation");
  SLUICE_TRY(r.finish(kKey, version, "request"));
  return request;
}

void encode_metadata_request(Writer& out, const MetadataRequest& request, int16_t version) {
  assert_version(kKey, version);
  if (!request.topics) {
    out.array_length(version >= 1 ? -1 : 0);
  } else {
    write_array_length(out, request.topics->size(), false);
    for (std::string_view name : *request.topics)
      out.string(name);
  }
  if (version >= 4) out.boolean(request.allow_auto_topic_creation);
}

void encode_metadata_response(Writer& out, const MetadataResponse& response, int16_t version) {
  assert_version(kKey, version);
  if (version >= 3) out.int32(response.throttle_time_ms);
  write_array_length(out, response.brokers.size(), false);
  for (const MetadataBroker& b : response.brokers) {
    out.int32(b.node_id);
    out.string(b.host);
    out.int32(b.port);
    if (version >= 1) out.nullable_string(as_view(b.rack));
  }
  if (version >= 2) out.nullable_string(as_view(response.cluster_id));
  if (version >= 1) out.int32(response.controller_id);
  write_array_length(out, response.topics.size(), false);
  for (const MetadataTopic& t : response.topics) {
    out.int16(t.error_code);
    out.string(t.name);
    if (version >= 1) out.boolean(t.is_internal);
    write_array_length(out, t.partitions.size(), false);
    for (const MetadataPartition& p : t.partitions) {
      out.int16(p.error_code);
      out.int32(p.partition_index);
      out.int32(p.leader_id);
      write_int32_array(out, p.replica_nodes, false);
      write_int32_array(out, p.isr_nodes, false);
      if (version >= 5) write_int32_array(out, p.offline_replicas, false);
    }
  }
}

Result<MetadataResponse> decode_metadata_response(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(kKey, version, "response"));
  FieldReader r(in, is_flexible(kKey, version));
  MetadataResponse response;
  if (version >= 3) response.throttle_time_ms = r.int32("throttle_time_ms");
  int32_t n = r.array("brokers", kMinBrokerBytes);
  response.brokers.reserve(static_cast<size_t>(n));
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    MetadataBroker b;
    b.node_id = r.int32("brokers[].node_id");
    b.host = r.string("brokers[].host");
    b.port = r.int32("brokers[].port");
    if (version >= 1) b.rack = to_owned(r.nullable_string("brokers[].rack"));
    response.brokers.push_back(std::move(b));
  }
  if (version >= 2) response.cluster_id = to_owned(r.nullable_string("cluster_id"));
  if (version >= 1) response.controller_id = r.int32("controller_id");
  n = r.array("topics", kMinTopicBytes);
  response.topics.reserve(static_cast<size_t>(n));
  for (int32_t i = 0; i < n && r.ok(); ++i)
    response.topics.push_back(read_topic(r, version));
  SLUICE_TRY(r.finish(kKey, version, "response"));
  return response;
}

}  // namespace sluice::server::kafka
