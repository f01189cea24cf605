#include <sluice/wait_strategy.h>

namespace sluice {

std::string_view wait_strategy_name(WaitStrategy wait) {
  switch (wait) {
    case WaitStrategy::spin:
      return "spin";
    case WaitStrategy::park:
      return "park";
  }
  return "unknown";
}

bool parse_wait_strategy(std::string_view text, WaitStrategy* out) {
  for (WaitStrategy wait : {WaitStrategy::spin, WaitStrategy::park}) {
    if (text == wait_strategy_name(wait)) {
      *out = wait;
      return true;
    }
  }
  return false;
}

}  // namespace sluice
