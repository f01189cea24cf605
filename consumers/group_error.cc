#include "consumers/group_error.h"

namespace sluice::consumers {

std::string_view group_error_name(GroupError error) {
  switch (error) {
    case GroupError::none:
      return "none";
    case GroupError::invalid_group_id:
      return "invalid_group_id";
    case GroupError::invalid_session_timeout:
      return "invalid_session_timeout";
    case GroupError::inconsistent_protocol:
      return "inconsistent_protocol";
    case GroupError::unknown_member:
      return "unknown_member";
    case GroupError::illegal_generation:
      return "illegal_generation";
    case GroupError::rebalance_in_progress:
      return "rebalance_in_progress";
    case GroupError::group_not_found:
      return "group_not_found";
    case GroupError::non_empty_group:
      return "non_empty_group";
    case GroupError::group_max_size_reached:
      return "group_max_size_reached";
    case GroupError::coordinator_full:
      return "coordinator_full";
    case GroupError::invalid_argument:
      return "invalid_argument";
    case GroupError::fenced_instance_id:
      return "fenced_instance_id";
  }
  return "unknown";
}

Errc to_errc(GroupError error) {
  switch (error) {
    case GroupError::invalid_group_id:
    case GroupError::invalid_session_timeout:
    case GroupError::inconsistent_protocol:
    case GroupError::invalid_argument:
    case GroupError::none:  // not an error: callers convert failures only
      return Errc::invalid_argument;
    case GroupError::group_not_found:
      return Errc::not_found;
    case GroupError::unknown_member:
    case GroupError::illegal_generation:
    case GroupError::rebalance_in_progress:
    case GroupError::fenced_instance_id:
    case GroupError::non_empty_group:
    case GroupError::group_max_size_reached:
    case GroupError::coordinator_full:
      return Errc::busy;
  }
  return Errc::invalid_argument;
}

Error to_error(const GroupFailure& failure) {
  std::string message(group_error_name(failure.error));
  message += ": ";
  message += failure.message;
  return Error(to_errc(failure.error), std::move(message));
}

}  // namespace sluice::consumers
