#include "consumers/assignment.h"

#include "io/assert.h"

#include <algorithm>

namespace sluice::consumers {
namespace {

bool subscribes(const MemberSubscription& member, const std::string& topic) {
  return std::find(member.topics.begin(), member.topics.end(), topic) != member.topics.end();
}

void assign_range(const std::vector<MemberSubscription>& members,
                  const std::map<std::string, int32_t>& partition_counts, Assignment& out) {
  for (const auto& [topic, count] : partition_counts) {
    std::vector<const MemberSubscription*> takers;
    for (const auto& member : members) {
      if (subscribes(member, topic)) takers.push_back(&member);
    }
    if (takers.empty()) continue;
    const int32_t share = count / static_cast<int32_t>(takers.size());
    const int32_t extra = count % static_cast<int32_t>(takers.size());
    int32_t next = 0;
    for (size_t i = 0; i < takers.size(); ++i) {
      const int32_t n = share + (static_cast<int32_t>(i) < extra ? 1 : 0);
      auto& list = out[takers[i]->member_id];
      for (int32_t p = next; p < next + n; ++p)
        list.push_back({topic, p});
      next += n;
    }
    SLUICE_ASSERT(next == count);
  }
}

void assign_round_robin(const std::vector<MemberSubscription>& members,
                        const std::map<std::string, int32_t>& partition_counts, Assignment& out) {
  size_t turn = 0;
  for (const auto& [topic, count] : partition_counts) {
    for (int32_t p = 0; p < count; ++p) {
      // The next member, in turn, that subscribes to the topic (one exists, or none does).
      for (size_t tried = 0; tried < members.size(); ++tried) {
        const MemberSubscription& member = members[(turn + tried) % members.size()];
        if (!subscribes(member, topic)) continue;
        out[member.member_id].push_back({topic, p});
        turn = (turn + tried + 1) % members.size();
        break;
      }
    }
  }
}

}  // namespace

Assignment assign(AssignmentStrategy strategy, std::vector<MemberSubscription> members,
                  const std::map<std::string, int32_t>& partition_counts) {
  std::sort(members.begin(), members.end(),
            [](const auto& a, const auto& b) { return a.member_id < b.member_id; });
  Assignment out;
  for (const auto& member : members)
    out[member.member_id];
  if (members.empty()) return out;
  switch (strategy) {
    case AssignmentStrategy::range:
      assign_range(members, partition_counts, out);
      break;
    case AssignmentStrategy::round_robin:
      assign_round_robin(members, partition_counts, out);
      break;
  }
  for (auto& [member, list] : out)
    std::sort(list.begin(), list.end());
  return out;
}

}  // namespace sluice::consumers
