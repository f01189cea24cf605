// Metadata: this broker (node 0) leads every partition. A named topic that does not exist is
// created first when auto-creation is on (the server's option and the request's flag, v4+), so
// that a producer's first metadata request already finds it.
#include "consumers/names.h"
#include "engine/engine_impl.h"
#include "server/kafka/handlers.h"
#include "server/kafka/metadata.h"
#include "server/kafka/topic_lookup.h"
#include "server/shard_context.h"

namespace sluice::server::kafka {
namespace {

MetadataTopic describe(ShardContext& context, const std::string& name) {
  MetadataTopic topic;
  topic.name = name;
  if (!consumers::valid_topic_name(name)) {
    topic.error_code = code(ErrorCode::invalid_topic_exception);
    return topic;
  }
  std::shared_ptr<engine::Topic> found = find_kafka_topic(context, name);
  if (!found) {
    topic.error_code = code(ErrorCode::unknown_topic_or_partition);
    return topic;
  }
  topic.partitions.reserve(found->partitions.size());
  for (size_t p = 0; p < found->partitions.size(); ++p) {
    MetadataPartition partition;
    partition.partition_index = static_cast<int32_t>(p);
    partition.leader_id = 0;
    partition.replica_nodes = {0};
    partition.isr_nodes = {0};
    topic.partitions.push_back(std::move(partition));
  }
  return topic;
}

void answer(ShardContext& context, const std::vector<std::string>* names, int16_t version,
            Reply& reply) {
  MetadataResponse response;
  response.brokers.push_back(MetadataBroker{0, context.broker_host(), context.broker_port(), {}});
  response.cluster_id = "sluice";
  response.controller_id = 0;
  if (names == nullptr) {
    for (const std::string& name : context.engine().list_topics()) {
      if (find_kafka_topic(context, name)) response.topics.push_back(describe(context, name));
    }
  } else {
    for (const std::string& name : *names)
      response.topics.push_back(describe(context, name));
  }
  Writer out = reply.writer();
  encode_metadata_response(out, response, version);
  reply.complete();
}

}  // namespace

Result<void> handle_metadata(KafkaSession& session, const RequestHeader& header, Reader& body,
                             const std::shared_ptr<Reply>& reply) {
  Result<MetadataRequest> request = decode_metadata_request(body, header.api_version);
  if (!request.ok()) return request.error();
  ShardContext& context = session.context();
  // v0 has no null: an empty list asks for every topic there.
  const bool all = !request->topics || (header.api_version == 0 && request->topics->empty());
  if (all) {
    answer(context, nullptr, header.api_version, *reply);
    return {};
  }
  auto names = std::make_shared<std::vector<std::string>>();
  std::vector<std::string> missing;
  for (std::string_view name : *request->topics) {
    names->emplace_back(name);
    if (consumers::valid_topic_name(name) && !find_kafka_topic(context, name)) {
      missing.emplace_back(name);
    }
  }
  const bool create = context.options().auto_create_topics &&
                      (header.api_version < 4 || request->allow_auto_topic_creation);
  if (missing.empty() || !create) {
    answer(context, names.get(), header.api_version, *reply);
    return {};
  }
  const int16_t version = header.api_version;
  create_missing_topics(context, std::move(missing), [&context, names, version, reply] {
    answer(context, names.get(), version, *reply);
  });
  return {};
}

}  // namespace sluice::server::kafka
