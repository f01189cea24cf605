// request_status_name (include/sluice/requests.h).
#include "io/assert.h"

#include <sluice/requests.h>

namespace sluice {

std::string_view request_status_name(RequestStatus status) {
  switch (status) {
    case RequestStatus::pending:
      return "pending";
    case RequestStatus::completed:
      return "completed";
    case RequestStatus::failed:
      return "failed";
    case RequestStatus::dead_lettered:
      return "dead-lettered";
  }
  SLUICE_ASSERT_MSG(false, "unknown request status");
  return "unknown";
}

}  // namespace sluice
