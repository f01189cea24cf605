// The Kafka API handlers: one per API, each in its own file (handle_<api>.cc). A handler reads
// its request body, then completes the reply at once or arranges for it to complete later (see
// Reply in kafka_session.h). A body that does not decode returns an Error: the session closes
// the connection, as the protocol has no response for a request it cannot read.
//
// Thread-safety: the session's shard thread.
#pragma once

#include "server/kafka/kafka_session.h"

#include <sluice/result.h>

#include <memory>

namespace sluice::server::kafka {

using Handler = Result<void> (*)(KafkaSession& session, const RequestHeader& header, Reader& body,
                                 const std::shared_ptr<Reply>& reply);

// The handler of a supported API key; nullptr for others.
Handler find_handler(int16_t api_key);

Result<void> handle_api_versions(KafkaSession&, const RequestHeader&, Reader&,
                                 const std::shared_ptr<Reply>&);
Result<void> handle_metadata(KafkaSession&, const RequestHeader&, Reader&,
                             const std::shared_ptr<Reply>&);
Result<void> handle_produce(KafkaSession&, const RequestHeader&, Reader&,
                            const std::shared_ptr<Reply>&);
Result<void> handle_fetch(KafkaSession&, const RequestHeader&, Reader&,
                          const std::shared_ptr<Reply>&);
Result<void> handle_list_offsets(KafkaSession&, const RequestHeader&, Reader&,
                                 const std::shared_ptr<Reply>&);
Result<void> handle_find_coordinator(KafkaSession&, const RequestHeader&, Reader&,
                                     const std::shared_ptr<Reply>&);
Result<void> handle_join_group(KafkaSession&, const RequestHeader&, Reader&,
                               const std::shared_ptr<Reply>&);
Result<void> handle_sync_group(KafkaSession&, const RequestHeader&, Reader&,
                               const std::shared_ptr<Reply>&);
Result<void> handle_heartbeat(KafkaSession&, const RequestHeader&, Reader&,
                              const std::shared_ptr<Reply>&);
Result<void> handle_leave_group(KafkaSession&, const RequestHeader&, Reader&,
                                const std::shared_ptr<Reply>&);
Result<void> handle_offset_commit(KafkaSession&, const RequestHeader&, Reader&,
                                  const std::shared_ptr<Reply>&);
Result<void> handle_offset_fetch(KafkaSession&, const RequestHeader&, Reader&,
                                 const std::shared_ptr<Reply>&);
Result<void> handle_describe_groups(KafkaSession&, const RequestHeader&, Reader&,
                                    const std::shared_ptr<Reply>&);
Result<void> handle_list_groups(KafkaSession&, const RequestHeader&, Reader&,
                                const std::shared_ptr<Reply>&);
Result<void> handle_create_topics(KafkaSession&, const RequestHeader&, Reader&,
                                  const std::shared_ptr<Reply>&);
Result<void> handle_delete_topics(KafkaSession&, const RequestHeader&, Reader&,
                                  const std::shared_ptr<Reply>&);
Result<void> handle_init_producer_id(KafkaSession&, const RequestHeader&, Reader&,
                                     const std::shared_ptr<Reply>&);

}  // namespace sluice::server::kafka
