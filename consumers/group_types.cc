#include "consumers/group_types.h"

namespace sluice::consumers {

std::string_view group_state_name(GroupState state) {
  switch (state) {
    case GroupState::empty:
      return "empty";
    case GroupState::rebalancing:
      return "rebalancing";
    case GroupState::stable:
      return "stable";
  }
  return "unknown";
}

}  // namespace sluice::consumers
