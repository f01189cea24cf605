#include "consumers/protocol_choice.h"

#include "io/assert.h"

#include <algorithm>
#include <cstddef>
#include <map>

namespace sluice::consumers {
namespace {

bool lists(const std::vector<KafkaProtocol>& protocols, const std::string& name) {
  return std::any_of(protocols.begin(), protocols.end(),
                     [&](const KafkaProtocol& protocol) { return protocol.name == name; });
}

bool everyone_lists(std::span<const std::vector<KafkaProtocol>* const> members,
                    const std::string& name) {
  return std::all_of(members.begin(), members.end(),
                     [&](const std::vector<KafkaProtocol>* protocols) {
                       SLUICE_ASSERT(protocols != nullptr);
                       return lists(*protocols, name);
                     });
}

}  // namespace

std::string choose_protocol(std::span<const std::vector<KafkaProtocol>* const> members) {
  if (members.empty()) return {};
  // The leader's list holds every candidate, in the order that breaks ties.
  std::vector<std::string> candidates;
  for (const KafkaProtocol& protocol : *members.front()) {
    if (everyone_lists(members, protocol.name)) candidates.push_back(protocol.name);
  }
  if (candidates.empty()) return {};
  std::map<std::string, size_t, std::less<>> votes;
  for (const std::vector<KafkaProtocol>* protocols : members) {
    for (const KafkaProtocol& protocol : *protocols) {
      if (std::find(candidates.begin(), candidates.end(), protocol.name) == candidates.end()) {
        continue;
      }
      votes[protocol.name] += 1;
      break;  // one vote per member: its first candidate
    }
  }
  std::string chosen;
  size_t chosen_votes = 0;
  for (const std::string& candidate : candidates) {  // in the leader's order: ties go first
    const size_t count = votes[candidate];
    if (count > chosen_votes) {
      chosen = candidate;
      chosen_votes = count;
    }
  }
  SLUICE_ASSERT(chosen_votes >= 1);  // the leader voted for a candidate
  return chosen;
}

bool shares_protocol(std::span<const std::vector<KafkaProtocol>* const> others,
                     const std::vector<KafkaProtocol>& joining) {
  if (others.empty()) return true;
  return std::any_of(joining.begin(), joining.end(), [&](const KafkaProtocol& protocol) {
    return everyone_lists(others, protocol.name);
  });
}

const std::string& metadata_for(const std::vector<KafkaProtocol>& protocols,
                                const std::string& name) {
  static const std::string kNone;
  for (const KafkaProtocol& protocol : protocols) {
    if (protocol.name == name) return protocol.metadata;
  }
  return kNone;
}

}  // namespace sluice::consumers
