// find_handler and ApiVersions: the table from API key to handler, and the first request of
// every connection.
#include "server/kafka/api_keys.h"
#include "server/kafka/api_versions.h"
#include "server/kafka/error_code.h"
#include "server/kafka/handlers.h"

#include <array>

namespace sluice::server::kafka {

Handler find_handler(int16_t api_key) {
  switch (static_cast<ApiKey>(api_key)) {
    case ApiKey::produce:
      return &handle_produce;
    case ApiKey::fetch:
      return &handle_fetch;
    case ApiKey::list_offsets:
      return &handle_list_offsets;
    case ApiKey::metadata:
      return &handle_metadata;
    case ApiKey::offset_commit:
      return &handle_offset_commit;
    case ApiKey::offset_fetch:
      return &handle_offset_fetch;
    case ApiKey::find_coordinator:
      return &handle_find_coordinator;
    case ApiKey::join_group:
      return &handle_join_group;
    case ApiKey::heartbeat:
      return &handle_heartbeat;
    case ApiKey::leave_group:
      return &handle_leave_group;
    case ApiKey::sync_group:
      return &handle_sync_group;
    case ApiKey::describe_groups:
      return &handle_describe_groups;
    case ApiKey::list_groups:
      return &handle_list_groups;
    case ApiKey::api_versions:
      return &handle_api_versions;
    case ApiKey::create_topics:
      return &handle_create_topics;
    case ApiKey::delete_topics:
      return &handle_delete_topics;
    case ApiKey::init_producer_id:
      return &handle_init_producer_id;
  }
  return nullptr;
}

Result<void> handle_api_versions(KafkaSession&, const RequestHeader& header, Reader& body,
                                 const std::shared_ptr<Reply>& reply) {
  Result<ApiVersionsRequest> request = decode_api_versions_request(body, header.api_version);
  if (!request.ok()) return request.error();
  Writer out = reply->writer();
  encode_api_versions_response(out, make_api_versions_response(), header.api_version);
  reply->complete();
  return {};
}

}  // namespace sluice::server::kafka
