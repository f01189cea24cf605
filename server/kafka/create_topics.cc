#include "server/kafka/create_topics.h"

#include "server/kafka/api_keys.h"
#include "server/kafka/field_reader.h"

namespace sluice::server::kafka {

namespace {

constexpr ApiKey kKey = ApiKey::create_topics;
// The smallest encodings: a topic (name, partitions, replication, two arrays); an assignment
// (index, brokers); a config (name, value); a result (name, error code).
constexpr size_t kMinTopicBytes = 2 + 4 + 2 + 4 + 4;
constexpr size_t kMinAssignmentBytes = 4 + 4;
constexpr size_t kMinConfigBytes = 2 + 2;
constexpr size_t kMinResultBytes = 2 + 2;

CreatableTopic read_topic(FieldReader& r) {
  CreatableTopic t;
  t.name = r.string("topics[].name");
  t.num_partitions = r.int32("topics[].num_partitions");
  t.replication_factor = r.int16("topics[].replication_factor");
  int32_t assignments = r.array("topics[].assignments", kMinAssignmentBytes);
  t.assignments.reserve(static_cast<size_t>(assignments));
  for (int32_t i = 0; i < assignments && r.ok(); ++i) {
    CreatableReplicaAssignment& a = t.assignments.emplace_back();
    a.partition_index = r.int32("topics[].assignments[].partition_index");
    a.broker_ids = r.int32_array("topics[].assignments[].broker_ids");
  }
  int32_t configs = r.array("topics[].configs", kMinConfigBytes);
  t.configs.reserve(static_cast<size_t>(configs));
  for (int32_t i = 0; i < configs && r.ok(); ++i) {
    CreatableTopicConfig& c = t.configs.emplace_back();
    c.name = r.string("topics[].configs[].name");
    c.value = r.nullable_string("topics[].configs[].value");
  }
  return t;
}

}  // namespace

Result<CreateTopicsRequest> decode_create_topics_request(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(kKey, version, "request"));
  FieldReader r(in, is_flexible(kKey, version));
  CreateTopicsRequest request;
  int32_t topics = r.array("topics", kMinTopicBytes);
  request.topics.reserve(static_cast<size_t>(topics));
  for (int32_t i = 0; i < topics && r.ok(); ++i)
    request.topics.push_back(read_topic(r));
  request.timeout_ms = r.int32("timeout_ms");
  if (version >= 1) request.validate_only = r.boolean("validate_only");
  SLUICE_TRY(r.finish(kKey, version, "request"));
  return request;
}

void encode_create_topics_request(Writer& out, const CreateTopicsRequest& request,
                                  int16_t version) {
  assert_version(kKey, version);
  write_array_length(out, request.topics.size(), false);
  for (const CreatableTopic& t : request.topics) {
    out.string(t.name);
    out.int32(t.num_partitions);
    out.int16(t.replication_factor);
    write_array_length(out, t.assignments.size(), false);
    for (const CreatableReplicaAssignment& a : t.assignments) {
      out.int32(a.partition_index);
      write_int32_array(out, a.broker_ids, false);
    }
    write_array_length(out, t.configs.size(), false);
    for (const CreatableTopicConfig& c : t.configs) {
      out.string(c.name);
      out.nullable_string(c.value);
    }
  }
  out.int32(request.timeout_ms);
  if (version >= 1) out.boolean(request.validate_only);
}

void encode_create_topics_response(Writer& out, const CreateTopicsResponse& response,
                                   int16_t version) {
  assert_version(kKey, version);
  if (version >= 2) out.int32(response.throttle_time_ms);
  write_array_length(out, response.topics.size(), false);
  for (const CreatableTopicResult& t : response.topics) {
    out.string(t.name);
    out.int16(t.error_code);
    if (version >= 1) out.nullable_string(as_view(t.error_message));
  }
}

Result<CreateTopicsResponse> decode_create_topics_response(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(kKey, version, "response"));
  FieldReader r(in, is_flexible(kKey, version));
  CreateTopicsResponse response;
  if (version >= 2) response.throttle_time_ms = r.int32("throttle_time_ms");
  int32_t topics = r.array("topics", kMinResultBytes);
  response.topics.reserve(static_cast<size_t>(topics));
  for (int32_t i = 0; i < topics && r.ok(); ++i) {
    CreatableTopicResult& t = response.topics.emplace_back();
    t.name = r.string("topics[].name");
    t.error_code = r.int16("topics[].error_code");
    if (version >= 1) t.error_message = to_owned(r.nullable_string("topics[].error_message"));
  }
  SLUICE_TRY(r.finish(kKey, version, "response"));
  return response;
}

}  // namespace sluice::server::kafka
