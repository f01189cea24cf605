// CreateTopics and DeleteTopics: the admin client's topic changes, run on the offloader (they
// wait for every shard). One broker: replication factor 1 (or -1, the default) only. Topic
// configs that sluice has are applied (retention.ms, retention.bytes, segment.bytes,
// segment.ms, max.message.bytes); others are refused with INVALID_CONFIG rather than ignored.
#include "consumers/names.h"
#include "server/kafka/create_topics.h"
#include "server/kafka/delete_topics.h"
#include "server/kafka/handlers.h"
#include "server/kafka/topic_lookup.h"
#include "server/shard_context.h"

#include <charconv>

namespace sluice::server::kafka {
namespace {

struct TopicToCreate {
  std::string name;
  TopicConfig config;
  CreatableTopicResult result;  // an error found before creating, or the outcome
};

bool parse_int(std::string_view text, int64_t* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

// Applies one Kafka topic config; false with a message when sluice cannot honour it.
bool apply_config(TopicConfig& config, const CreatableTopicConfig& entry, std::string* error) {
  std::string_view name = entry.name;
  std::string_view value = entry.value.value_or("");
  int64_t n = 0;
  const bool numeric = parse_int(value, &n);
  if (name == "retention.ms" && numeric) {
    config.retention_ms = n;
  } else if (name == "retention.bytes" && numeric) {
    config.retention_bytes = n;
  } else if (name == "segment.bytes" && numeric && n > 0) {
    config.segment_bytes = static_cast<uint64_t>(n);
  } else if (name == "segment.ms" && numeric && n > 0) {
    config.segment_ms = n;
  } else if (name == "max.message.bytes" && numeric && n > 0 && n <= INT32_MAX) {
    config.max_event_bytes = static_cast<uint32_t>(n);
  } else if (name == "cleanup.policy" && value == "delete") {
    // sluice's only policy
  } else {
    *error = "config " + std::string(name) + "=" + std::string(value) + " is not supported";
    return false;
  }
  return true;
}

}  // namespace

Result<void> handle_create_topics(KafkaSession& session, const RequestHeader& header, Reader& body,
                                  const std::shared_ptr<Reply>& reply) {
  Result<CreateTopicsRequest> request = decode_create_topics_request(body, header.api_version);
  if (!request.ok()) return request.error();
  ShardContext& context = session.context();
  auto topics = std::make_shared<std::vector<TopicToCreate>>();
  for (const CreatableTopic& topic : request->topics) {
    TopicToCreate entry;
    entry.name = std::string(topic.name);
    entry.result.name = entry.name;
    entry.config.partitions = topic.num_partitions == -1 && topic.assignments.empty()
                                  ? context.options().default_partitions
                                  : topic.num_partitions;
    if (!topic.assignments.empty()) {
      entry.config.partitions = static_cast<int32_t>(topic.assignments.size());
    }
    std::string error;
    if (!consumers::valid_topic_name(entry.name)) {
      entry.result.error_code = code(ErrorCode::invalid_topic_exception);
      entry.result.error_message = "'" + entry.name + "' is not a valid topic name";
    } else if (topic.replication_factor != -1 && topic.replication_factor != 1) {
      entry.result.error_code = code(ErrorCode::invalid_replication_factor);
      entry.result.error_message = "sluice is one broker: replication factor must be 1";
    } else if (entry.config.partitions <= 0) {
      entry.result.error_code = code(ErrorCode::invalid_partitions);
      entry.result.error_message = "the number of partitions must be at least 1";
    } else {
      for (const CreatableTopicConfig& config : topic.configs) {
        if (!apply_config(entry.config, config, &error)) {
          entry.result.error_code = code(ErrorCode::invalid_config);
          entry.result.error_message = error;
          break;
        }
      }
    }
    topics->push_back(std::move(entry));
  }
  Engine* engine = &context.engine();
  const bool validate_only = request->validate_only;
  const int16_t version = header.api_version;
  context.offload(
      [engine, topics, validate_only] {
        for (TopicToCreate& entry : *topics) {
          if (entry.result.error_code != 0) continue;
          if (validate_only) {
            if (engine->describe_topic(entry.name).ok()) {
              entry.result.error_code = code(ErrorCode::topic_already_exists);
            }
            continue;
          }
          Result<void> created = engine->create_topic(entry.name, entry.config);
          if (!created.ok()) {
            entry.result.error_code =
                code(created.code() == Errc::invalid_argument ? ErrorCode::invalid_config
                                                              : topic_error(created.code()));
            entry.result.error_message = created.error().message();
          }
        }
      },
      [topics, reply, version] {
        CreateTopicsResponse response;
        for (TopicToCreate& entry : *topics) {
          if (entry.result.error_code != 0) reply->error = true;
          response.topics.push_back(std::move(entry.result));
        }
        Writer out = reply->writer();
        encode_create_topics_response(out, response, version);
        reply->complete();
      });
  return {};
}

Result<void> handle_delete_topics(KafkaSession& session, const RequestHeader& header, Reader& body,
                                  const std::shared_ptr<Reply>& reply) {
  Result<DeleteTopicsRequest> request = decode_delete_topics_request(body, header.api_version);
  if (!request.ok()) return request.error();
  ShardContext& context = session.context();
  auto results = std::make_shared<std::vector<DeletableTopicResult>>();
  for (std::string_view name : request->topic_names) {
    results->push_back(DeletableTopicResult{std::string(name), 0});
  }
  Engine* engine = &context.engine();
  const int16_t version = header.api_version;
  context.offload(
      [engine, results] {
        for (DeletableTopicResult& result : *results) {
          Result<void> deleted = engine->delete_topic(result.name);
          if (!deleted.ok()) {
            // An internal topic is not the client's to delete: it does not exist for it.
            result.error_code = code(deleted.code() == Errc::invalid_argument
                                         ? ErrorCode::unknown_topic_or_partition
                                         : topic_error(deleted.code()));
          }
        }
      },
      [results, reply, version] {
        DeleteTopicsResponse response;
        response.responses = std::move(*results);
        for (const auto& r : response.responses)
          reply->error = reply->error || r.error_code != 0;
        Writer out = reply->writer();
        encode_delete_topics_response(out, response, version);
        reply->complete();
      });
  return {};
}

}  // namespace sluice::server::kafka
