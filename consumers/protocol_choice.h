// The choice of a Kafka-mode group's protocol (its assignor) among those its members list, and
// the test of whether a joining member can share one with the others.
//
// The rule: candidates are the protocols every member lists; each member votes for the
// candidate it lists first; the candidate with the most votes wins, and a tie goes to the one
// the leader lists first. So when every member lists "a" before "b", "a" is chosen.
//
// Thread-safety: pure functions.
#pragma once

#include "consumers/kafka_group_types.h"

#include <span>
#include <string>
#include <vector>

namespace sluice::consumers {

// Each member's protocols in its order of preference, the leader's first. Empty when the
// members have no protocol in common (or there are none).
std::string choose_protocol(std::span<const std::vector<KafkaProtocol>* const> members);

// Whether `joining` lists a protocol that every one of `others` lists (true when there are no
// others).
bool shares_protocol(std::span<const std::vector<KafkaProtocol>* const> others,
                     const std::vector<KafkaProtocol>& joining);

// The metadata `protocols` holds for `name`; empty when it lists no such protocol.
const std::string& metadata_for(const std::vector<KafkaProtocol>& protocols,
                                const std::string& name);

}  // namespace sluice::consumers
