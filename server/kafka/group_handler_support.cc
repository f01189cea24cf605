#include "server/kafka/group_handler_support.h"

namespace sluice::server::kafka {

ErrorCode group_error_code(consumers::GroupError error) {
  using consumers::GroupError;
  switch (error) {
    case GroupError::none:
      return ErrorCode::none;
    case GroupError::invalid_group_id:
      return ErrorCode::invalid_group_id;
    case GroupError::invalid_session_timeout:
      return ErrorCode::invalid_session_timeout;
    case GroupError::inconsistent_protocol:
      return ErrorCode::inconsistent_group_protocol;
    case GroupError::unknown_member:
      return ErrorCode::unknown_member_id;
    case GroupError::illegal_generation:
      return ErrorCode::illegal_generation;
    case GroupError::rebalance_in_progress:
      return ErrorCode::rebalance_in_progress;
    case GroupError::group_not_found:
      return ErrorCode::group_id_not_found;
    case GroupError::non_empty_group:
      return ErrorCode::non_empty_group;
    case GroupError::group_max_size_reached:
      return ErrorCode::group_max_size_reached;
    case GroupError::coordinator_full:
      // Retriable: the client asks again later, by when empty groups may have been forgotten.
      return ErrorCode::coordinator_not_available;
    case GroupError::invalid_argument:
      return ErrorCode::invalid_request;
    case GroupError::fenced_instance_id:
      return ErrorCode::fenced_instance_id;
  }
  return ErrorCode::unknown_server_error;
}

std::string kafka_client_host(std::string_view peer) {
  std::string_view host = peer;
  if (host.size() > 2 && host.front() == '[') {
    // "[v6 address]:port"
    const size_t close = host.find(']');
    if (close != std::string_view::npos) host = host.substr(1, close - 1);
  } else if (const size_t colon = host.rfind(':');
             colon != std::string_view::npos && host.find(':') == colon) {
    // "v4 address:port" (an address with several colons is a bare v6 one: kept whole)
    host = host.substr(0, colon);
  }
  return "/" + std::string(host);
}

}  // namespace sluice::server::kafka
