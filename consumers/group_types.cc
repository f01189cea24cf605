#include "consumers/group_types.h"

namespace sluice::consumers {

std::string_view group_state_name(GroupState state) {
  switch (state) {
    case GroupState::empty:
      return "empty";
    case GroupState::rebalancing:
      return "rebalancing";
    case GroupState::completing_rebalance:
      return "completing_rebalance";
    case GroupState::stable:
      return "stable";
    case GroupState::dead:
      return "dead";
  }
  return "unknown";
}

std::string_view kafka_state_name(GroupState state) {
  switch (state) {
    case GroupState::empty:
      return "Empty";
    case GroupState::rebalancing:
      return "PreparingRebalance";
    case GroupState::completing_rebalance:
      return "CompletingRebalance";
    case GroupState::stable:
      return "Stable";
    case GroupState::dead:
      return "Dead";
  }
  return "Dead";
}

}  // namespace sluice::consumers
