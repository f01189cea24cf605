// What the Kafka handlers share about topics: finding a partition's slot, the Kafka error for
// a topic the engine refused, and auto-creation (ServerOptions::auto_create_topics) through the
// offloader.
//
// Thread-safety: the session's shard thread.
#pragma once

#include "engine/topic.h"
#include "server/kafka/error_code.h"

#include <sluice/result.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::server {
class ShardContext;
}

namespace sluice::server::kafka {

// The topic (any thread's view), or nullptr when it does not exist or is internal to sluice.
std::shared_ptr<engine::Topic> find_kafka_topic(ShardContext& context, std::string_view name);
// The partition's slot, or nullptr (unknown topic or partition).
std::shared_ptr<engine::PartitionSlot> find_kafka_partition(ShardContext& context,
                                                            std::string_view topic,
                                                            int32_t partition);

// Creates the missing topics among `names` with the default partition count, on the offloader,
// then runs `done` on the shard thread. Names that are not valid topic names are skipped (the
// caller answers INVALID_TOPIC_EXCEPTION for them).
void create_missing_topics(ShardContext& context, std::vector<std::string> names,
                           std::function<void()> done);

// The Kafka error for a topic-level engine error (create, delete).
ErrorCode topic_error(Errc errc);

}  // namespace sluice::server::kafka
