// How sluice's threads (shards, and consumers waiting in poll) wait for work.
//
// spin: busy-poll. The lowest latency (an event is seen well under a microsecond after it is
//   published) at the cost of one core per waiting thread; only sensible while the spinning
//   threads do not outnumber the cores.
// park: spin for a short while (about 50 us), then sleep on a futex until woken. A wake-up
//   costs about 20 us on the machines sluice is measured on, and an idle thread uses no CPU.
//   The default.
#pragma once

#include <cstdint>
#include <string_view>

namespace sluice {

enum class WaitStrategy : uint8_t { spin, park };

std::string_view wait_strategy_name(WaitStrategy wait);
// Parses "spin" or "park"; returns false for anything else.
bool parse_wait_strategy(std::string_view text, WaitStrategy* out);

}  // namespace sluice
