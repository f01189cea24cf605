#include "server/kafka/topic_lookup.h"

#include "consumers/names.h"
#include "engine/engine_impl.h"
#include "server/shard_context.h"

namespace sluice::server::kafka {

std::shared_ptr<engine::Topic> find_kafka_topic(ShardContext& context, std::string_view name) {
  Result<std::shared_ptr<engine::Topic>> topic = context.engine().impl().find_topic(name);
  if (!topic.ok() || (*topic)->internal) return nullptr;
  return std::move(*topic);
}

std::shared_ptr<engine::PartitionSlot> find_kafka_partition(ShardContext& context,
                                                            std::string_view topic,
                                                            int32_t partition) {
  std::shared_ptr<engine::Topic> found = find_kafka_topic(context, topic);
  if (!found || partition < 0 || static_cast<size_t>(partition) >= found->partitions.size()) {
    return nullptr;
  }
  return found->partitions[static_cast<size_t>(partition)];
}

void create_missing_topics(ShardContext& context, std::vector<std::string> names,
                           std::function<void()> done) {
  Engine* engine = &context.engine();
  TopicConfig config;
  config.partitions = context.options().default_partitions;
  context.offload(
      [engine, names = std::move(names), config] {
        for (const std::string& name : names) {
          if (!consumers::valid_topic_name(name)) continue;
          // already_exists (a race with another client) is what we wanted anyway.
          (void)engine->create_topic(name, config);
        }
      },
      std::move(done));
}

ErrorCode topic_error(Errc errc) {
  switch (errc) {
    case Errc::not_found:
      return ErrorCode::unknown_topic_or_partition;
    case Errc::already_exists:
      return ErrorCode::topic_already_exists;
    case Errc::invalid_argument:
      return ErrorCode::invalid_topic_exception;
    case Errc::closed:
      return ErrorCode::not_controller;
    default:
      return ErrorCode::kafka_storage_error;
  }
}

}  // namespace sluice::server::kafka
