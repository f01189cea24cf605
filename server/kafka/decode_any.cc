#include "server/kafka/decode_any.h"

#include "server/kafka/api_keys.h"
#include "server/kafka/api_versions.h"
#include "server/kafka/create_topics.h"
#include "server/kafka/delete_topics.h"
#include "server/kafka/fetch.h"
#include "server/kafka/init_producer_id.h"
#include "server/kafka/list_offsets.h"
#include "server/kafka/metadata.h"
#include "server/kafka/produce.h"
// The group APIs.
#include "server/kafka/describe_groups.h"
#include "server/kafka/find_coordinator.h"
#include "server/kafka/heartbeat.h"
#include "server/kafka/join_group.h"
#include "server/kafka/leave_group.h"
#include "server/kafka/list_groups.h"
#include "server/kafka/offset_commit.h"
#include "server/kafka/offset_fetch.h"
#include "server/kafka/sync_group.h"

#include <string>
#include <utility>

namespace sluice::server::kafka {

namespace {

template <typename T>
Result<void> discard(Result<T> decoded) {
  if (!decoded.ok()) return std::move(decoded).error();
  return {};
}

}  // namespace

Result<void> decode_any_request(int16_t api_key, int16_t version, Reader& body) {
  switch (static_cast<ApiKey>(api_key)) {
    case ApiKey::produce:
      return discard(decode_produce_request(body, version));
    case ApiKey::fetch:
      return discard(decode_fetch_request(body, version));
    case ApiKey::list_offsets:
      return discard(decode_list_offsets_request(body, version));
    case ApiKey::metadata:
      return discard(decode_metadata_request(body, version));
    case ApiKey::api_versions:
      return discard(decode_api_versions_request(body, version));
    case ApiKey::create_topics:
      return discard(decode_create_topics_request(body, version));
    case ApiKey::delete_topics:
      return discard(decode_delete_topics_request(body, version));
    case ApiKey::init_producer_id:
      return discard(decode_init_producer_id_request(body, version));
    // The group APIs.
    case ApiKey::offset_commit:
      return discard(decode_offset_commit_request(body, version));
    case ApiKey::offset_fetch:
      return discard(decode_offset_fetch_request(body, version));
    case ApiKey::find_coordinator:
      return discard(decode_find_coordinator_request(body, version));
    case ApiKey::join_group:
      return discard(decode_join_group_request(body, version));
    case ApiKey::heartbeat:
      return discard(decode_heartbeat_request(body, version));
    case ApiKey::leave_group:
      return discard(decode_leave_group_request(body, version));
    case ApiKey::sync_group:
      return discard(decode_sync_group_request(body, version));
    case ApiKey::describe_groups:
      return discard(decode_describe_groups_request(body, version));
    case ApiKey::list_groups:
      return discard(decode_list_groups_request(body, version));
    default:
      break;
  }
  return Error(Errc::unsupported, "no request decoder for API key " + std::to_string(api_key) +
                                      " (" + api_name(api_key) + ")");
}

}  // namespace sluice::server::kafka
