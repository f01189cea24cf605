#include "server/kafka/error_code.h"

namespace sluice::server::kafka {

ErrorCode partition_error(Errc errc) {
  switch (errc) {
    case Errc::not_found:
      return ErrorCode::unknown_topic_or_partition;
    case Errc::invalid_argument:
      return ErrorCode::invalid_request;
    case Errc::too_large:
      return ErrorCode::message_too_large;
    case Errc::corruption:
      return ErrorCode::corrupt_message;
    case Errc::empty_batch:
      return ErrorCode::invalid_request;
    case Errc::offset_out_of_range:
      return ErrorCode::offset_out_of_range;
    case Errc::io_error:
    case Errc::no_space:
    case Errc::permission_denied:
      return ErrorCode::kafka_storage_error;
    case Errc::would_block:
    case Errc::timed_out:
    case Errc::busy:
      // Retriable: the client backs off and sends again.
      return ErrorCode::request_timed_out;
    case Errc::closed:
      // The server is stopping: a retriable error that sends the client to refresh metadata.
      return ErrorCode::not_leader_or_follower;
    case Errc::unsupported:
      return ErrorCode::unsupported_for_message_format;
    case Errc::already_exists:
      return ErrorCode::topic_already_exists;
    case Errc::out_of_order_sequence:
      return ErrorCode::out_of_order_sequence_number;
    case Errc::invalid_producer_epoch:
      return ErrorCode::invalid_producer_epoch;
    case Errc::unknown_producer_id:
      return ErrorCode::unknown_producer_id;
    default:
      break;
  }
  return ErrorCode::unknown_server_error;
}

}  // namespace sluice::server::kafka
